import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AnthropicRequest } from './anthropic.js';
import { geminiCachePlan } from './gemini-cache-plan.js';
import { toGeminiRequest } from './to-gemini-request.js';

const cc = (ttl?: string) => ({ type: 'ephemeral', ...(ttl ? { ttl } : {}) });
const plan = (req: AnthropicRequest) => geminiCachePlan(req, toGeminiRequest(req).body, 'gemini-2.5-flash');

test('the part up to the last breakpoint before the final turn is cached; the request keeps the rest and names the cache', () => {
  const req: AnthropicRequest = {
    model: 'gemini-2.5-flash',
    system: [{ type: 'text', text: 'You are an agent.', cache_control: cc('1h') }],
    tools: [{ name: 'Bash', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'context', cache_control: cc() }] },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: [{ type: 'text', text: 'question', cache_control: cc() }] },
    ],
  };
  const p = plan(req)!;
  assert.equal(p.ttl, '3600s', 'a 1-hour breakpoint makes it an hour');
  assert.deepEqual(p.cached.contents, [{ role: 'user', parts: [{ text: 'context' }] }]);
  assert.deepEqual(p.cached.systemInstruction, { parts: [{ text: 'You are an agent.' }] });
  assert.ok(p.cached.tools);
  const rest = p.rest('cachedContents/abc');
  assert.equal(rest.cachedContent, 'cachedContents/abc');
  assert.deepEqual(rest.contents, [{ role: 'model', parts: [{ text: 'ok' }] }, { role: 'user', parts: [{ text: 'question' }] }]);
  assert.equal(rest.systemInstruction, undefined);
  assert.equal(rest.tools, undefined);
  assert.equal(plan({ ...req, messages: [...req.messages.slice(0, 2), { role: 'user', content: 'another question' }] })!.key, p.key, 'the same prefix, the same cache');
});

test('5-minute breakpoints → 300s; no breakpoint, or one only in the final turn with nothing else marked → no cache', () => {
  const base: AnthropicRequest = { model: 'm', system: [{ type: 'text', text: 'S', cache_control: cc() }], messages: [{ role: 'user', content: 'q' }] };
  const p = plan(base)!;
  assert.equal(p.ttl, '300s');
  assert.deepEqual(p.cached.contents, []);
  assert.deepEqual(p.rest('c').contents, [{ role: 'user', parts: [{ text: 'q' }] }]);
  assert.equal(plan({ model: 'm', system: 'S', messages: [{ role: 'user', content: 'q' }] }), null);
  assert.equal(plan({ model: 'm', system: 'S', messages: [{ role: 'user', content: [{ type: 'text', text: 'q', cache_control: cc() }] }] }), null);
});
