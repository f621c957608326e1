// What one round trip carries, and the wait for a fuller batch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BATCH_BYTES, Gather, takeBatch } from './batch.js';
import { makeOp, makeTimingOp, makeUsageOp } from './ops.js';

const op = (id: string, bytes = 0) => makeOp('create', id, bytes ? { request_body: Buffer.alloc(bytes) } : { method: 'GET' });
const ids = (ops: { id: string }[]) => ops.map((o) => o.id);

test('takeBatch takes at most batchSize operations off the front of the queue, in order', () => {
  const queue = ['a', 'b', 'c', 'd', 'e'].map((id) => op(id));
  assert.deepEqual(ids(takeBatch(queue, 2)), ['a', 'b']);
  assert.deepEqual(ids(queue), ['c', 'd', 'e']);
  assert.deepEqual(ids(takeBatch(queue, 10)), ['c', 'd', 'e']);
  assert.deepEqual(takeBatch(queue, 10), []);
});

test("a trace's timings and usage rows ride along uncounted: batchSize counts traces' operations", () => {
  const queue = [op('a'), makeTimingOp('a', { dns_ms: 1 }), makeUsageOp('a', { provider: 'anthropic' }), op('b'), makeUsageOp('b', { provider: 'openai' }), op('c')];
  const first = takeBatch(queue, 2);
  assert.deepEqual(first.map((o) => `${o.kind}:${o.id}`), ['create:a', 'timing:a', 'usage:a', 'create:b', 'usage:b'], 'two traces with what rides with them');
  assert.deepEqual(ids(queue), ['c']);
});

test('takeBatch stops before the body bytes pass the cap, but always takes one', () => {
  const queue = [op('a', 40), op('b', 40), op('c', 20), op('d', 1)];
  assert.deepEqual(ids(takeBatch(queue, 10, 100)), ['a', 'b', 'c'], 'exactly the cap fits');
  const big = [op('x', 500), op('y', 1)];
  assert.deepEqual(ids(takeBatch(big, 10, 100)), ['x'], 'a body larger than the cap goes alone');
  assert.deepEqual(ids(takeBatch(big, 10, 100)), ['y']);
  const queue2 = [op('p', 60), op('q', 60)];
  assert.deepEqual(ids(takeBatch(queue2, 10, 100)), ['p']);
  assert.equal(BATCH_BYTES, 16 * 1024 * 1024);
});

test('a gather wait ends when woken, long before its time', async () => {
  const gather = new Gather();
  const order: string[] = [];
  const waiting = gather.wait(60_000).then(() => order.push('woken'));
  await new Promise((r) => setImmediate(r));
  order.push('wake');
  gather.wake();
  await waiting;
  assert.deepEqual(order, ['wake', 'woken']);
  gather.wake(); // nothing waits: nothing happens
});

test('a gather wait ends on its own after its time', async () => {
  const gather = new Gather();
  await gather.wait(1);
  gather.wake();
});
