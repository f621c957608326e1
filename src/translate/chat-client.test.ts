import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ANTHROPIC_MESSAGE, ANTHROPIC_STREAM, sseData } from './anthropic-wire.js';
import { fromChatRequest, TranslationRefusal } from './from-chat-request.js';
import { toChatResponse } from './to-chat-response.js';
import { ChatStreamWriter } from './to-chat-stream.js';

test('a chat request → Anthropic: system + developer as system, tool messages as tool_results after the calls, then the text', () => {
  const { request, warnings, includeUsage } = fromChatRequest({
    model: 'claude-sonnet-4-5',
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'developer', content: [{ type: 'text', text: 'Use tools.' }] },
      { role: 'user', content: [{ type: 'text', text: 'what is here?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'Bash', arguments: '{"command":"ls"}' } }, { id: 'call_b', type: 'function', function: { name: 'Read', arguments: '' } }] },
      { role: 'tool', tool_call_id: 'call_a', content: 'a.ts' },
      { role: 'tool', tool_call_id: 'call_b', content: [{ type: 'text', text: 'file text' }] },
      { role: 'user', content: 'and now?' },
    ],
    tools: [{ type: 'function', function: { name: 'Bash', description: 'Run', parameters: { type: 'object', properties: { command: { type: 'string' } } } } }, { type: 'function', function: { name: 'Read' } }],
    tool_choice: 'required',
    parallel_tool_calls: false,
    max_completion_tokens: 2048,
    temperature: 1.5,
    stop: ['\n', 'END'],
    stream: true,
    stream_options: { include_usage: true },
    seed: 7,
  });
  assert.equal(request.system, 'You are terse.\n\nUse tools.');
  assert.deepEqual(request.messages.map((m) => m.role), ['user', 'assistant', 'user']);
  assert.deepEqual(request.messages[0]!.content, [{ type: 'text', text: 'what is here?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }]);
  assert.deepEqual(request.messages[1]!.content, [
    { type: 'tool_use', id: 'call_a', name: 'Bash', input: { command: 'ls' } },
    { type: 'tool_use', id: 'call_b', name: 'Read', input: {} },
  ]);
  assert.deepEqual(request.messages[2]!.content, [
    { type: 'tool_result', tool_use_id: 'call_a', content: 'a.ts' },
    { type: 'tool_result', tool_use_id: 'call_b', content: [{ type: 'text', text: 'file text' }] },
    { type: 'text', text: 'and now?' },
  ]);
  assert.deepEqual(request.tools![1], { name: 'Read', input_schema: { type: 'object', properties: {} } });
  assert.deepEqual(request.tool_choice, { type: 'any', disable_parallel_tool_use: true });
  assert.equal(request.max_tokens, 2048);
  assert.equal(request.temperature, 1);
  assert.deepEqual(request.stop_sequences, ['END'], 'a whitespace-only stop sequence is refused by Anthropic');
  assert.equal(includeUsage, true);
  assert.ok(warnings.some((w) => w.startsWith('seed')) && warnings.some((w) => w.startsWith('temperature')), warnings.join('\n'));
});

test('reasoning_effort → a thinking budget under max_tokens (temperature dropped); none → no thinking; max_tokens defaults; n > 1 refused', () => {
  const r = fromChatRequest({ model: 'claude-opus-4-1', messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'high', temperature: 0.2 });
  assert.deepEqual(r.request.thinking, { type: 'enabled', budget_tokens: 24576 });
  assert.equal(r.request.max_tokens, 32000);
  assert.equal(r.request.temperature, undefined);
  assert.equal(fromChatRequest({ model: 'claude-3-5-haiku', messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'minimal' }).request.thinking, undefined);
  assert.equal(fromChatRequest({ model: 'claude-3-5-haiku', messages: [{ role: 'user', content: 'x' }] }).request.max_tokens, 8192);
  assert.equal(fromChatRequest({ model: 'c', messages: [{ role: 'user', content: 'x' }], max_tokens: 1500, reasoning_effort: 'low' }).request.thinking?.budget_tokens, 1024);
  assert.throws(() => fromChatRequest({ model: 'c', n: 2, messages: [] }), TranslationRefusal);
  assert.throws(() => fromChatRequest({ model: 'c' }), /messages: expected an array/);
});

test('cache_control on system and user parts is kept (LiteLLM clients send it)', () => {
  const { request } = fromChatRequest({ model: 'c', messages: [{ role: 'system', content: [{ type: 'text', text: 'Long prompt', cache_control: { type: 'ephemeral', ttl: '1h' } }] }, { role: 'user', content: [{ type: 'text', text: 'q', cache_control: { type: 'ephemeral' } }] }] });
  assert.deepEqual(request.system, [{ type: 'text', text: 'Long prompt', cache_control: { type: 'ephemeral', ttl: '1h' } }]);
  assert.deepEqual((request.messages[0]!.content as object[])[0], { type: 'text', text: 'q', cache_control: { type: 'ephemeral' } });
});

test('an Anthropic message → a chat completion: content, reasoning_content, tool_calls with string arguments, usage with the cache inside the prompt', () => {
  const c = toChatResponse(ANTHROPIC_MESSAGE, 'claude-sonnet-4-5') as any;
  assert.equal(c.object, 'chat.completion');
  assert.equal(c.id, 'chatcmpl-01XFDUDYJgAACzvnptvVoYEL');
  assert.equal(c.choices[0].finish_reason, 'tool_calls');
  assert.equal(c.choices[0].message.content, 'Let me look.');
  assert.equal(c.choices[0].message.reasoning_content, 'List, then read.');
  assert.deepEqual(c.choices[0].message.tool_calls, [
    { id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', type: 'function', function: { name: 'Bash', arguments: '{"command":"ls -la"}' } },
    { id: 'toolu_01AbCdEfGhIjKlMnOpQrStUv', type: 'function', function: { name: 'Read', arguments: '{"path":"a.ts"}' } },
  ]);
  assert.deepEqual(c.usage, { prompt_tokens: 2520, completion_tokens: 89, total_tokens: 2609, prompt_tokens_details: { cached_tokens: 2048 }, completion_tokens_details: { reasoning_tokens: 0 } });
});

test('finish reasons: end_turn/stop_sequence → stop, max_tokens → length, refusal → content_filter; an unknown one passed on', () => {
  const finish = (stop_reason: string) => (toChatResponse({ ...ANTHROPIC_MESSAGE, content: [{ type: 'text', text: 'x' }], stop_reason }, 'm') as any).choices[0].finish_reason;
  assert.deepEqual(['end_turn', 'stop_sequence', 'max_tokens', 'refusal', 'tool_use', 'brand_new'].map(finish), ['stop', 'stop', 'length', 'content_filter', 'tool_calls', 'brand_new']);
});

function chatChunks(includeUsage: boolean) {
  const w = new ChatStreamWriter('claude-sonnet-4-5', includeUsage);
  let out = '';
  for (const d of sseData(ANTHROPIC_STREAM)) out += w.event(JSON.parse(d));
  out += w.end();
  return sseData(out);
}

test('an Anthropic stream → chat chunks: role, reasoning, content, tool calls by index (id and name first), finish, usage-only chunk, [DONE]', () => {
  const data = chatChunks(true);
  assert.equal(data.at(-1), '[DONE]');
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
  for (const c of chunks) {
    assert.equal(c.object, 'chat.completion.chunk');
    assert.equal(c.id, 'chatcmpl-01XFDUDYJgAACzvnptvVoYEL');
  }
  const deltas = chunks.filter((c) => c.choices.length > 0).map((c) => c.choices[0].delta);
  assert.deepEqual(deltas[0], { role: 'assistant', content: '', refusal: null });
  assert.deepEqual(deltas[1], { reasoning_content: 'List, then read.' });
  assert.equal(deltas.filter((d) => d.content).map((d) => d.content).join(''), 'Let me look.');
  const calls = deltas.filter((d) => d.tool_calls).map((d) => d.tool_calls[0]);
  assert.deepEqual(calls[0], { index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', type: 'function', function: { name: 'Bash', arguments: '' } });
  const args = (i: number) => calls.filter((c) => c.index === i).map((c) => c.function.arguments).join('');
  assert.equal(args(0), '{"command": "ls -la"}');
  assert.equal(args(1), '{"path":"a.ts"}');
  assert.deepEqual(calls.find((c) => c.index === 1).id, 'toolu_01AbCdEfGhIjKlMnOpQrStUv');
  const finish = chunks.find((c) => c.choices[0]?.finish_reason);
  assert.equal(finish.choices[0].finish_reason, 'tool_calls');
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, [], 'the usage-only chunk');
  assert.deepEqual(last.usage, { prompt_tokens: 2520, completion_tokens: 89, total_tokens: 2609, prompt_tokens_details: { cached_tokens: 2048 }, completion_tokens_details: { reasoning_tokens: 0 } });
});

test('without include_usage there is no usage chunk; an error event mid-stream → an error data event and nothing after', () => {
  const data = chatChunks(false);
  assert.ok(data.slice(0, -1).every((d) => JSON.parse(d).usage === undefined));
  const w = new ChatStreamWriter('m', true);
  const out = w.event({ type: 'message_start', message: { id: 'msg_1', usage: {} } }) + w.event({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }) + w.end();
  const d = sseData(out);
  assert.deepEqual(JSON.parse(d.at(-1)!), { error: { message: 'Overloaded', type: 'overloaded_error', param: null, code: 'overloaded_error' } });
  assert.equal(d.length, 2);
});
