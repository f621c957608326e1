import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelTable } from './config.js';
import { jsonContentType } from './http-io.js';
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
  assert.match(t.resolve('rock')!.unusable!, /provider "bedrock" is not supported/);
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
  assert.throws(() => route(state, 'default', 'nope'), (e: RouteError) => e.status === 404 && /model "nope" has no route: config\.yaml has no model_name "nope" and no pattern matches it; configured model names: default, think/.test(e.message));
  assert.equal(route({ ...state, passthrough: false }, 'default', 'nope').name, 'claude-opus-4');
});

test('endpoint URLs follow LiteLLM: Anthropic bases get /v1/messages, OpenAI bases /chat/completions', () => {
  assert.deepEqual(endpointUrl(new URL('https://api.anthropic.com'), 'anthropic', 'messages'), { origin: 'https://api.anthropic.com', path: '/v1/messages' });
  assert.deepEqual(endpointUrl(new URL('https://api.z.ai/api/anthropic'), 'anthropic', 'count_tokens'), { origin: 'https://api.z.ai', path: '/api/anthropic/v1/messages/count_tokens' });
  assert.deepEqual(endpointUrl(new URL('https://x.test/v1/'), 'anthropic', 'messages'), { origin: 'https://x.test', path: '/v1/messages' });
  assert.deepEqual(endpointUrl(new URL('https://api.openai.com/v1'), 'openai', 'chat'), { origin: 'https://api.openai.com', path: '/v1/chat/completions' });
});

const patterns = `model_list:
  - model_name: default
    litellm_params:
      model: claude-opus-4-8
  - model_name: claude-*
    litellm_params:
      model: anthropic/claude-*
      api_base: https://anthropic.stand-in.test
  - model_name: claude-opus-*
    litellm_params:
      model: anthropic/claude-opus-*
      api_base: https://opus.stand-in.test
  - model_name: claude-opus-4-1
    litellm_params:
      model: anthropic/claude-opus-4-1-20250805
  - model_name: openai/*
    litellm_params:
      model: openai/*
  - model_name: "*"
    litellm_params:
      model: "*"
      api_base: https://catch-all.stand-in.test/v1
`;

test('patterns: exact beats pattern, the more specific pattern beats the broader, the matched part is carried over', () => {
  const t = modelTable('config.yaml', patterns, {});
  assert.deepEqual(t.names, ['default', 'claude-opus-4-1']);
  assert.deepEqual(t.patterns, ['claude-*', 'claude-opus-*', 'openai/*', '*']);
  const exact = t.resolve('claude-opus-4-1')!;
  assert.equal(exact.model, 'claude-opus-4-1-20250805');
  assert.equal(exact.apiBase!.host, 'api.anthropic.com');
  const opus = t.explain('claude-opus-4-8')!;
  assert.equal(opus.deployment.name, 'claude-opus-*');
  assert.equal(opus.deployment.model, 'claude-opus-4-8');
  assert.equal(opus.deployment.apiBase!.host, 'opus.stand-in.test');
  assert.deepEqual(opus.chain, [{ name: 'claude-opus-4-8', via: 'pattern', entry: 'claude-opus-*', where: 'config.yaml:9', segments: ['4-8'], target: 'anthropic/claude-opus-4-8' }]);
  const haiku = t.resolve('claude-haiku-4-5-20251001')!;
  assert.equal(haiku.name, 'claude-*');
  assert.equal(haiku.provider, 'anthropic');
  assert.equal(haiku.model, 'claude-haiku-4-5-20251001');
  const gpt = t.resolve('openai/gpt-5')!;
  assert.deepEqual([gpt.name, gpt.provider, gpt.model, gpt.apiBase!.href], ['openai/*', 'openai', 'gpt-5', 'https://api.openai.com/v1']);
  // "*" → "*": the requested name as it is, the provider told by the name (or, with an api_base, OpenAI-compatible).
  const any = t.resolve('llama-3.1-70b')!;
  assert.deepEqual([any.name, any.format, any.model, any.apiBase!.host], ['*', 'openai', 'llama-3.1-70b', 'catch-all.stand-in.test']);
});

