// The built-in rules read Responses and Gemini bodies as they read Anthropic and OpenAI chat ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MatchToolRule, ThinkingRule, TokenCountRule } from './rules.js';

test('ThinkingRule: Responses reasoning.effort and Gemini thinkingConfig; effort none and budget 0 are no thinking', () => {
  const r = new ThinkingRule();
  assert.equal(r.evaluate({ model: 'gpt-5', reasoning: { effort: 'high' }, input: 'hi' }), true);
  assert.equal(r.evaluate({ model: 'gpt-5', reasoning: { effort: 'none' }, input: 'hi' }), false);
  assert.equal(r.evaluate({ model: 'gpt-5', reasoning: { summary: 'auto' }, input: 'hi' }), false);
  assert.equal(r.evaluate({ contents: [], generationConfig: { thinkingConfig: { thinkingBudget: 8192, includeThoughts: true } } }), true);
  assert.equal(r.evaluate({ contents: [], generationConfig: { thinkingConfig: { thinkingLevel: 'high' } } }), true);
  assert.equal(r.evaluate({ contents: [], generationConfig: { thinkingConfig: { thinkingBudget: 0 } } }), false);
  assert.equal(r.evaluate({ contents: [], generationConfig: { temperature: 0 } }), false);
});

test('MatchToolRule: Responses function tools by name, Gemini functionDeclarations', () => {
  const tool = new MatchToolRule('shell');
  assert.equal(tool.evaluate({ tools: [{ type: 'function', name: 'Shell', parameters: {} }] }), true);
  assert.equal(tool.evaluate({ tools: [{ functionDeclarations: [{ name: 'read_file' }, { name: 'run_shell_command' }] }] }), true);
  assert.equal(tool.evaluate({ tools: [{ functionDeclarations: [{ name: 'read_file' }] }, { googleSearch: {} }] }), false);
});

test('TokenCountRule: Responses instructions and input (string or items), Gemini systemInstruction and contents', async () => {
  const rule = await TokenCountRule.create(50);
  const long = 'word '.repeat(200);
  assert.equal(rule.evaluate({ model: 'gpt-5', input: long }), true);
  assert.equal(rule.evaluate({ model: 'gpt-5', input: 'short' }), false);
  assert.equal(rule.evaluate({ model: 'gpt-5', instructions: long, input: 'hi' }), true);
  assert.equal(rule.evaluate({ model: 'gpt-5', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: long }] }] }), true);
  assert.equal(rule.evaluate({ model: 'gpt-5', input: [{ type: 'function_call_output', call_id: 'c', output: long }] }), true);
  assert.equal(rule.evaluate({ contents: [{ role: 'user', parts: [{ text: long }] }] }), true);
  assert.equal(rule.evaluate({ systemInstruction: { parts: [{ text: long }] }, contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }), true);
  assert.equal(rule.evaluate({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }), false);
});
