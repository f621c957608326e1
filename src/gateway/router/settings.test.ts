import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONFIG_YAML } from '../../config/templates.js';
import { ConfigError } from '../../errors.js';
import { modelTable } from '../config.js';
import { DEFAULTS, fallbackTargets, routerSettings } from './settings.js';
import { unimplementedKeys, unimplementedWarning } from './unimplemented.js';

const FILE = `model_list:
  - model_name: default
    litellm_params:
      model: openai/gpt-4o
      api_base: https://a.test/v1
      weight: 3
      rpm: 60
      api_version: "2024-02-01"
    model_info:
      id: one
router_settings:
  routing_strategy: simple-shuffle
  num_retries: 2
  timeout: 30
  fallbacks: [{"default": ["cheap"]}]
  allowed_fails: 1
  redis_host: localhost
litellm_settings:
  num_retries: 5
  request_timeout: 600
  stream_timeout: 20
  context_window_fallbacks: [{"default": "long"}]
  drop_params: true
  cooldown_time: 30
environment_variables:
  X: y
`;

test('router_settings wins over litellm_settings; litellm_settings fills the rest; LiteLLM\'s defaults otherwise', () => {
  const s = routerSettings('config.yaml', FILE);
  assert.deepEqual(s, { ...DEFAULTS, numRetries: 2, timeout: 30, streamTimeout: 20, fallbacks: { default: ['cheap'] }, contextWindowFallbacks: { default: ['long'] }, allowedFails: 1, cooldownTime: 30 });
  assert.deepEqual(routerSettings('config.yaml', 'model_list: []\n'), DEFAULTS);
  assert.deepEqual(fallbackTargets(s), [{ setting: 'fallbacks', from: 'default', to: 'cheap' }, { setting: 'context_window_fallbacks', from: 'default', to: 'long' }]);
});

test('a bad value is an error naming the file and line', () => {
  assert.throws(() => routerSettings('config.yaml', 'router_settings:\n  num_retries: many\n'), (e: Error) => e instanceof ConfigError && /config\.yaml:2/.test(e.message) && /num_retries/.test(e.message));
  assert.throws(() => routerSettings('config.yaml', 'router_settings:\n  fallbacks: {a: b}\n'), ConfigError);
});

test('every key ccproxy ignores is named once, in one line', () => {
  assert.deepEqual(unimplementedKeys('config.yaml', FILE), ['model_list[].litellm_params.api_version', 'model_list[].model_info', 'router_settings.redis_host', 'litellm_settings.drop_params', 'environment_variables']);
  assert.equal(unimplementedWarning('config.yaml', FILE), 'config.yaml: LiteLLM settings ccproxy does not implement, ignored: model_list[].litellm_params.api_version, model_list[].model_info, router_settings.redis_host, litellm_settings.drop_params, environment_variables');
  assert.deepEqual(unimplementedKeys('config.yaml', 'router_settings:\n  routing_strategy: latency-based-routing\n'), ['router_settings.routing_strategy: latency-based-routing (simple-shuffle is used)']);
});

test('the config.yaml `ccproxy install` writes loads without a warning', () => {
  assert.equal(unimplementedWarning('config.yaml', CONFIG_YAML), null);
  assert.deepEqual(modelTable('config.yaml', CONFIG_YAML, {}).warnings, []);
  assert.deepEqual(routerSettings('config.yaml', CONFIG_YAML), DEFAULTS);
});

test('entries sharing a model_name form a group, each with its router parameters', () => {
  const t = modelTable('config.yaml', `model_list:
  - model_name: g
    litellm_params: {model: openai/a, api_base: "https://a.test/v1", weight: 2, order: 1}
  - model_name: g
    rpm: 99
    tpm: 1000
    litellm_params: {model: anthropic/b, rpm: 10, timeout: 5, stream_timeout: 2}
  - model_name: alias
    litellm_params: {model: g}
`, {});
  const d = t.resolve('alias')!;
  assert.equal(d.index, 0);
  const g = t.group(d);
  assert.deepEqual(g.map((x) => [x.index, x.provider, x.weight, x.order, x.rpm, x.tpm, x.timeout, x.streamTimeout]), [[0, 'openai', 2, 1, undefined, undefined, undefined, undefined], [1, 'anthropic', undefined, undefined, 10, 1000, 5, 2]]);
  assert.deepEqual(t.warnings, []);
});
