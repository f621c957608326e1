import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recognise } from './recognise.js';

const api = (method: string | null, path: string, req?: unknown, res?: unknown) => recognise(method, path, req ?? null, res)?.api ?? null;

test('the API from the path, behind any gateway prefix and with a query', () => {
  assert.equal(api('POST', '/v1/messages'), 'anthropic-messages');
  assert.equal(api('POST', '/anthropic/v1/messages?beta=true'), 'anthropic-messages');
  assert.equal(api('POST', '/v1/chat/completions'), 'openai-chat');
  assert.equal(api('POST', '/api/openai/chat/completions/'), 'openai-chat');
  assert.equal(api('POST', '/v1/responses'), 'openai-responses');
  assert.equal(api('POST', '/backend-api/codex/responses'), 'openai-responses');
  assert.equal(api('POST', '/v1/responses/compact'), 'openai-responses');
  assert.equal(api('POST', '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse'), 'gemini');
  assert.equal(api('POST', '/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent'), 'gemini');
  assert.equal(api('POST', '/v1internal:streamGenerateContent?alt=sse'), 'gemini');
  assert.deepEqual(recognise('POST', '/v1/projects/p/locations/global/publishers/anthropic/models/claude-opus-4-8:streamRawPredict', null), { api: 'anthropic-messages', pathModel: 'claude-opus-4-8', streamMethod: true });
  const g = recognise('POST', '/gemini/v1beta/models/gemini-2.5-flash%2Dlite:streamGenerateContent', null);
  assert.deepEqual(g, { api: 'gemini', pathModel: 'gemini-2.5-flash-lite', streamMethod: true });
});

test('calls that do not generate are not recognised', () => {
  assert.equal(api('POST', '/v1/messages/count_tokens'), null);
  assert.equal(api('POST', '/v1beta/models/gemini-2.5-pro:countTokens'), null);
  assert.equal(api('POST', '/v1beta/cachedContents'), null, "a Gemini context cache the gateway makes is not a call");
  assert.equal(api('POST', '/v1/embeddings', { model: 'text-embedding-3-small', input: 'x' }), null);
  assert.equal(api('GET', '/v1/responses/resp_123'), null);
  assert.equal(api('GET', '/v1/models'), null);
  assert.equal(api('POST', '/upload', { file: 'x' }), null);
});

test('an unknown path: the bodies\' shapes decide', () => {
  assert.equal(api('POST', '/proxy', { model: 'm', max_tokens: 10, system: 's', messages: [] }), 'anthropic-messages');
  assert.equal(api('POST', '/proxy', { model: 'm', messages: [{ role: 'user', content: 'x' }] }), 'openai-chat');
  assert.equal(api('POST', '/proxy', { model: 'm', input: 'x' }), 'openai-responses');
  assert.equal(api('POST', '/proxy', { contents: [] }), 'gemini');
  assert.equal(api('POST', '/proxy', { model: 'm', messages: [] }, { type: 'message', content: [] }), 'anthropic-messages');
  assert.equal(api('POST', '/proxy', null, { object: 'response' }), 'openai-responses');
});
