import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AnthropicRequest } from './anthropic.js';
import { prepareForAnthropic, limitCacheBreakpoints } from './for-anthropic.js';
import { stripForeignThinking } from './thinking-origin.js';
import { toOpenAIRequest } from './to-openai-request.js';

const anthropicSigned = { type: 'thinking', thinking: 'from Claude', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA' };
const emptySigned = { type: 'thinking', thinking: '', signature: 'EqQBCgIYAhIMomitted' };
const fromGemini = { type: 'thinking', thinking: 'from Gemini', signature: 'ccproxy-translated:gemini' };
const fromDeepSeek = { type: 'thinking', thinking: 'from DeepSeek', signature: 'ccproxy-translated:openai' };
const unsigned = { type: 'thinking', thinking: 'no signature', signature: '' };

/** A session that Gemini, DeepSeek and Claude each answered a turn of. */
const session = (): AnthropicRequest => ({
  model: 'm',
  max_tokens: 4096,
  thinking: { type: 'enabled', budget_tokens: 2048 },
  messages: [
    { role: 'user', content: 'q1' },
    { role: 'assistant', content: [fromGemini, { type: 'text', text: 'a1' }] },
    { role: 'user', content: 'q2' },
    { role: 'assistant', content: [fromDeepSeek, unsigned] },
    { role: 'user', content: 'q3' },
    { role: 'assistant', content: [anthropicSigned, emptySigned, { type: 'redacted_thinking', data: 'abc' }, { type: 'text', text: 'a3' }] },
    { role: 'user', content: 'q4' },
  ],
});

test('for Anthropic: thinking it did not sign is left out (a turn left empty goes); its signed blocks stay, empty text included', () => {
  const req = session();
  const warnings = prepareForAnthropic(req);
  assert.deepEqual(req.messages.map((m) => m.role), ['user', 'assistant', 'user', 'user', 'assistant', 'user']);
  assert.deepEqual(req.messages[1]!.content, [{ type: 'text', text: 'a1' }]);
  assert.deepEqual((req.messages[4]!.content as { type: string }[]).map((b) => b.type), ['thinking', 'thinking', 'redacted_thinking', 'text']);
  assert.match(warnings[0]!, /3 thinking blocks from another model/);
  assert.ok(req.thinking, 'thinking stays on: the last assistant turn is not a tool call');
});

test('a tool loop continued by Claude after another model called the tool: thinking turned off for that request', () => {
  const req: AnthropicRequest = { model: 'm', max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 }, messages: [
    { role: 'user', content: 'q' },
    { role: 'assistant', content: [fromGemini, { type: 'tool_use', id: 't1', name: 'Bash', input: {} }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok' }] },
  ] };
  const warnings = stripForeignThinking(req, 'anthropic');
  assert.equal(req.thinking, undefined);
  assert.match(warnings[1]!, /thinking turned off/);
});

test('for DeepSeek: only its own reasoning goes back as reasoning_content', () => {
  const { body } = toOpenAIRequest(session(), { provider: 'deepseek' });
  const assistants = (body.messages as { role: string; reasoning_content?: string }[]).filter((m) => m.role === 'assistant');
  assert.deepEqual(assistants.map((m) => m.reasoning_content), [undefined, 'from DeepSeek', undefined]);
});

test('a request without foreign thinking is left as it is', () => {
  const req: AnthropicRequest = { model: 'm', messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [anthropicSigned, { type: 'text', text: 'a' }] }] };
  const before = JSON.stringify(req);
  assert.deepEqual(prepareForAnthropic(req), []);
  assert.equal(JSON.stringify(req), before);
});

test('cache breakpoints: at most 4 (the first and the last three kept); a 1-hour TTL after a 5-minute one becomes 5 minutes', () => {
  const cc = (ttl?: string) => ({ type: 'ephemeral', ...(ttl ? { ttl } : {}) });
  const req: AnthropicRequest = {
    model: 'm',
    tools: [{ name: 'T', input_schema: { type: 'object' }, cache_control: cc('1h') }],
    system: [{ type: 'text', text: 's', cache_control: cc() }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'u1', cache_control: cc() }] },
      { role: 'assistant', content: [{ type: 'text', text: 'a1', cache_control: cc('1h') }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'x', content: [{ type: 'text', text: 'r', cache_control: cc() }] }, { type: 'text', text: 'u2', cache_control: cc() }] },
    ],
  };
  const warnings = limitCacheBreakpoints(req);
  const marked = JSON.stringify(req).match(/cache_control/g)!.length;
  assert.equal(marked, 4);
  assert.deepEqual(req.tools![0]!.cache_control, cc('1h'), 'the first (longest-lived) kept');
  assert.equal((req.system as { cache_control?: unknown }[])[0]!.cache_control, undefined);
  assert.equal(((req.messages[0]!.content as object[])[0] as { cache_control?: unknown }).cache_control, undefined);
  assert.deepEqual(((req.messages[1]!.content as object[])[0] as { cache_control?: unknown }).cache_control, cc('1h'), 'after a 1h one, a 1h one stays');
  assert.match(warnings[0]!, /2 cache_control breakpoints left out/);
  const order: AnthropicRequest = { model: 'm', system: [{ type: 'text', text: 's', cache_control: cc() }], messages: [{ role: 'user', content: [{ type: 'text', text: 'u', cache_control: cc('1h') }] }] };
  limitCacheBreakpoints(order);
  assert.deepEqual(((order.messages[0]!.content as object[])[0] as { cache_control?: unknown }).cache_control, cc('5m'));
});
