import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, llmFlow } from '../../test/helpers/llm-flow.js';
import { extractCall } from './extract.js';

const REQUEST = { model: 'claude-opus-4-8', max_tokens: 1024, stream: false, messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }, { role: 'user', content: 'weather?' }] };

test('Anthropic JSON: tokens by kind, cache writes split by TTL, server tools, tool calls, stop reason, models', () => {
  const call = extractCall(llmFlow({ path: '/v1/messages?beta=true', request: REQUEST, response: fixture('anthropic-message.json') }))!;
  assert.equal(call.api, 'anthropic-messages');
  assert.equal(call.provider, 'anthropic');
  assert.equal(call.requestedModel, 'claude-opus-4-8');
  assert.equal(call.servedModel, 'claude-opus-4-8');
  assert.equal(call.streamed, false);
  assert.equal(call.stopReason, 'tool_use');
  assert.equal(call.messageCount, 3);
  assert.deepEqual(call.tokens, { input: 2095, output: 503, cacheRead: 12000, cacheWrite5m: 1000, cacheWrite1h: 2000, reasoning: 120 });
  assert.equal(call.speed, 'standard');
  assert.equal(call.inferenceGeo, 'global');
  assert.equal(call.webSearchRequests, 1);
  assert.equal(call.webFetchRequests, 0);
  assert.equal(call.serviceTier, 'standard');
  assert.deepEqual(call.toolCalls, ['web_search', 'get_weather']);
  assert.deepEqual(call.notes, []);
});

test('Anthropic SSE: message_start usage merged with the cumulative message_delta usage', () => {
  const call = extractCall(llmFlow({ path: '/v1/messages', request: { ...REQUEST, stream: true }, response: fixture('anthropic-stream.sse'), contentType: 'text/event-stream; charset=utf-8' }))!;
  assert.equal(call.streamed, true);
  assert.equal(call.servedModel, 'claude-opus-4-8');
  assert.equal(call.stopReason, 'tool_use');
  // output_tokens 2 at message_start becomes 89; the TTL split only came with message_start and survives the merge.
  assert.deepEqual(call.tokens, { input: 472, output: 89, cacheRead: 30000, cacheWrite5m: 200, cacheWrite1h: 1000, reasoning: null });
  assert.equal(call.webSearchRequests, 2);
  assert.deepEqual(call.toolCalls, ['get_weather']);
  assert.deepEqual(call.notes, []);
});

test('Anthropic: without cache_creation, cache_creation_input_tokens count as 5-minute writes', () => {
  const body = { type: 'message', model: 'claude-haiku-4-5-20251001', content: [{ type: 'text', text: 'x' }], stop_reason: 'end_turn', usage: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 700, cache_read_input_tokens: 0 } };
  const call = extractCall(llmFlow({ path: '/v1/messages', request: REQUEST, response: body }))!;
  assert.equal(call.tokens.cacheWrite5m, 700);
  assert.equal(call.tokens.cacheWrite1h, 0);
});

test('Anthropic: time to first token and output speed from the chunks the stream arrived in', () => {
  const body = fixture('anthropic-stream.sse');
  const text = body.toString();
  const firstDelta = Buffer.byteLength(text.slice(0, text.indexOf('event: content_block_delta')));
  const sizes = [firstDelta, 40, body.length - firstDelta - 40];
  const chunks = [{ at: 1_000_200, bytes: sizes[0] }, { at: 1_000_500, bytes: sizes[1] }, { at: 1_001_500, bytes: sizes[2] }];
  const call = extractCall(llmFlow({ path: '/v1/messages', request: { ...REQUEST, stream: true }, response: body, contentType: 'text/event-stream', start: 1_000_000 }), { chunks })!;
  // The first content_block_delta completes in the third chunk (the second holds only its first 40 bytes).
  assert.equal(call.timeToFirstTokenMs, 1500);
  assert.equal(call.outputTokensPerSecond, null, 'no time passes between the first token and the last chunk');
  const even = [{ at: 1_000_300, bytes: firstDelta + 400 }, { at: 1_002_300, bytes: body.length - firstDelta - 400 }];
  const call2 = extractCall(llmFlow({ path: '/v1/messages', request: { ...REQUEST, stream: true }, response: body, contentType: 'text/event-stream', start: 1_000_000 }), { chunks: even })!;
  assert.equal(call2.timeToFirstTokenMs, 300);
  assert.equal(call2.outputTokensPerSecond, 89 / 2);
});

