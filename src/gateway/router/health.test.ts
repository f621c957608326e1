import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Health } from './health.js';
import { dep } from '../../../test/helpers/router.js';

test('allowed_fails failures within a minute are allowed; one more cools the deployment down for cooldown_time', () => {
  let now = 0;
  const h = new Health({ allowedFails: 2, cooldownTime: 5, disableCooldowns: false }, () => now);
  const d = dep(0);
  assert.equal(h.failed(d, 2, 'rate_limit', 'HTTP 429'), null);
  assert.equal(h.failed(d, 2, 'server', 'HTTP 500'), null);
  assert.equal(h.coolingUntil(d), null);
  now = 1_000;
  const c = h.failed(d, 2, 'timeout', 'no answer within 1s');
  assert.deepEqual(c, { name: 'g', model: 'openai/m0', where: 'config.yaml:2', until: 6_000, reason: '3 failures within a minute (last: timeout, no answer within 1s)' });
  assert.equal(h.coolingUntil(d), 6_000);
  assert.deepEqual(h.cooldowns().map((x) => x.until), [6_000]);
  now = 6_000;
  assert.equal(h.coolingUntil(d), null);
  assert.deepEqual(h.cooldowns(), []);
  // The count started again after the cooldown.
  assert.equal(h.failed(d, 2, 'rate_limit', ''), null);
});

test('failures older than a minute do not count', () => {
  let now = 0;
  const h = new Health({ allowedFails: 1, cooldownTime: 5, disableCooldowns: false }, () => now);
  const d = dep(0);
  h.failed(d, 2, 'rate_limit', '');
  now = 61_000;
  assert.equal(h.failed(d, 2, 'rate_limit', ''), null);
  now = 62_000;
  assert.notEqual(h.failed(d, 2, 'rate_limit', ''), null);
});

test('a group of one never cools down, nor anything with disable_cooldowns', () => {
  const h = new Health({ allowedFails: 0, cooldownTime: 5, disableCooldowns: false });
  assert.equal(h.failed(dep(0), 1, 'rate_limit', ''), null);
  assert.equal(h.coolingUntil(dep(0)), null);
  const off = new Health({ allowedFails: 0, cooldownTime: 5, disableCooldowns: true });
  assert.equal(off.failed(dep(0), 3, 'rate_limit', ''), null);
});

test('rpm and tpm: the last minute\'s requests and tokens, and when the oldest leaves the window', () => {
  let now = 0;
  const h = new Health({ allowedFails: 3, cooldownTime: 5, disableCooldowns: false }, () => now);
  const d = dep(0, { rpm: 2, tpm: 100 });
  h.started(d);
  now = 10_000;
  assert.equal(h.overLimit(d), null);
  h.started(d);
  assert.deepEqual(h.overLimit(d), { limit: 'rpm', until: 60_000 });
  now = 60_001;
  assert.equal(h.overLimit(d), null);
  h.used(d, 60);
  now = 61_000;
  h.used(d, 40);
  assert.deepEqual(h.overLimit(d), { limit: 'tpm', until: 120_001 });
  now = 120_002;
  assert.equal(h.overLimit(d), null);
});