test('patterns: LiteLLM adds the provider a bare name implies when no pattern matches it as is (gpt-5 → openai/*)', () => {
  const t = modelTable('config.yaml', 'model_list:\n  - model_name: openai/*\n    litellm_params:\n      model: openai/*\n', {});
  const r = t.explain('gpt-5')!;
  assert.equal(r.deployment.model, 'gpt-5');
  assert.deepEqual(r.chain.map((s) => [s.via, s.entry, s.target]), [['provider-pattern', 'openai/*', 'openai/gpt-5']]);
  assert.equal(t.resolve('mistral-large'), undefined);
});

test('aliases may resolve through a pattern; the chain names each step', () => {
  const t = modelTable('config.yaml', patterns, {});
  const r = t.explain('default')!;
  assert.equal(r.deployment.name, 'claude-opus-*');
  assert.equal(r.deployment.model, 'claude-opus-4-8');
  assert.deepEqual(r.chain.map((s) => [s.name, s.via, s.entry, s.target]), [
    ['default', 'name', 'default', 'claude-opus-4-8'],
    ['claude-opus-4-8', 'pattern', 'claude-opus-*', 'anthropic/claude-opus-4-8'],
  ]);
  // An entry with its own api_base is a deployment, not an alias, even when a pattern would route its model.
  const own = modelTable('config.yaml', `${patterns}  - model_name: mine\n    litellm_params:\n      model: claude-x\n      api_base: https://mine.test\n`, {});
  assert.equal(own.resolve('mine')!.apiBase!.host, 'mine.test');
  // A loop through patterns is found when a name takes it, and named.
  const loop = modelTable('config.yaml', 'model_list:\n  - model_name: x-*\n    litellm_params:\n      model: y-*\n  - model_name: y-*\n    litellm_params:\n      model: x-*\n', {});
  assert.throws(() => loop.resolve('x-1'), /aliases form a loop: x-1 → y-1 → x-1/);
  assert.throws(() => route({ rules: [], models: loop, passthrough: true }, 'default', 'x-1'), (e: RouteError) => e.status === 500 && /model "x-1" has no route: config\.yaml:4: .*loop/.test(e.message));
});

test('a model nothing routes: 404 naming the names and the patterns; pattern warnings only when the provider is known', () => {
  const t = modelTable('config.yaml', 'model_list:\n  - model_name: claude-*\n    litellm_params:\n      model: anthropic/claude-*\n  - model_name: vertex-*\n    litellm_params:\n      model: vertex_ai/gemini-*\n  - model_name: any-*\n    litellm_params:\n      model: "*"\n', {});
  assert.throws(() => route({ rules: [], models: t, passthrough: true }, 'default', 'llama-3'), (e: RouteError) => e.status === 404 && /model "llama-3" has no route: config\.yaml has no model_name "llama-3" and no pattern matches it; configured model names: \(none\); patterns: claude-\*, vertex-\*, any-\*/.test(e.message));
  assert.deepEqual(t.warnings.map((w) => w.split(': ')[0]), ['config.yaml:5']);
  assert.match(t.resolve('vertex-2.5-pro')!.unusable!, /provider "vertex_ai" is not supported/);
});

test('a pattern may be an alias: "*" → default sends every unknown model to the default label, with no warning', () => {
  const t = modelTable('config.yaml', 'model_list:\n  - model_name: default\n    litellm_params:\n      model: anthropic/claude-opus-4-8\n  - model_name: "*"\n    litellm_params:\n      model: default\n', {});
  assert.deepEqual(t.warnings, []);
  const r = t.explain('llama-3')!;
  assert.equal(r.deployment.model, 'claude-opus-4-8');
  assert.deepEqual(r.chain.map((s) => [s.name, s.via, s.entry]), [['llama-3', 'pattern', '*'], ['default', 'name', 'default']]);
});

test('JSON is read from JSON content types (or none) only', () => {
  for (const t of [undefined, '', 'application/json', 'Application/JSON; charset=utf-8', 'application/vnd.api+json']) assert.ok(jsonContentType(t), String(t));
  for (const t of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/json']) assert.ok(!jsonContentType(t), t);
});
