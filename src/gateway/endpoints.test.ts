// Which paths are routed and in which format, whose API a pass-through path belongs to and where it goes, the
// Gemini key moved out of the query, the new upstream URLs, and the WebSocket's proxy choice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { passThroughFormat, passThroughPath, routedEndpoint } from './endpoints.js';
import { moveGeminiKey } from './gemini.js';
import { endpointUrl, geminiUrl } from './providers.js';
import { createUpstream } from './upstream.js';

test('routed endpoints: Responses and embeddings with and without /v1; Gemini {model}:{method} in any version', () => {
  assert.equal(routedEndpoint('/v1/responses')?.upstream, 'responses');
  assert.equal(routedEndpoint('/responses')?.format, 'openai');
  assert.equal(routedEndpoint('/v1/responses/compact')?.upstream, 'responses_compact');
  assert.equal(routedEndpoint('/embeddings')?.endpoint, 'embeddings');
  assert.deepEqual(routedEndpoint('/v1beta/models/gemini-2.5-pro:streamGenerateContent')?.gemini, { model: 'gemini-2.5-pro', method: 'streamGenerateContent', version: 'v1beta' });
  assert.equal(routedEndpoint('/v1/models/gemini-2.5-pro:countTokens')?.format, 'gemini');
  assert.equal(routedEndpoint('/v1/responses/resp_1'), null);
  assert.equal(routedEndpoint('/v1beta/models/gemini-2.5-pro'), null);
});

test('pass-through: whose API a path belongs to', () => {
  assert.equal(passThroughFormat('/v1/messages/batches', {}), 'anthropic');
  assert.equal(passThroughFormat('/v1/files', { 'anthropic-version': '2023-06-01' }), 'anthropic');
  assert.equal(passThroughFormat('/v1/files', {}), 'openai');
  assert.equal(passThroughFormat('/v1/responses/resp_1/input_items', {}), 'openai');
  assert.equal(passThroughFormat('/responses/resp_1', {}), 'openai');
  assert.equal(passThroughFormat('/v1beta/files', {}), 'gemini');
  assert.equal(passThroughFormat('/upload/v1beta/files', {}), 'gemini');
  assert.equal(passThroughFormat('/v1/models/gemini-2.5-pro', { 'x-goog-api-key': 'k' }), 'gemini');
  assert.equal(passThroughFormat('/favicon.ico', {}), null);
});

test('pass-through: the upstream path under a deployment base (OpenAI bases end in /v1; others are roots)', () => {
  assert.equal(passThroughPath('openai', '/v1', '/v1/files'), '/v1/files');
  assert.equal(passThroughPath('openai', '/api/v1/', '/v1/batches'), '/api/v1/batches');
  assert.equal(passThroughPath('openai', '/v1', '/responses/r1'), '/v1/responses/r1');
  assert.equal(passThroughPath('anthropic', '/', '/v1/messages/batches'), '/v1/messages/batches');
  assert.equal(passThroughPath('anthropic', '/v1', '/v1/files'), '/v1/files');
  assert.equal(passThroughPath('gemini', '/v1beta', '/v1beta/files'), '/v1beta/files');
  assert.equal(passThroughPath('gemini', '/', '/upload/v1beta/files'), '/upload/v1beta/files');
});

test('upstream URLs: /responses, /embeddings under an OpenAI base; Gemini calls under a root or a /v1beta base', () => {
  assert.deepEqual(endpointUrl(new URL('https://api.openai.com/v1'), 'openai', 'responses'), { origin: 'https://api.openai.com', path: '/v1/responses' });
  assert.deepEqual(endpointUrl(new URL('https://x.test/v1/embeddings'), 'openai', 'embeddings'), { origin: 'https://x.test', path: '/v1/embeddings' });
  assert.deepEqual(endpointUrl(new URL('https://api.openai.com/v1'), 'openai', 'responses_compact'), { origin: 'https://api.openai.com', path: '/v1/responses/compact' });
  assert.deepEqual(geminiUrl(new URL('https://generativelanguage.googleapis.com'), 'v1beta', 'gemini-2.5-pro', 'generateContent'), { origin: 'https://generativelanguage.googleapis.com', path: '/v1beta/models/gemini-2.5-pro:generateContent' });
  assert.deepEqual(geminiUrl(new URL('https://proxy.test/google/v1beta/'), 'v1beta', 'm', 'countTokens'), { origin: 'https://proxy.test', path: '/google/v1beta/models/m:countTokens' });
});

test('a Gemini ?key= moves into x-goog-api-key; the rest of the query stays; a key already in the header wins', () => {
  const h: Record<string, string | string[]> = {};
  assert.equal(moveGeminiKey('?alt=sse&key=AIza1', h), '?alt=sse');
  assert.equal(h['x-goog-api-key'], 'AIza1');
  const both: Record<string, string | string[]> = { 'x-goog-api-key': 'header' };
  assert.equal(moveGeminiKey('?key=query', both), '');
  assert.equal(both['x-goog-api-key'], 'header');
  assert.equal(moveGeminiKey('?alt=sse', {}), '?alt=sse');
});

test('the WebSocket proxy choice: HTTPS_PROXY for wss, HTTP_PROXY for ws, NO_PROXY names, suffixes, ports and *', () => {
  const ws = (env: NodeJS.ProcessEnv) => createUpstream({ env, certDir: '/nonexistent', connectTimeoutMs: 1000, idleTimeoutMs: 1000 }).ws;
  const s = ws({ HTTPS_PROXY: 'http://127.0.0.1:8081', http_proxy: 'http://127.0.0.1:8082', NO_PROXY: 'internal.test,.corp.test,10.0.0.1:8443' });
  assert.equal(s.proxyFor(new URL('wss://api.openai.com/v1/responses'))?.href, 'http://127.0.0.1:8081/');
  assert.equal(s.proxyFor(new URL('ws://api.openai.com/v1/responses'))?.href, 'http://127.0.0.1:8082/');
  assert.equal(s.proxyFor(new URL('wss://internal.test/x')), null);
  assert.equal(s.proxyFor(new URL('wss://a.internal.test/x')), null);
  assert.equal(s.proxyFor(new URL('wss://b.corp.test/x')), null);
  assert.equal(s.proxyFor(new URL('wss://10.0.0.1:8443/x')), null);
  assert.ok(s.proxyFor(new URL('wss://10.0.0.1/x')));
  assert.equal(ws({ HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' }).proxyFor(new URL('wss://a.test')), null);
  assert.equal(ws({}).proxyFor(new URL('wss://a.test')), null);
});
