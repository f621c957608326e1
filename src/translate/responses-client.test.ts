import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ANTHROPIC_MESSAGE, ANTHROPIC_STREAM, sseData } from './anthropic-wire.js';
import { TranslationRefusal } from './from-chat-request.js';
import { fromResponsesRequest } from './from-responses-request.js';
import { responsesSse, ResponsesStreamWriter, toResponsesResponse } from './to-responses.js';

/** A Codex turn: developer and user messages, a reasoning item, a function call and its output, a custom tool call. */
const codexBody = {
  model: 'gpt-5-codex',
  instructions: 'You are Codex.',
  input: [
    { type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<permissions>sandbox</permissions>' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'list files' }] },
    { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'List them.' }], encrypted_content: 'EqQBCgIYAhIMsig' },
    { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'shell', arguments: '{"command":["ls"]}' },
    { type: 'function_call_output', call_id: 'call_1', output: 'a.ts\nb.ts' },
    { type: 'custom_tool_call', call_id: 'call_2', name: 'apply_patch', input: '*** Begin Patch' },
    { type: 'custom_tool_call_output', call_id: 'call_2', output: 'Done' },
    { role: 'user', content: 'thanks' },
    { type: 'local_shell_call', call_id: 'x' },
  ],
  tools: [
    { type: 'function', name: 'shell', description: 'Runs a command', parameters: { type: 'object', properties: { command: { type: 'array', items: { type: 'string' } } }, required: ['command'] }, strict: false },
    { type: 'custom', name: 'apply_patch', description: 'Patch files', format: { type: 'grammar' } },
    { type: 'web_search' },
    { type: 'file_search', vector_store_ids: ['vs_1'] },
  ],
  tool_choice: 'auto',
  parallel_tool_calls: false,
  reasoning: { effort: 'medium', summary: 'auto' },
  store: false,
  stream: true,
  include: ['reasoning.encrypted_content'],
  prompt_cache_key: 'abc',
};

test('a Responses request → Anthropic: instructions and developer messages as system, items as turns in order, tools, reasoning as thinking', () => {
  const { request, warnings, customTools } = fromResponsesRequest(codexBody);
  assert.equal(request.system, 'You are Codex.\n\n<permissions>sandbox</permissions>');
  assert.deepEqual(request.messages.map((m) => m.role), ['user', 'assistant', 'user', 'assistant', 'user']);
  assert.deepEqual(request.messages[1]!.content, [
    { type: 'thinking', thinking: 'List them.', signature: 'EqQBCgIYAhIMsig' },
    { type: 'tool_use', id: 'call_1', name: 'shell', input: { command: ['ls'] } },
  ]);
  assert.deepEqual(request.messages[2]!.content, [{ type: 'tool_result', tool_use_id: 'call_1', content: 'a.ts\nb.ts' }]);
  assert.deepEqual(request.messages[3]!.content, [{ type: 'tool_use', id: 'call_2', name: 'apply_patch', input: { input: '*** Begin Patch' } }]);
  assert.deepEqual(request.messages[4]!.content, [{ type: 'tool_result', tool_use_id: 'call_2', content: 'Done' }, { type: 'text', text: 'thanks' }]);
  assert.deepEqual(request.tools!.map((t) => t.name), ['shell', 'apply_patch', 'web_search']);
  assert.equal(request.tools![2]!.type, 'web_search_20250305');
  assert.deepEqual(request.tool_choice, { type: 'auto', disable_parallel_tool_use: true });
  assert.deepEqual(request.thinking, { type: 'enabled', budget_tokens: 8192 });
  assert.equal(request.stream, true);
  assert.deepEqual([...customTools], ['apply_patch']);
  assert.ok(warnings.some((w) => w.includes('local_shell_call')) && warnings.some((w) => w.includes('file_search')), warnings.join('\n'));
  assert.ok(!warnings.some((w) => /prompt_cache_key|store|include/.test(w)), 'bookkeeping fields are not warned about');
});

