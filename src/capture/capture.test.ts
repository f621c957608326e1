import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { classify } from './classify.js';
import { decodeBody } from './decode.js';
import { sessionFromBody, sessionFromHeaders } from './session.js';

test('classification follows the spec: llm patterns, then mcp, then localhost, else web', () => {
  assert.equal(classify('api.anthropic.com', '/v1/messages'), 'llm');
  assert.equal(classify('bedrock-runtime.us-east-1.amazonaws.com', '/model/x/invoke'), 'llm');
  assert.equal(classify('myco.openai.azure.com', '/openai/deployments/x/chat/completions'), 'llm', 'Azure OpenAI: azure.com/openai');
  assert.equal(classify('portal.azure.com', '/'), 'web');
  assert.equal(classify('llm.internal', '/anything', ['llm.internal']), 'llm');
  assert.equal(classify('127.0.0.1', '/v1/messages?beta=true'), 'llm', 'the reverse side: known LLM API path');
  assert.equal(classify('localhost', '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse'), 'llm');
  assert.equal(classify('127.0.0.1', '/v1/chat/completions'), 'llm');
  assert.equal(classify('mcp.example.com', '/'), 'mcp');
  assert.equal(classify('tools.example.com', '/mcp/sse'), 'mcp');
  assert.equal(classify('localhost', '/health'), 'other');
  assert.equal(classify('::1', '/'), 'other');
  assert.equal(classify('example.com', '/'), 'web');
});

test('session ids: header first, then JSON user_id, then the legacy form', () => {
  assert.equal(sessionFromHeaders({ 'x-claude-code-session-id': 'hdr-1' }), 'hdr-1');
  assert.equal(sessionFromHeaders({ 'session-id': '01a227cc-c4a1-7c00-a20f-0221b4713fc4' }), '01a227cc-c4a1-7c00-a20f-0221b4713fc4', "Codex CLI's");
  assert.equal(sessionFromHeaders({ 'session-id': 'codex', 'x-claude-code-session-id': 'claude' }), 'claude');
  assert.equal(sessionFromHeaders({ 'session-id': ' ' }), null);
  assert.equal(sessionFromHeaders({}), null);
  const current = { metadata: { user_id: JSON.stringify({ device_id: 'd', account_uuid: 'a', session_id: '5f0c-uuid' }) } };
  assert.equal(sessionFromBody(current), '5f0c-uuid');
  assert.equal(sessionFromBody({ metadata: { user_id: 'user_abc123_account_def456_session_789xyz' } }), '789xyz');
  assert.equal(sessionFromBody({ metadata: { user_id: 'someone' } }), null);
  assert.equal(sessionFromBody({ model: 'x' }), null);
  assert.equal(sessionFromBody(null), null);
});

test('bodies decode from gzip, deflate (both kinds), br and zstd; unknown codings keep the raw bytes', async () => {
  const text = Buffer.from(JSON.stringify({ hello: 'world', n: [1, 2, 3] }));
  for (const [coding, enc] of [
    ['gzip', zlib.gzipSync(text)],
    ['deflate', zlib.deflateSync(text)],
    ['deflate', zlib.deflateRawSync(text)],
    ['br', zlib.brotliCompressSync(text)],
    ['gzip, br', zlib.brotliCompressSync(zlib.gzipSync(text))],
  ] as const) {
    const d = await decodeBody(enc, coding, 1 << 20);
    assert.deepEqual([d.body.toString(), d.truncated, d.error], [text.toString(), false, undefined], coding);
  }
  const zst = await decodeBody(readFileSync(new URL('../../../test/fixtures/message.json.zst', import.meta.url)), 'zstd', 1 << 20);
  assert.match(zst.body.toString(), /hello from zstd/);
  const unknown = await decodeBody(Buffer.from('xyz'), 'compress', 100);
  assert.equal(unknown.body.toString(), 'xyz');
  assert.match(unknown.error!, /unsupported content-encoding compress/);
  const broken = await decodeBody(Buffer.from('not gzip at all'), 'gzip', 100);
  assert.equal(broken.body.toString(), 'not gzip at all');
  assert.match(broken.error!, /cannot decode gzip/);
});

test('decoding is bounded: a bomb stops at the limit; a cut input yields the decoded prefix', async () => {
  const bomb = zlib.gzipSync(Buffer.alloc(200 * 1024 * 1024));
  assert.ok(bomb.length < 300 * 1024);
  const before = process.memoryUsage().rss;
  const d = await decodeBody(bomb, 'gzip', 1024 * 1024);
  assert.equal(d.body.length, 1024 * 1024);
  assert.equal(d.truncated, true);
  assert.ok(process.memoryUsage().rss - before < 150 * 1024 * 1024, 'did not inflate the whole bomb');
  const text = Buffer.from('abcdefghij'.repeat(10_000));
  const gz = zlib.gzipSync(text);
  const cut = await decodeBody(gz.subarray(0, Math.floor(gz.length / 2)), 'gzip', 1 << 20);
  assert.ok(cut.body.length > 0 && text.subarray(0, cut.body.length).equals(cut.body), 'a prefix of the original');
});
