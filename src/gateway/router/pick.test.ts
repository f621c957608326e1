import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Deployment } from '../config.js';
import { dep, seeded } from '../../../test/helpers/router.js';
import { Health } from './health.js';
import { pick, weighted } from './pick.js';

const health = (now = () => 0) => new Health({ allowedFails: 1, cooldownTime: 10, disableCooldowns: false }, now);
const counts = (group: Deployment[], n: number, random: () => number, h = health()) => {
  const c = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const p = pick(group, h, random);
    assert.ok('d' in p);
    c.set(p.d.index, (c.get(p.d.index) ?? 0) + 1);
  }
  return c;
};

test('weights share the traffic: 9:1 over 10,000 seeded picks', () => {
  const c = counts([dep(0, { weight: 9 }), dep(1, { weight: 1 })], 10_000, seeded(42));
  assert.ok(Math.abs(c.get(0)! / 10_000 - 0.9) < 0.02, `${[...c]}`);
  assert.ok(Math.abs(c.get(1)! / 10_000 - 0.1) < 0.02, `${[...c]}`);
});

test('the same seed picks the same sequence', () => {
  const group = [dep(0), dep(1), dep(2)];
  const seq = (seed: number) => {
    const r = seeded(seed);
    return Array.from({ length: 20 }, () => (pick(group, health(), r) as { d: Deployment }).d.index);
  };
  assert.deepEqual(seq(7), seq(7));
  assert.notDeepEqual(seq(7), seq(8));
  assert.deepEqual(new Set(seq(7)), new Set([0, 1, 2]));
});

test('without weights, rpm weighs the pick (then tpm); a deployment without the weight others have gets none', () => {
  const c = counts([dep(0, { rpm: 300 }), dep(1, { rpm: 100 })], 8_000, seeded(1));
  assert.ok(Math.abs(c.get(0)! / 8_000 - 0.75) < 0.02, `${[...c]}`);
  const w = counts([dep(0, { weight: 2 }), dep(1)], 1_000, seeded(3));
  assert.equal(w.get(1), undefined);
  assert.equal(weighted([dep(0, { weight: 0 }), dep(1, { weight: 0 })], () => 0.99).index, 1);
});

test('order: the lowest order only, the next order once those were tried or are cooling down', () => {
  const group = [dep(0, { order: 2 }), dep(1, { order: 1 }), dep(2, { order: 2 })];
  const c = counts(group, 200, seeded(5));
  assert.deepEqual([...c.keys()], [1]);
  const retry = pick(group, health(), seeded(5), new Set([1]));
  assert.ok('d' in retry && retry.d.order === 2);
  const h = health();
  h.failed(group[1]!, 3, 'rate_limit', 'HTTP 429');
  h.failed(group[1]!, 3, 'rate_limit', 'HTTP 429');
  const cooled = counts(group, 200, seeded(9), h);
  assert.deepEqual([...cooled.keys()].sort(), [0, 2]);
});

test('deployments already tried are passed over while others remain, then tried again', () => {
  const group = [dep(0), dep(1)];
  const p1 = pick(group, health(), seeded(2), new Set([0]));
  assert.ok('d' in p1 && p1.d.index === 1);
  const p2 = pick(group, health(), seeded(2), new Set([0, 1]));
  assert.ok('d' in p2);
});

test('every deployment cooling down or at its rpm limit: none, each with why and until when', () => {
  let now = 1_000_000;
  const h = health(() => now);
  const group = [dep(0), dep(1, { rpm: 1 })];
  h.failed(group[0]!, 2, 'overloaded', 'HTTP 529');
  h.failed(group[0]!, 2, 'overloaded', 'HTTP 529');
  h.started(group[1]!);
  const p = pick(group, h, seeded(1));
  assert.ok('none' in p);
  assert.deepEqual(p.none.map((u) => [u.d.index, u.why, u.until]), [[0, 'cooldown', now + 10_000], [1, 'rpm', now + 60_000]]);
  now += 10_000;
  const back = pick(group, h, seeded(1));
  assert.ok('d' in back && back.d.index === 0);
});
