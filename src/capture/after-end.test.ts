import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AFTER_END_GATHER_MS, AFTER_END_MAX_FLOWS, afterEnded, flushAfterEnded } from './after-end.js';

test('flows that end within the window share one wake-up, in the order they ended', async () => {
  const order: number[] = [];
  const t0 = performance.now();
  const first = afterEnded();
  const done = [first.then(() => order.push(1)), afterEnded().then(() => order.push(2))];
  assert.equal(afterEnded(), first);
  await Promise.all(done);
  assert.deepEqual(order, [1, 2]);
  assert.ok(performance.now() - t0 >= AFTER_END_GATHER_MS - 1, 'the work waited for the window');
  // The next flow starts a window of its own.
  assert.notEqual(afterEnded(), first);
  await flushAfterEnded();
});

test('a flush runs the waiting work at once, its chained steps included, and is a no-op with nothing waiting', async (t) => {
  // The window's timer never fires here: only the flush can end it.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const ran: string[] = [];
  void afterEnded()
    .then(() => ran.push('stage'))
    .then(() => ran.push('row'));
  await flushAfterEnded();
  assert.deepEqual(ran, ['stage', 'row']);
  await flushAfterEnded();
});

test('a full gathering ends on the next turn, without waiting for its timer', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const first = afterEnded();
  for (let i = 1; i < AFTER_END_MAX_FLOWS; i++) assert.equal(afterEnded(), first);
  let ran = false;
  void first.then(() => (ran = true));
  await new Promise<void>((r) => setImmediate(r));
  assert.equal(ran, true);
  // The next flow starts a new gathering.
  const next = afterEnded();
  assert.notEqual(next, first);
  await flushAfterEnded();
});
