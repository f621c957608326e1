import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dep } from '../../../test/helpers/router.js';
import { Health } from './health.js';
import { unavailableError } from './unavailable-error.js';

const now = Date.parse('2026-01-02T03:04:05Z');
const health = new Health({ allowedFails: 0, cooldownTime: 30, disableCooldowns: false }, () => now);
const a = dep(0, { name: 'pair', provider: 'anthropic', model: 'a' });
const b = dep(1, { name: 'pair', provider: 'anthropic', model: 'b', rpm: 10 });
health.failed(a, 2, 'overloaded', 'HTTP 529: Overloaded');
const list = [
  { d: a, why: 'cooldown' as const, until: now + 30_000 },
  { d: b, why: 'rpm' as const, until: now + 12_500 },
  { d: a, why: 'cooldown' as const, until: now + 30_000 },
];
const MESSAGE = 'no deployment of "pair", then "backup" can take the request now: "pair" (anthropic/a, config.yaml:2) is cooling down until 2026-01-02T03:04:35Z (in 30s) after 1 failures within a minute (last: overloaded, HTTP 529: Overloaded); "pair" (anthropic/b, config.yaml:3) has reached its rpm limit (10 a minute) until 2026-01-02T03:04:17Z (in 13s). Retry in 13s.';

test('Anthropic clients: a rate_limit_error naming each deployment, why and until when, with retry-after', () => {
  const e = unavailableError('anthropic', ['pair', 'backup'], list, health);
  assert.equal(e.status, 429);
  assert.deepEqual(e.headers, { 'content-type': 'application/json', 'retry-after': '13' });
  const body = JSON.parse(e.body);
  assert.equal(body.type, 'error');
  assert.equal(body.error.type, 'rate_limit_error');
  assert.equal(body.error.message, MESSAGE);
  assert.deepEqual(body.error.deployments, [
    { model_name: 'pair', model: 'anthropic/a', where: 'config.yaml:2', reason: 'cooldown', until: '2026-01-02T03:04:35Z' },
    { model_name: 'pair', model: 'anthropic/b', where: 'config.yaml:3', reason: 'rpm', until: '2026-01-02T03:04:17Z' },
  ]);
});

test('OpenAI and Gemini clients: their own error shapes', () => {
  const o = JSON.parse(unavailableError('openai', ['pair', 'backup'], list, health).body);
  assert.deepEqual(Object.keys(o.error), ['message', 'type', 'param', 'code', 'deployments']);
  assert.equal(o.error.message, MESSAGE);
  assert.equal(o.error.code, 'no_deployment_available');
  const g = JSON.parse(unavailableError('gemini', ['pair', 'backup'], list, health).body);
  assert.equal(g.error.code, 429);
  assert.equal(g.error.status, 'RESOURCE_EXHAUSTED');
  assert.equal(g.error.details[0].retryDelay, '13s');
});
