import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AnthropicRequest } from './anthropic.js';
import { toOpenAIRequest } from './to-openai-request.js';

const openai = { provider: 'openai' };
const base = (over: Partial<AnthropicRequest>): AnthropicRequest => ({ model: 'gpt-4o', max_tokens: 32000, messages: [{ role: 'user', content: 'hi' }], ...over });

test('system blocks with cache_control become one system message; the billing header block is dropped', () => {
  const { body } = toOpenAIRequest(base({
    system: [
      { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.3.a1b; cc_entrypoint=cli; cch=7f3e2;' },
      { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral', ttl: '1h' } },
    ],
  }), openai);
  const msgs = body.messages as { role: string; content: string }[];
  assert.deepEqual(msgs[0], { role: 'system', content: "You are Claude Code, Anthropic's official CLI for Claude.\n\nBe brief." });
  assert.equal(msgs.filter((m) => m.role === 'system').length, 1);
  assert.ok(!JSON.stringify(body).includes('cache_control'));
});

test('a user turn [tool_result A, tool_result B, text] → two tool messages in order after the tool_calls, then the text', () => {
  const png = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } };
  const { body } = toOpenAIRequest(base({
    messages: [
      { role: 'user', content: 'list and shot' },
      { role: 'assistant', content: [
        { type: 'thinking', thinking: 'I will call both.', signature: 'sig' },
        { type: 'text', text: 'Running both.' },
        { type: 'tool_use', id: 'toolu_A', name: 'Bash', input: { command: 'ls' } },
        { type: 'tool_use', id: 'toolu_B', name: 'Screenshot', input: {} },
      ] },
      { role: 'user', content: [
        { type: 'tool_result', tool_use_id: 'toolu_A', content: [{ type: 'text', text: 'a.txt' }, { type: 'text', text: 'b.txt' }] },
        { type: 'tool_result', tool_use_id: 'toolu_B', is_error: true, content: [{ type: 'text', text: 'no display' }, png] },
        { type: 'tool_result', tool_use_id: 'toolu_A', content: 'duplicate' },
        { type: 'text', text: 'now explain' },
      ] },
    ],
  }), openai);
  const msgs = body.messages as Record<string, unknown>[];
  assert.deepEqual(msgs[1], {
    role: 'assistant',
    content: 'Running both.',
    tool_calls: [
      { id: 'toolu_A', type: 'function', function: { name: 'Bash', arguments: '{"command":"ls"}' } },
      { id: 'toolu_B', type: 'function', function: { name: 'Screenshot', arguments: '{}' } },
    ],
  });
  assert.deepEqual(msgs[2], { role: 'tool', tool_call_id: 'toolu_A', content: 'a.txt\nb.txt' });
  assert.deepEqual(msgs[3], { role: 'tool', tool_call_id: 'toolu_B', content: 'Error: no display' });
  assert.deepEqual(msgs[4], { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }, { type: 'text', text: 'now explain' }] });
  assert.equal(msgs.length, 5, 'no duplicate tool result');
});

test("DeepSeek gets the assistant's reasoning back as reasoning_content; others do not", () => {
  const messages: AnthropicRequest['messages'] = [{ role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 'ccproxy-translated:openai' }, { type: 'thinking', thinking: 'from Claude', signature: 'EqQBCkYIBRgCKkAanthropic' }, { type: 'tool_use', id: 't1', name: 'Read', input: { path: 'x' } }] }];
  const ds = toOpenAIRequest(base({ model: 'deepseek-reasoner', messages }), { provider: 'deepseek' }).body.messages as Record<string, unknown>[];
  assert.equal(ds[1]!.reasoning_content, 'hmm');
  assert.equal(ds[1]!.content, null);
  const oa = toOpenAIRequest(base({ messages }), openai).body.messages as Record<string, unknown>[];
  assert.equal(oa[1]!.reasoning_content, undefined);
});

test('thinking and effort → reasoning_effort; thinking disabled removes every reasoning parameter', () => {
  assert.equal(toOpenAIRequest(base({ model: 'o3', thinking: { type: 'enabled', budget_tokens: 2000 } }), openai).body.reasoning_effort, 'low');
  assert.equal(toOpenAIRequest(base({ model: 'gpt-5', thinking: { type: 'enabled', budget_tokens: 31999 } }), openai).body.reasoning_effort, 'high');
  assert.equal(toOpenAIRequest(base({ model: 'gpt-5', thinking: { type: 'adaptive' }, output_config: { effort: 'medium' } }), openai).body.reasoning_effort, 'medium');
  const off = toOpenAIRequest(base({ model: 'gpt-5', thinking: { type: 'disabled' }, output_config: { effort: 'high' } }), openai).body;
  assert.ok(!('reasoning_effort' in off) && !('thinking' in off) && !('reasoning' in off));
  assert.ok(!('reasoning_effort' in toOpenAIRequest(base({ model: 'gpt-4o', thinking: { type: 'enabled', budget_tokens: 9000 } }), openai).body), "gpt-4o rejects it");
  assert.equal(toOpenAIRequest(base({ model: 'qwen3', thinking: { type: 'enabled', budget_tokens: 9000 } }), { provider: 'hosted_vllm' }).body.reasoning_effort, 'medium');
});

test('server tools are dropped with a warning, and a tool_choice forcing one is removed', () => {
  const { body, warnings } = toOpenAIRequest(base({
    tools: [
      { type: 'web_search_20250305', name: 'web_search', max_uses: 5 },
      { name: 'Bash', description: 'Run a command', input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } },
    ],
    tool_choice: { type: 'tool', name: 'web_search' },
  }), openai);
  assert.deepEqual(body.tools, [{ type: 'function', function: { name: 'Bash', description: 'Run a command', parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } } }]);
  assert.ok(!('tool_choice' in body));
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /web_search.*left out/);
});

test('tool_choice any/tool/none → required/function/none; disable_parallel_tool_use → parallel_tool_calls: false', () => {
  const tools = [{ name: 'Bash', input_schema: { type: 'object' } }];
  const tc = (tool_choice: AnthropicRequest['tool_choice']) => toOpenAIRequest(base({ tools, tool_choice }), openai).body;
  assert.equal(tc({ type: 'any' }).tool_choice, 'required');
  assert.equal(tc({ type: 'none' }).tool_choice, 'none');
  assert.deepEqual(tc({ type: 'tool', name: 'Bash' }).tool_choice, { type: 'function', function: { name: 'Bash' } });
  const p = tc({ type: 'auto', disable_parallel_tool_use: true });
  assert.equal(p.tool_choice, 'auto');
  assert.equal(p.parallel_tool_calls, false);
});

test('max_tokens clamped to the model; unknown fields dropped; usage always requested on a stream', () => {
  const { body } = toOpenAIRequest(base({ stream: true, metadata: { user_id: 'u' }, context_management: { edits: [] }, output_config: { effort: 'low' }, top_k: 5, stop_sequences: ['END'] }), openai);
  assert.equal(body.max_completion_tokens, 16384);
  assert.deepEqual(body.stream_options, { include_usage: true });
  assert.deepEqual(body.stop, ['END']);
  for (const k of ['metadata', 'context_management', 'output_config', 'top_k', 'max_tokens', 'system', 'thinking']) assert.ok(!(k in body), k);
  assert.equal(toOpenAIRequest(base({ model: 'deepseek-chat' }), { provider: 'deepseek' }).body.max_tokens, 8192);
});
