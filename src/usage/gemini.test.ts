import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, llmFlow } from '../../test/helpers/llm-flow.js';
import { extractCall } from './extract.js';

const HOST = 'generativelanguage.googleapis.com';
const REQUEST = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }, { role: 'model', parts: [{ text: 'hello' }] }, { role: 'user', parts: [{ text: 'read it' }] }] };

test('Gemini generateContent JSON: usageMetadata with cached, thoughts and tool-use prompt tokens; model from the path', () => {
  const call = extractCall(llmFlow({ host: HOST, path: '/v1beta/models/gemini-2.5-pro:generateContent', request: REQUEST, response: fixture('gemini.json') }))!;
  assert.equal(call.api, 'gemini');
  assert.equal(call.provider, 'google');
  assert.equal(call.requestedModel, 'gemini-2.5-pro');
  assert.equal(call.servedModel, 'gemini-2.5-pro');
  assert.equal(call.streamed, false);
  assert.equal(call.stopReason, 'STOP');
  assert.equal(call.messageCount, 3);
  // input = prompt − cached + tool-use prompt; output = candidates + thoughts.
  assert.deepEqual(call.tokens, { input: 9000 - 4000 + 50, output: 120 + 350, cacheRead: 4000, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 350 });
  assert.deepEqual(call.toolCalls, ['read_file']);
  assert.deepEqual(call.notes, []);
});

test('Gemini streamGenerateContent with alt=sse: the last chunk\'s usageMetadata wins', () => {
  const call = extractCall(llmFlow({ host: HOST, path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', request: REQUEST, response: fixture('gemini-stream.sse'), contentType: 'text/event-stream' }))!;
  assert.equal(call.streamed, true);
  assert.equal(call.servedModel, 'gemini-2.5-flash');
  assert.deepEqual(call.tokens, { input: 1500 - 1024, output: 112, cacheRead: 1024, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 100 });
  assert.equal(call.stopReason, 'STOP');
  assert.deepEqual(call.notes, []);
});

test('Gemini streamGenerateContent without alt=sse (a JSON array), and Code Assist\'s wrapped form', () => {
  const call = extractCall(llmFlow({ host: HOST, path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent', request: REQUEST, response: fixture('gemini-stream-array.json') }))!;
  assert.equal(call.streamed, true);
  assert.equal(call.tokens.output, 112);
  const inner = JSON.parse(fixture('gemini.json').toString());
  const wrapped = extractCall(llmFlow({ host: 'cloudcode-pa.googleapis.com', path: '/v1internal:generateContent', request: { model: 'gemini-2.5-pro', project: 'p', request: REQUEST }, response: { response: inner, traceId: 't' } }))!;
  assert.equal(wrapped.requestedModel, 'gemini-2.5-pro');
  assert.equal(wrapped.messageCount, 3);
  assert.equal(wrapped.tokens.cacheRead, 4000);
});

test('Gemini: a stream cut inside its first chunk gives no usage and says so', () => {
  const text = fixture('gemini-stream.sse').toString().slice(0, 80);
  const call = extractCall(llmFlow({ host: HOST, path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', request: REQUEST, response: text, contentType: 'text/event-stream' }))!;
  assert.equal(call.tokens.input, null);
  assert.ok(call.notes.includes('the stream was cut inside an event'));
  assert.ok(call.notes.includes('the response carries no usageMetadata'));
});

test('Gemini: a stream cut after some chunks (no finishReason yet) keeps its prompt count; its output count is partial, so unknown', () => {
  const full = fixture('gemini-stream.sse').toString();
  const events = full.split('\n\n').filter((e) => e.trim() !== '');
  assert.ok(events.length >= 2 && !events[0]!.includes('finishReason') && events[events.length - 1]!.includes('finishReason'));
  const cut = events.slice(0, -1).join('\n\n') + '\n\n';
  const call = extractCall(llmFlow({ host: HOST, path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', request: REQUEST, response: cut, contentType: 'text/event-stream' }))!;
  assert.equal(call.tokens.output, null);
  assert.ok(call.tokens.input !== null);
  assert.equal(call.stopReason, null);
  assert.ok(call.notes.includes('the stream ends before a finishReason: output tokens unknown'), call.notes.join('; '));
});