test('a string input, max_output_tokens; previous_response_id is refused (nothing is stored to resolve it)', () => {
  const { request } = fromResponsesRequest({ model: 'claude-sonnet-4-5', input: 'hi', max_output_tokens: 300 });
  assert.deepEqual(request.messages, [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
  assert.equal(request.max_tokens, 300);
  assert.throws(() => fromResponsesRequest({ model: 'm', input: 'x', previous_response_id: 'resp_1' }), TranslationRefusal);
});

test('an Anthropic message → a Response: reasoning (signature in encrypted_content), message, function_call and custom_tool_call items, usage', () => {
  const message = { ...ANTHROPIC_MESSAGE, content: [...ANTHROPIC_MESSAGE.content, { type: 'tool_use', id: 'toolu_p', name: 'apply_patch', input: { input: '*** Begin Patch' } }] };
  const r = toResponsesResponse(message, 'm', new Set(['apply_patch']));
  assert.equal(r.object, 'response');
  assert.equal(r.status, 'completed');
  assert.equal(r.id, 'resp_01XFDUDYJgAACzvnptvVoYEL');
  assert.deepEqual(r.output.map((o: any) => o.type), ['reasoning', 'message', 'function_call', 'function_call', 'custom_tool_call']);
  assert.deepEqual(r.output[0].summary, [{ type: 'summary_text', text: 'List, then read.' }]);
  assert.equal(r.output[0].encrypted_content, 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds');
  assert.deepEqual(r.output[1].content, [{ type: 'output_text', text: 'Let me look.', annotations: [], logprobs: [] }]);
  assert.deepEqual({ ...r.output[2], id: undefined }, { id: undefined, type: 'function_call', status: 'completed', call_id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'Bash', arguments: '{"command":"ls -la"}' });
  assert.equal(r.output[4].input, '*** Begin Patch');
  assert.deepEqual(r.usage, { input_tokens: 2520, input_tokens_details: { cached_tokens: 2048 }, output_tokens: 89, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 2609 });
  const cut = toResponsesResponse({ ...ANTHROPIC_MESSAGE, stop_reason: 'max_tokens' }, 'm', new Set());
  assert.equal(cut.status, 'incomplete');
  assert.deepEqual(cut.incomplete_details, { reason: 'max_output_tokens' });
});

test('an Anthropic stream → Responses events in order, each numbered, response.completed carrying the output and usage', () => {
  const events: any[] = [];
  const w = new ResponsesStreamWriter('m', new Set(), (e) => events.push(e));
  for (const d of sseData(ANTHROPIC_STREAM)) w.event(JSON.parse(d));
  w.end();
  assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
  const types = events.map((e) => e.type);
  assert.deepEqual(types.slice(0, 2), ['response.created', 'response.in_progress']);
  assert.equal(types.at(-1), 'response.completed');
  // reasoning, message, two calls: each added then done, at its output_index
  const added = events.filter((e) => e.type === 'response.output_item.added');
  assert.deepEqual(added.map((e) => [e.output_index, e.item.type]), [[0, 'reasoning'], [1, 'message'], [2, 'function_call'], [3, 'function_call']]);
  const text = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
  assert.equal(text, 'Let me look.');
  assert.ok(types.indexOf('response.content_part.added') < types.indexOf('response.output_text.delta'));
  assert.deepEqual(events.find((e) => e.type === 'response.output_text.done').text, 'Let me look.');
  const bashId = added[2].item.id;
  assert.equal(added[2].item.call_id, 'toolu_01T1x1fJ34qAmk2tNTrN7Up6');
  assert.equal(events.filter((e) => e.type === 'response.function_call_arguments.delta' && e.item_id === bashId).map((e) => e.delta).join(''), '{"command": "l' + 's -la"}');
  assert.equal(events.find((e) => e.type === 'response.function_call_arguments.done' && e.item_id === bashId).arguments, '{"command": "ls -la"}');
  const done = events.filter((e) => e.type === 'response.output_item.done');
  assert.equal(done[0].item.encrypted_content, 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds', 'the signature arrives by signature_delta and leaves with the reasoning item');
  const completed = events.at(-1).response;
  assert.equal(completed.status, 'completed');
  assert.deepEqual(completed.output.map((o: any) => o.type), ['reasoning', 'message', 'function_call', 'function_call']);
  assert.equal(completed.usage.input_tokens, 2520);
  assert.equal(completed.usage.output_tokens, 89);
  assert.match(responsesSse(events[0]), /^event: response.created\ndata: \{"type":"response.created","sequence_number":0,/);
});

test('a stream that errors → response.failed with the error; a custom tool call → custom_tool_call with its free-text input', () => {
  const events: any[] = [];
  const w = new ResponsesStreamWriter('m', new Set(['apply_patch']), (e) => events.push(e));
  w.event({ type: 'message_start', message: { id: 'msg_2', usage: { input_tokens: 5 } } });
  w.event({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_x', name: 'apply_patch', input: {} } });
  w.event({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"input":"*** Begin' } });
  w.event({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: ' Patch"}' } });
  w.event({ type: 'content_block_stop', index: 0 });
  w.event({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  w.end();
  const done = events.find((e) => e.type === 'response.output_item.done');
  assert.deepEqual({ ...done.item, id: undefined }, { id: undefined, type: 'custom_tool_call', status: 'completed', call_id: 'toolu_x', name: 'apply_patch', input: '*** Begin Patch' });
  assert.equal(events.filter((e) => e.type === 'response.function_call_arguments.delta').length, 0);
  const last = events.at(-1);
  assert.equal(last.type, 'response.failed');
  assert.deepEqual(last.response.error, { code: 'overloaded_error', message: 'Overloaded' });
});

test("a reasoning item with OpenAI's own encrypted_content is marked as OpenAI's: Anthropic never gets it", () => {
  const { request } = fromResponsesRequest({ model: 'm', input: [{ type: 'reasoning', summary: [{ type: 'summary_text', text: 'x' }], encrypted_content: 'gAAAAABoFernetToken' }, { role: 'user', content: 'q' }] });
  assert.deepEqual(request.messages[0]!.content, [{ type: 'thinking', thinking: 'x', signature: 'ccproxy-translated:openai-responses' }]);
});
