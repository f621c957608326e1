import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bySpecificity, compilePattern, fillTarget, isPattern, matchPattern } from './patterns.js';

const table = (...names: string[]) => bySpecificity(names.map((n, index) => ({ index, pattern: compilePattern(n) })));
const winner = (names: string[], model: string) => matchPattern(table(...names), model)?.entry.pattern.name ?? null;

test('a pattern matches the whole name; each * captures its part', () => {
  assert.ok(isPattern('claude-*') && !isPattern('claude-opus-4-8'));
  const t = table('claude-*');
  assert.deepEqual(matchPattern(t, 'claude-opus-4-8')?.segments, ['opus-4-8']);
  assert.equal(matchPattern(t, 'xclaude-opus'), null, 'anchored at the start');
  assert.deepEqual(matchPattern(table('*'), 'anything/at all')?.segments, ['anything/at all']);
  assert.deepEqual(matchPattern(table('llmengine/fo::*::static::*'), 'llmengine/fo::a::static::b')?.segments, ['a', 'b']);
  assert.equal(matchPattern(table('claude-*-latest'), 'claude-x-latest-2'), null, 'anchored at the end too');
  assert.equal(matchPattern(table('gpt-4.1*'), 'gpt-4x1'), null, 'a dot is a literal dot');
});

test("specificity is LiteLLM's: the longer regex (after Python's re.escape) first, then more metacharacters, then file order", () => {
  // re.escape('claude-*') with * replaced = 'claude\-(.*)': 12 characters, 4 metacharacters.
  assert.deepEqual(compilePattern('claude-*').specificity, [12, 4]);
  assert.deepEqual(compilePattern('*').specificity, [4, 3]);
  assert.deepEqual(compilePattern('anthropic/*').specificity, [14, 3]);
  assert.equal(winner(['*', 'claude-*', 'claude-opus-*'], 'claude-opus-4-8'), 'claude-opus-*');
  assert.equal(winner(['*', 'claude-*', 'claude-opus-*'], 'claude-haiku-4-5'), 'claude-*');
  assert.equal(winner(['*', 'claude-*'], 'llama-3'), '*');
  // Longer wins even when it is not "narrower": LiteLLM ranks by regex length, not by the literal prefix.
  assert.equal(winner(['claude-*', '*-20250929'], 'claude-sonnet-4-5-20250929'), '*-20250929');
  // Escaped characters count: 'o4-*' is o4\-(.*) (8) and outranks 'o4*' (o4(.*), 6).
  assert.equal(winner(['o4*', 'o4-*'], 'o4-mini'), 'o4-*');
  assert.deepEqual(compilePattern('o4-*').specificity, [8, 4]);
  // Equal keys: the first in config.yaml ('claude-*' and '*-latest' are both 12 characters, 4 metacharacters).
  assert.equal(winner(['claude-*', '*-latest'], 'claude-3-latest'), 'claude-*');
  assert.equal(winner(['*-latest', 'claude-*'], 'claude-3-latest'), '*-latest');
  assert.equal(winner(['a*', 'b*', '*c'], 'ac'), 'a*');
  assert.equal(winner(['*c', 'a*'], 'ac'), '*c');
});

test("targets: each * takes the next matched part (LiteLLM's set_deployment_model_name)", () => {
  assert.equal(fillTarget('anthropic/claude-*', ['opus-4-8'], 'claude-opus-4-8'), 'anthropic/claude-opus-4-8');
  assert.equal(fillTarget('anthropic/*', ['claude-x'], 'anthropic/claude-x'), 'anthropic/claude-x');
  assert.equal(fillTarget('openai/fo::*::static::*', ['a', 'b'], 'x'), 'openai/fo::a::static::b');
  assert.equal(fillTarget('anthropic/claude-opus-4-8', ['x'], 'claude-x'), 'anthropic/claude-opus-4-8', 'a target without * is used as is');
  assert.equal(fillTarget('bedrock/*', ['a', 'b'], 'a-b'), 'a-b', 'more parts than *: the requested name');
  assert.equal(fillTarget('openai/$&*', ['x'], 'x'), 'openai/$&x', 'replacement patterns are literal');
});
