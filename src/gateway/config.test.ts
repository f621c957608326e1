import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelTable } from './config.js';
import { route, RouteError } from './hooks.js';
import { endpointUrl } from './providers.js';

const yaml = `model_list:
  - model_name: default
    litellm_params:
      model: think
  - model_name: think
    litellm_params:
      model: claude-opus-4
  - model_name: claude-opus-4
    litellm_params:
      model: anthropic/claude-opus-4-20250514
      api_key: os.environ/MY_KEY
  - model_name: flash
    litellm_params:
      model: gemini/gemini-2.0-flash
  - model_name: local
    litellm_params:
      model: my-model
      api_base: http://127.0.0.1:8000/v1
  - model_name: rock
    litellm_params:
      model: bedrock/anthropic.claude-3
`;

test('aliases are followed to the deployment; the provider prefix is removed; os.environ/ is kept as a reference', () => {
  const t = modelTable('config.yaml', yaml, { MY_KEY: 'k' });
  const d = t.resolve('default')!;
  assert.equal(d.name, 'claude-opus-4');
  assert.equal(d.provider, 'anthropic');
  assert.equal(d.format, 'anthropic');
  assert.equal(d.model, 'claude-opus-4-20250514');
  assert.equal(d.apiBase!.href, 'https://api.anthropic.com/');
  assert.deepEqual(d.apiKey, { env: 'MY_KEY' });
  assert.equal(d.where, 'config.yaml:8');
  assert.equal(t.resolve('local')!.format, 'openai', 'an unprefixed model with an api_base is OpenAI-compatible');
  assert.equal(t.resolve('flash')!.format, 'gemini');
  assert.equal(t.resolve('flash')!.apiBase!.href, 'https://generativelanguage.googleapis.com/');
  assert.equal(t.resolve('flash')!.unusable, null);
  assert.match(t.resolve('rock')!.unusable!, /bedrock.*translation/);
  assert.deepEqual(t.names, ['default', 'think', 'claude-opus-4', 'flash', 'local', 'rock']);
});

test('warnings: an unset api_key variable and an uncallable deployment, with their lines', () => {
  const t = modelTable('config.yaml', yaml, {});
  assert.ok(t.warnings.some((w) => w.startsWith('config.yaml:11: model_list[2].litellm_params.api_key: MY_KEY is not set')), t.warnings.join('\n'));
  assert.ok(t.warnings.some((w) => w.startsWith('config.yaml:19: model_list[5] ("rock")')), t.warnings.join('\n'));
});

test('errors: a wrong type names file, line and field; an alias loop is refused', () => {
  assert.throws(() => modelTable('config.yaml', 'model_list:\n  - model_name: a\n    litellm_params: {}\n', {}), /config\.yaml:3: model_list\[0\]\.litellm_params\.model: Invalid input: expected string/);
  assert.throws(() => modelTable('config.yaml', 'model_list:\n  - model_name: a\n    litellm_params:\n      model: b\n  - model_name: b\n    litellm_params:\n      model: a\n', {}), /aliases form a loop: a → b → a/);
  assert.throws(() => modelTable('config.yaml', 'model_list:\n  - model_name: a\n    litellm_params:\n      model: x\n      api_base: ftp://h\n', {}), /config\.yaml:5: .*api_base: expected an http:\/\/ or https:\/\/ URL/);
});

test('routing: a label resolves through aliases; no match is the requested model (passthrough) or default', () => {
  const models = modelTable('config.yaml', yaml, {});
  const state = { rules: [], models, passthrough: true };
  assert.equal(route(state, 'think', 'claude-x').name, 'claude-opus-4');
  assert.equal(route(state, 'default', 'local').name, 'local');
  assert.throws(() => route(state, 'default', 'nope'), (e: RouteError) => e.status === 404 && /model "nope" has no route: config\.yaml has no model_name "nope"; configured model names: default, think/.test(e.message));
  assert.equal(route({ ...state, passthrough: false }, 'default', 'nope').name, 'claude-opus-4');
});

test('endpoint URLs follow LiteLLM: Anthropic bases get /v1/messages, OpenAI bases /chat/completions', () => {
  assert.deepEqual(endpointUrl(new URL('https://api.anthropic.com'), 'anthropic', 'messages'), { origin: 'https://api.anthropic.com', path: '/v1/messages' });
  assert.deepEqual(endpointUrl(new URL('https://api.z.ai/api/anthropic'), 'anthropic', 'count_tokens'), { origin: 'https://api.z.ai', path: '/api/anthropic/v1/messages/count_tokens' });
  assert.deepEqual(endpointUrl(new URL('https://x.test/v1/'), 'anthropic', 'messages'), { origin: 'https://x.test', path: '/v1/messages' });
  assert.deepEqual(endpointUrl(new URL('https://api.openai.com/v1'), 'openai', 'chat'), { origin: 'https://api.openai.com', path: '/v1/chat/completions' });
});
