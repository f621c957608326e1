import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';
import { createRule, firstMatch, MatchModelRule, MatchToolRule, normalizeParams, ThinkingRule, TokenCountRule } from './rules.js';

const ctx = { endpoint: 'messages' as const, headers: {} };

test('params: the original list of one-key mappings, a mapping, or positional values', () => {
  assert.deepEqual(normalizeParams([{ threshold: 5 }]), { threshold: 5 });
  assert.deepEqual(normalizeParams({ threshold: 5 }), { threshold: 5 });
  assert.deepEqual(normalizeParams([5], ['threshold']), { threshold: 5 });
  assert.throws(() => normalizeParams([5, 6], ['threshold']), /positional/);
});

test('MatchModelRule matches a substring of the model; MatchToolRule a tool name in either format, ignoring case', () => {
  assert.equal(new MatchModelRule('haiku').evaluate({ model: 'claude-3-5-haiku-2024' }), true);
  assert.equal(new MatchModelRule('haiku').evaluate({ model: 'claude-sonnet' }), false);
  const tool = new MatchToolRule('WebSearch');
  assert.equal(tool.evaluate({ tools: [{ name: 'websearch_v2' }] }), true);
  assert.equal(tool.evaluate({ tools: [{ type: 'function', function: { name: 'WebSearch' } }] }), true);
  assert.equal(tool.evaluate({ tools: [{ name: 'Read' }] }), false);
  assert.equal(tool.evaluate({}), false);
});

test('ThinkingRule: thinking enabled or reasoning_effort, not thinking disabled', () => {
  const r = new ThinkingRule();
  assert.equal(r.evaluate({ thinking: { type: 'enabled', budget_tokens: 1024 } }), true);
  assert.equal(r.evaluate({ thinking: { type: 'disabled' } }), false);
  assert.equal(r.evaluate({ reasoning_effort: 'high' }), true);
  assert.equal(r.evaluate({}), false);
});

test('TokenCountRule counts tokens with the tokenizer, not characters divided by four', async () => {
  const rule = await TokenCountRule.create(2000);
  // Long words: more than 2000 "tokens" by characters/4, far fewer by the tokenizer.
  const longWords = ' internationalization'.repeat(500);
  assert.ok(longWords.length / 4 > 2000);
  assert.ok(countTokens(longWords) <= 2000);
  assert.equal(rule.evaluate({ messages: [{ role: 'user', content: longWords }] }), false);
  // Digits and punctuation: fewer than 2000 by characters/4, more by the tokenizer.
  const dense = '7,'.repeat(3000);
  assert.ok(dense.length / 4 < 2000 && countTokens(dense) > 2000);
  assert.equal(rule.evaluate({ messages: [{ role: 'user', content: [{ type: 'text', text: dense }] }] }), true);
  // System prompt and tool results count; so do explicit token fields.
  assert.equal(rule.evaluate({ system: [{ type: 'text', text: dense }], messages: [] }), true);
  assert.equal(rule.evaluate({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: dense }] }] }] }), true);
  assert.equal(rule.evaluate({ messages: [], input_tokens: 2001 }), true);
});

test('custom rules: a class or a function from a module path, relative to the config directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ccproxy-rules-'));
  try {
    writeFileSync(join(dir, 'rules.mjs'), 'export class Long { constructor(p) { this.n = p.n } evaluate(r) { return r.messages.length > this.n } }\nexport default (r, ctx, p) => r.model === p.model && ctx.endpoint === "messages";\n');
    const cls = await createRule({ name: 'x', rule: './rules.mjs:Long', params: [{ n: 1 }] }, dir);
    assert.equal(await cls.evaluate({ messages: [1, 2] }, ctx), true);
    const fn = await createRule({ name: 'y', rule: './rules.mjs', params: { model: 'm' } }, dir);
    assert.equal(await firstMatch([{ name: 'y', rule: fn }], { model: 'm' }, ctx), 'y');
    await assert.rejects(() => createRule({ name: 'z', rule: './rules.mjs:Nope' }, dir), /has no export named Nope/);
    await assert.rejects(() => createRule({ name: 'z', rule: './missing.mjs' }, dir), /cannot import \.\/missing\.mjs: module not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
