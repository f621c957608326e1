import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelTable } from '../gateway/config.js';
import { route, RouteError } from '../gateway/hooks.js';
import { CONFIG_YAML } from './templates.js';

// The config.yaml `ccproxy install` writes must route every current model of the clients ccproxy run starts,
// under its own name, so a new model needs no edit.
const models = modelTable('config.yaml', CONFIG_YAML, {});
const state = { rules: [], models, passthrough: true };

test('the installed config.yaml routes each family to its provider under the requested name', () => {
  const expect: [string, string][] = [
    ['claude-opus-4-8', 'anthropic'],
    ['claude-haiku-4-5-20251001', 'anthropic'],
    ['claude-sonnet-4-5-20250929', 'anthropic'],
    ['gpt-5', 'openai'],
    ['gpt-4o', 'openai'],
    ['o1', 'openai'],
    ['o1-mini', 'openai'],
    ['o3', 'openai'],
    ['o3-pro', 'openai'],
    ['o4-mini', 'openai'],
    ['codex-mini-latest', 'openai'],
    ['text-embedding-3-small', 'openai'],
    ['gemini-2.5-pro', 'gemini'],
  ];
  for (const [model, provider] of expect) {
    const d = route(state, 'default', model);
    assert.equal(d.provider, provider, model);
    assert.equal(d.model, model, `${model} reaches the provider under its own name`);
  }
  assert.equal(route(state, 'default', 'claude-opus-4-8').apiBase!.href, 'https://api.anthropic.com/');
  assert.equal(route(state, 'default', 'gpt-5').apiBase!.href, 'https://api.openai.com/v1');
});

test("the labels resolve to current models; no api_key (the client's own credentials are forwarded)", () => {
  assert.deepEqual(models.names, ['default', 'background', 'think']);
  for (const [label, model] of [['default', 'claude-opus-4-8'], ['background', 'claude-haiku-4-5-20251001'], ['think', 'claude-opus-4-8']]) {
    const d = route({ ...state, passthrough: false }, label!, 'x');
    assert.deepEqual([d.name, d.provider, d.model, d.apiKey], ['claude-*', 'anthropic', model, null], label);
  }
  assert.doesNotMatch(CONFIG_YAML.replace(/^\s*#.*$/gm, ''), /api_key/);
});

test('a model no family covers is a 404 naming the patterns', () => {
  for (const model of ['llama-3.1-70b', 'o5x', 'mistral-large']) {
    assert.throws(() => route(state, 'default', model), (e: RouteError) => e.status === 404 && /no pattern matches it; configured model names: default, background, think; patterns: claude-\*, gpt-\*/.test(e.message), model);
  }
});
