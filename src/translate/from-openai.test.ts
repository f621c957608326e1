import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromOpenAIResponse } from './from-openai-response.js';
import { OpenAIStreamTranslator } from './from-openai-stream.js';
import { parseEvents as events } from './sse-events.js';

const chunk = (delta: Record<string, unknown>, finish: string | null = null) => JSON.stringify({ id: 'chatcmpl-B9', object: 'chat.completion.chunk', created: 1760000000, model: 'gpt-4o-2024-08-06', system_fingerprint: 'fp_1', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
const usageChunk = JSON.stringify({ id: 'chatcmpl-B9', object: 'chat.completion.chunk', created: 1760000000, model: 'gpt-4o-2024-08-06', choices: [], usage: { prompt_tokens: 1200, completion_tokens: 40, total_tokens: 1240, prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } } });

test('a completion with reasoning, text and two tool calls → thinking, text, tool_use×2; usage net of the cache', () => {
  const m = fromOpenAIResponse({
    id: 'chatcmpl-1',
    model: 'deepseek-reasoner',
    choices: [{ message: { content: 'Checking.', reasoning_content: 'Think first.', tool_calls: [{ id: 'call_1', function: { name: 'Bash', arguments: '{"command":"ls"}' } }, { function: { name: 'Read', arguments: '' } }, { id: 'call_3', function: { name: 'Grep', arguments: '{"pattern":"a' } }] }, finish_reason: 'tool_calls' }],
    usage: { prompt_tokens: 100, completion_tokens: 20, prompt_cache_hit_tokens: 60 },
  }, 'claude-x') as any;
  assert.deepEqual(m.content.map((b: any) => b.type), ['thinking', 'text', 'tool_use', 'tool_use', 'tool_use']);
  assert.deepEqual(m.content[2].input, { command: 'ls' });
  assert.match(m.content[3].id, /^toolu_/, 'a missing id is generated');
  assert.deepEqual(m.content[3].input, {}, 'empty arguments → {}');
  assert.deepEqual(m.content[4].input, { pattern: 'a' }, 'cut-short arguments closed');
  assert.equal(m.stop_reason, 'tool_use');
  assert.deepEqual(m.usage, { input_tokens: 40, output_tokens: 20, cache_read_input_tokens: 60, cache_creation_input_tokens: 0 });
});

test('stop reasons: stop, length, tool_calls, content_filter; an unknown one is passed on, not end_turn', () => {
  const stop = (finish_reason: string) => (fromOpenAIResponse({ choices: [{ message: { content: 'x' }, finish_reason }] }, 'm') as any).stop_reason;
  assert.deepEqual(['stop', 'length', 'tool_calls', 'content_filter', 'insufficient_system_resource'].map(stop), ['end_turn', 'max_tokens', 'tool_use', 'refusal', 'insufficient_system_resource']);
});

test('a stream: text then two parallel tool calls interleaved by index; the text block closes first; usage from the usage-only chunk', () => {
  const t = new OpenAIStreamTranslator('claude-x');
  let out = '';
  for (const c of [
    chunk({ role: 'assistant', content: '', refusal: null }),
    chunk({ content: 'Let me ' }),
    chunk({ content: 'look.' }),
    chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'Bash', arguments: '' } }] }),
    chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'Read', arguments: '' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '{"command":' } }] }),
    chunk({ tool_calls: [{ index: 1, function: { arguments: '{"file_path":"/a"}' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '"ls"}' } }] }),
    chunk({}, 'tool_calls'),
    usageChunk,
    '[DONE]',
  ]) out += t.data(c);
  const ev = events(out);
  assert.deepEqual(ev.map((e) => e.type), ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'content_block_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'content_block_stop', 'message_delta', 'message_stop']);
  assert.equal(ev[0]!.message.id, 'msg_B9');
  assert.deepEqual(ev[4], { type: 'content_block_stop', index: 0 });
  assert.deepEqual(ev[5]!.content_block, { type: 'tool_use', id: 'call_a', name: 'Bash', input: {} });
  assert.equal(ev[6]!.index, 2);
  const json = (i: number) => ev.filter((e) => e.type === 'content_block_delta' && e.index === i).map((e) => e.delta.partial_json).join('');
  assert.deepEqual(JSON.parse(json(1)), { command: 'ls' });
  assert.deepEqual(JSON.parse(json(2)), { file_path: '/a' });
  assert.deepEqual(ev.at(-2), { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { input_tokens: 176, output_tokens: 40, cache_read_input_tokens: 1024, cache_creation_input_tokens: 0 } });
  assert.equal(t.data(chunk({ content: 'late' })), '', 'nothing after the end');
});

test('a stream: reasoning_content → a thinking block before the text; a call without id or arguments gets both', () => {
  const t = new OpenAIStreamTranslator('claude-x');
  let out = '';
  for (const c of [chunk({ role: 'assistant', reasoning_content: 'Hmm' }), chunk({ reasoning_content: '.' }), chunk({ content: 'Hi' }), chunk({ tool_calls: [{ index: 0, function: { name: 'Noop' } }] }), chunk({ tool_calls: [{ index: 1, id: 'c2', function: { name: 'Bad', arguments: 'oops' } }] }), chunk({}, 'stop')]) out += t.data(c);
  out += t.end();
  const ev = events(out);
  assert.deepEqual(ev[1]!.content_block, { type: 'thinking', thinking: '', signature: '' });
  assert.deepEqual(ev[2]!.delta, { type: 'thinking_delta', thinking: 'Hmm' });
  assert.deepEqual(ev[4]!.delta, { type: 'signature_delta', signature: 'ccproxy-translated:openai' }, 'signed as made from OpenAI-format reasoning, so it goes back to no other provider');
  assert.deepEqual(ev[5], { type: 'content_block_stop', index: 0 });
  const start = ev.find((e) => e.type === 'content_block_start' && e.content_block.name === 'Noop')!;
  assert.match(start.content_block.id, /^toolu_/);
  const json = (i: number) => ev.filter((e) => e.type === 'content_block_delta' && e.index === i).map((e) => e.delta.partial_json).join('');
  assert.equal(json(2), '{}');
  assert.equal(json(3), '{}', 'invalid arguments held back and replaced');
  assert.equal(ev.at(-2)!.delta.stop_reason, 'tool_use', 'calls made under "stop" are still tool_use');
});

test('an error chunk mid-stream → an SSE error event, nothing after it', () => {
  const t = new OpenAIStreamTranslator('claude-x');
  const out = t.data(chunk({ content: 'Hi' })) + t.data(JSON.stringify({ error: { message: 'Internal error', type: 'server_error' } })) + t.end();
  const ev = events(out);
  assert.deepEqual(ev.at(-1), { type: 'error', error: { type: 'api_error', message: 'Internal error' } });
  assert.equal(ev.filter((e) => e.type === 'message_stop').length, 0);
});

test("OpenAI's structured refusal is the answer's text, and content_filter its stop reason", () => {
  const m = fromOpenAIResponse({ choices: [{ message: { content: null, refusal: "I can't help with that." }, finish_reason: 'content_filter' }] }, 'm') as any;
  assert.deepEqual(m.content, [{ type: 'text', text: "I can't help with that." }]);
  assert.equal(m.stop_reason, 'refusal');
  const t = new OpenAIStreamTranslator('m');
  const ev = events(t.data(chunk({ refusal: 'No.' })) + t.data(chunk({}, 'content_filter')) + t.end());
  assert.deepEqual(ev[2]!.delta, { type: 'text_delta', text: 'No.' });
  assert.equal(ev.at(-2)!.delta.stop_reason, 'refusal');
});
