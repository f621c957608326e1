import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, llmFlow } from '../../test/helpers/llm-flow.js';
import { extractCall } from './extract.js';

const CHAT = { model: 'gpt-5.5', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'weather in Paris?' }], tools: [] };
const SSE = 'text/event-stream; charset=utf-8';

test('OpenAI chat JSON: cached prompt tokens and reasoning tokens', () => {
  const call = extractCall(llmFlow({ host: 'api.openai.com', path: '/v1/chat/completions', request: CHAT, response: fixture('openai-chat.json') }))!;
  assert.equal(call.api, 'openai-chat');
  assert.equal(call.provider, 'openai');
  assert.equal(call.requestedModel, 'gpt-5.5');
  assert.equal(call.servedModel, 'gpt-5.5-2026-04-23');
  assert.equal(call.stopReason, 'tool_calls');
  assert.equal(call.messageCount, 2);
  assert.equal(call.serviceTier, 'default');
  assert.deepEqual(call.tokens, { input: 1117 - 1024, output: 46, cacheRead: 1024, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 30 });
  assert.deepEqual(call.toolCalls, ['get_weather']);
  assert.deepEqual(call.notes, []);
});

test('OpenAI chat SSE: the usage-only last chunk, tool call names from their first delta', () => {
  const request = { ...CHAT, stream: true, stream_options: { include_usage: true } };
  const call = extractCall(llmFlow({ host: 'api.openai.com', path: '/v1/chat/completions', request, response: fixture('openai-chat-stream.sse'), contentType: SSE }))!;
  assert.equal(call.streamed, true);
  assert.equal(call.stopReason, 'tool_calls');
  assert.deepEqual(call.tokens, { input: 152, output: 120, cacheRead: 2048, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 64 });
  assert.deepEqual(call.toolCalls, ['get_weather']);
  assert.deepEqual(call.notes, []);
});

test('OpenAI chat SSE without include_usage: no tokens, and the reason', () => {
  const text = fixture('openai-chat-stream.sse').toString().split('\n\n').filter((e) => !e.includes('"usage":{')).join('\n\n');
  const call = extractCall(llmFlow({ host: 'api.openai.com', path: '/chat/completions', request: { ...CHAT, stream: true }, response: text, contentType: SSE }))!;
  assert.equal(call.tokens.output, null);
  assert.ok(call.notes.some((n) => n.includes('stream_options.include_usage')), call.notes.join('; '));
});

test('OpenAI Responses JSON: cached input, reasoning, web searches and function calls', () => {
  const call = extractCall(llmFlow({ host: 'api.openai.com', path: '/v1/responses', request: { model: 'gpt-5.5', input: [{ role: 'user', content: 'hi' }] }, response: fixture('openai-responses.json') }))!;
  assert.equal(call.api, 'openai-responses');
  assert.equal(call.servedModel, 'gpt-5.5-2026-04-23');
  assert.equal(call.stopReason, 'completed');
  assert.equal(call.messageCount, 1);
  assert.deepEqual(call.tokens, { input: 36, output: 87, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 64 });
  assert.equal(call.webSearchRequests, 1);
  assert.deepEqual(call.toolCalls, ['web_search', 'get_weather']);
  assert.deepEqual(call.notes, []);
});

test('OpenAI Responses SSE: usage from response.completed, first token from the first delta', () => {
  const body = fixture('openai-responses-stream.sse');
  const text = body.toString();
  const upToDelta = Buffer.byteLength(text.slice(0, text.indexOf('event: response.output_text.delta') + 60));
  const chunks = [{ at: 5_000_100, bytes: 100 }, { at: 5_000_400, bytes: upToDelta - 100 }, { at: 5_000_900, bytes: body.length - upToDelta }];
  const call = extractCall(llmFlow({ host: 'chatgpt.com', path: '/backend-api/codex/responses', request: { model: 'gpt-5.5', input: 'hi', stream: true }, response: body, contentType: SSE, start: 5_000_000 }), { chunks })!;
  assert.equal(call.streamed, true);
  assert.equal(call.serviceTier, 'default');
  assert.equal(call.servedModel, 'gpt-5.6-sol');
  assert.deepEqual(call.tokens, { input: 404, output: 300, cacheRead: 4096, cacheWrite5m: 500, cacheWrite1h: 0, reasoning: 256 });
  assert.deepEqual(call.toolCalls, ['shell']);
  assert.equal(call.timeToFirstTokenMs, 900, 'the first delta event completes in the last chunk');
  assert.deepEqual(call.notes, []);
});

test('OpenAI Responses SSE cut before response.completed: items seen so far, no usage, notes', () => {
  const text = fixture('openai-responses-stream.sse').toString();
  const cut = text.slice(0, text.indexOf('event: response.completed'));
  const call = extractCall(llmFlow({ host: 'api.openai.com', path: '/v1/responses', request: { model: 'gpt-5.5', input: 'hi', stream: true }, response: cut, contentType: SSE }))!;
  assert.equal(call.tokens.input, null);
  assert.deepEqual(call.toolCalls, ['shell']);
  assert.equal(call.stopReason, null, 'a response still in_progress has not stopped');
  assert.ok(call.notes.includes('the stream ended before response.completed'));
  assert.ok(call.notes.includes('the response carries no usage'));
});