test('Anthropic SSE cut midway: what was read, and notes saying what was not', () => {
  const full = fixture('anthropic-stream.sse').toString();
  const cut = full.slice(0, full.indexOf('"partial_json":"ncisco') + 5);
  const call = extractCall(llmFlow({ path: '/v1/messages', request: { ...REQUEST, stream: true }, response: cut, contentType: 'text/event-stream', responseTruncated: true }))!;
  assert.equal(call.tokens.input, 472);
  assert.equal(call.tokens.output, null, "message_start's output count is a placeholder: unknown, not 2");
  assert.equal(call.usage?.output_tokens, 2, 'the usage as read keeps what it said');
  assert.ok(call.notes.includes('the stream ends before its final usage (message_delta): output tokens unknown'), call.notes.join('; '));
  assert.equal(call.tokens.cacheWrite1h, 1000);
  assert.equal(call.stopReason, null);
  assert.ok(call.notes.includes('the stream ended before message_stop'), call.notes.join('; '));
  assert.ok(call.notes.includes('the stream was cut inside an event'));
  assert.ok(call.notes.includes('the stored response body was cut at the size limit'));
});

test('Anthropic SSE cut after its message_delta: the usage is final (only message_stop is missing)', () => {
  const full = fixture('anthropic-stream.sse').toString();
  const cut = full.slice(0, full.indexOf('event: message_stop'));
  const call = extractCall(llmFlow({ path: '/v1/messages', request: { ...REQUEST, stream: true }, response: cut, contentType: 'text/event-stream' }))!;
  assert.equal(call.tokens.output, 89);
  assert.ok(call.notes.includes('the stream ended before message_stop'));
  assert.ok(!call.notes.some((n) => n.includes('final usage')), call.notes.join('; '));
});

test('Anthropic: a count that is a fraction or too large for a row is left unread, with a note', () => {
  const call = extractCall(llmFlow({ path: '/v1/messages', request: REQUEST, response: { type: 'message', model: 'claude-opus-4-8', content: [], usage: { input_tokens: 100.5, output_tokens: 3_000_000_000, cache_read_input_tokens: 7, cache_creation: { ephemeral_5m_input_tokens: 1e300, ephemeral_1h_input_tokens: 0 } } } }))!;
  assert.deepEqual([call.tokens.input, call.tokens.output, call.tokens.cacheRead], [null, null, 7]);
  assert.equal(call.tokens.cacheWrite5m, 0);
  assert.ok(call.notes.includes('not token counts, left unread: input_tokens 100.5, output_tokens 3000000000, cache_creation.ephemeral_5m_input_tokens 1e+300'), call.notes.join('; '));
});

test('Anthropic: bodies that are not JSON, an error answer, no response at all: a record with reasons, never a throw', () => {
  const garbage = extractCall(llmFlow({ path: '/v1/messages', request: '{"model": "claude-opus-4-8", "messa', response: '<html>502 Bad Gateway</html>', status: 502, contentType: 'text/html' }))!;
  assert.equal(garbage.api, 'anthropic-messages');
  assert.equal(garbage.tokens.input, null);
  assert.equal(garbage.requestedModel, 'claude-opus-4-8', 'read as far as the body goes');
  assert.ok(garbage.notes.some((n) => n.startsWith('the request body ends before its JSON does')));
  const text = extractCall(llmFlow({ path: '/v1/messages', request: 'model=claude', response: '{}' }))!;
  assert.ok(text.notes.includes('the request body is not a JSON object: not a JSON object at byte 0'), text.notes.join('; '));
  assert.ok(garbage.notes.some((n) => n.startsWith('the response body is not JSON')));
  assert.ok(garbage.notes.includes('the response status is 502'));
  const error = extractCall(llmFlow({ path: '/v1/messages', request: REQUEST, status: 529, response: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } }))!;
  assert.ok(error.notes.includes('the API answered an error: overloaded_error: Overloaded'));
  const none = extractCall(llmFlow({ path: '/v1/messages', request: REQUEST, noResponse: true }))!;
  assert.deepEqual(none.notes, ['no response: connection reset']);
  const odd = extractCall(llmFlow({ path: '/v1/messages', request: REQUEST, response: { type: 'message', content: 'not a list', usage: { input_tokens: 'many', output_tokens: -3 } } }))!;
  assert.equal(odd.tokens.input, null);
  assert.ok(odd.notes.includes('usage without input_tokens'));
});

test('a stream labelled as JSON is told by its first characters, a long comment line in another script included', () => {
  const comment = `: ${'流'.repeat(40)}\n\n`; // 40 characters, 120 bytes
  const call = extractCall(llmFlow({ path: '/v1/messages', request: { ...REQUEST, stream: true }, response: comment + fixture('anthropic-stream.sse'), contentType: 'application/json' }))!;
  assert.equal(call.streamed, true);
  assert.equal(call.tokens.output, 89);
  assert.deepEqual(call.notes, []);
});
