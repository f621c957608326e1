import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromGeminiResponse } from './from-gemini-response.js';
import { GeminiStreamTranslator } from './from-gemini-stream.js';
import { parseEvents as events } from './sse-events.js';
import { splitToolId } from './gemini-ids.js';

const usageMetadata = { promptTokenCount: 900, candidatesTokenCount: 30, thoughtsTokenCount: 12, totalTokenCount: 942, cachedContentTokenCount: 500, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 900 }] };
const sig = 'CiQB0e2Kb8c5w3lX+yZ/abc=';

test('a generateContent answer: thought, text, a signed functionCall → thinking, text, tool_use (signature kept in the id)', () => {
  const m = fromGeminiResponse({
    candidates: [{ content: { role: 'model', parts: [{ text: 'Plan.', thought: true }, { text: 'Running ' }, { text: 'ls.' }, { functionCall: { name: 'Bash', args: { command: 'ls' } }, thoughtSignature: sig }] } as any, finishReason: 'STOP' }],
    usageMetadata,
    modelVersion: 'gemini-2.5-pro',
    responseId: 'abc',
  }, 'claude-x') as any;
  assert.deepEqual(m.content.map((b: any) => b.type), ['thinking', 'text', 'tool_use']);
  assert.equal(m.content[1].text, 'Running ls.');
  assert.equal(splitToolId(m.content[2].id).signature, sig);
  assert.equal(m.stop_reason, 'tool_use');
  assert.deepEqual(m.usage, { input_tokens: 400, output_tokens: 42, cache_read_input_tokens: 500, cache_creation_input_tokens: 0 });
});

test('Gemini stop reasons: MAX_TOKENS, SAFETY; an unknown one passed on; a blocked prompt is a refusal', () => {
  const stop = (finishReason: string) => (fromGeminiResponse({ candidates: [{ content: { parts: [{ text: 'x' }] }, finishReason }] }, 'm') as any).stop_reason;
  assert.deepEqual(['STOP', 'MAX_TOKENS', 'SAFETY', 'MALFORMED_FUNCTION_CALL'].map(stop), ['end_turn', 'max_tokens', 'refusal', 'MALFORMED_FUNCTION_CALL']);
  assert.equal((fromGeminiResponse({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } }, 'm') as any).stop_reason, 'refusal');
});

test('a stream: message_start has the real input_tokens; text then a whole functionCall → one input_json_delta', () => {
  const t = new GeminiStreamTranslator('claude-x');
  const chunks = [
    { candidates: [{ content: { parts: [{ text: 'Let me ' }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 900, cachedContentTokenCount: 500, totalTokenCount: 900 }, modelVersion: 'gemini-2.5-flash', responseId: 'r1' },
    { candidates: [{ content: { parts: [{ text: 'check.' }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 900, cachedContentTokenCount: 500, totalTokenCount: 905 }, modelVersion: 'gemini-2.5-flash', responseId: 'r1' },
    { candidates: [{ content: { parts: [{ functionCall: { name: 'Bash', args: { command: 'ls -la' } }, thoughtSignature: sig }, { functionCall: { name: 'Read', args: {} } }], role: 'model' }, finishReason: 'STOP', index: 0 }], usageMetadata, modelVersion: 'gemini-2.5-flash', responseId: 'r1' },
  ];
  let out = '';
  for (const c of chunks) out += t.data(JSON.stringify(c));
  out += t.end();
  const ev = events(out);
  assert.equal(ev[0]!.message.usage.input_tokens, 400);
  assert.deepEqual(ev.map((e) => e.type), ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'content_block_start', 'content_block_delta', 'content_block_start', 'content_block_delta', 'content_block_stop', 'content_block_stop', 'message_delta', 'message_stop']);
  assert.equal(splitToolId(ev[5]!.content_block.id).signature, sig);
  assert.deepEqual(ev[6]!.delta, { type: 'input_json_delta', partial_json: '{"command":"ls -la"}' });
  assert.deepEqual(ev[8]!.delta, { type: 'input_json_delta', partial_json: '{}' });
  assert.deepEqual(ev.at(-2)!.delta, { stop_reason: 'tool_use', stop_sequence: null });
  assert.equal(ev.at(-2)!.usage.output_tokens, 42);
});

test('a stream with thought parts → a thinking block; a stream that breaks off → an error event', () => {
  const t = new GeminiStreamTranslator('claude-x');
  const out = t.data(JSON.stringify({ candidates: [{ content: { parts: [{ text: 'Considering', thought: true }], role: 'model' } }] })) + t.fail('socket hang up');
  const ev = events(out);
  assert.equal(ev[1]!.content_block.type, 'thinking');
  assert.deepEqual(ev.at(-1), { type: 'error', error: { type: 'api_error', message: 'socket hang up' } });
});
