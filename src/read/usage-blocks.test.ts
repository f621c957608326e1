import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foldBlocks } from './usage-blocks.js';
import type { GroupRow } from './usage-query.js';

const row = (hour: string, first: string, last = first, extra: Partial<GroupRow> = {}): GroupRow => ({
  key: hour,
  model: 'claude-opus-4-8',
  requests: 1,
  input: 1,
  output: 1,
  cacheRead: 0,
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  cost: 0.1,
  unpriced: 0,
  first,
  last,
  quota: null,
  quotaAt: null,
  ...extra,
});

test('a block starts at the hour of its first call and holds the calls of the next 5 hours', () => {
  const blocks = foldBlocks([
    row('2026-11-20T10:00:00.000Z', '2026-11-20T10:05:00.000Z'),
    row('2026-11-20T14:00:00.000Z', '2026-11-20T14:59:59.000Z'),
    row('2026-11-20T15:00:00.000Z', '2026-11-20T15:00:00.000Z'),
  ], Date.parse('2026-11-20T16:00:00.000Z'));
  assert.deepEqual(blocks.map((b) => [b.start, b.end, b.rows.length, b.isGap, b.isActive]), [
    ['2026-11-20T10:00:00.000Z', '2026-11-20T15:00:00.000Z', 2, false, false],
    ['2026-11-20T15:00:00.000Z', '2026-11-20T20:00:00.000Z', 1, false, true],
  ]);
});

test('a pause of more than 5 hours is a gap block; the latest quota in a block is kept, whichever model it came with', () => {
  const q = (u: number) => ({ fiveHour: { utilization: u }, sevenDay: { utilization: u / 2 } });
  const blocks = foldBlocks(
    [
      row('2026-11-20T10:00:00.000Z', '2026-11-20T10:05:00.000Z', '2026-11-20T10:50:00.000Z', { quota: q(0.3), quotaAt: '2026-11-20T10:50:00.000Z' }),
      row('2026-11-20T10:00:00.000Z', '2026-11-20T10:10:00.000Z', '2026-11-20T10:20:00.000Z', { model: 'claude-haiku-4-5', quota: q(0.2), quotaAt: '2026-11-20T10:20:00.000Z' }),
      row('2026-11-20T17:00:00.000Z', '2026-11-20T17:30:00.000Z'),
    ],
    Date.parse('2026-11-28T00:00:00.000Z'),
  );
  assert.deepEqual(blocks.map((b) => [b.start, b.end, b.isGap]), [
    ['2026-11-20T10:00:00.000Z', '2026-11-20T15:00:00.000Z', false],
    ['2026-11-20T15:50:00.000Z', '2026-11-20T17:30:00.000Z', true],
    ['2026-11-20T17:00:00.000Z', '2026-11-20T22:00:00.000Z', false],
  ]);
  assert.deepEqual(blocks[0]!.quota, q(0.3));
  assert.equal(blocks[0]!.last, '2026-11-20T10:50:00.000Z');
});
