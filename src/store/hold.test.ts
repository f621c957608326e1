// Holding creates for their completion, on a clock the test moves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hold } from './hold.js';
import { makeOp } from './ops.js';

const create = (id: string, body = 0) => makeOp('create', id, { method: 'POST', ...(body ? { request_body: Buffer.alloc(body) } : {}) });
const complete = (id: string) => makeOp('complete', id, { status_code: 200 });

function clocked(holdMs = 250, capacity = 1000) {
  const clock = { t: 1_000_000 };
  return { clock, hold: new Hold(holdMs, capacity, () => clock.t) };
}

test('a create and its completion leave the hold as one operation carrying both', () => {
  const { hold } = clocked();
  assert.equal(hold.add('a', create('a', 10)), undefined);
  assert.equal(hold.join('a', makeOp('complete', 'a', { request_body_size: 10 })), true, 'an update joins the held create');
  assert.equal(hold.join('a', complete('a')), true);
  assert.deepEqual([hold.size, hold.ops], [1, 3]);
  const op = hold.take('a')!;
  assert.deepEqual([op.kind, op.n, op.bytes], ['create', 3, 10]);
  assert.deepEqual(op.fields, { method: 'POST', request_body: Buffer.alloc(10), request_body_size: 10, status_code: 200 });
  assert.deepEqual([hold.size, hold.ops], [0, 0]);
  assert.equal(hold.take('a'), undefined);
});

test('a completion with no held create is not taken: it goes on its own', () => {
  const { hold } = clocked();
  hold.add('a', create('a'));
  assert.equal(hold.join('b', complete('b')), false);
  assert.deepEqual([hold.size, hold.ops], [1, 1]);
});

test('a second create for the same trace joins the first and keeps its place and its time', () => {
  const { hold, clock } = clocked(100);
  hold.add('a', create('a'));
  clock.t += 10;
  hold.add('b', create('b'));
  clock.t += 80;
  hold.add('a', makeOp('create', 'a', { url: 'http://h/' }));
  assert.equal(hold.size, 2);
  clock.t += 10; // 100 ms after the first create of a, 90 after b
  const due = hold.due();
  assert.deepEqual(due.map((op) => [op.id, op.n]), [['a', 2]]);
  assert.deepEqual(due[0]!.fields, { method: 'POST', url: 'http://h/' });
});

test('creates are let go when their wait is over, oldest first, and not before', () => {
  const { hold, clock } = clocked(250);
  for (const id of ['a', 'b', 'c']) {
    hold.add(id, create(id));
    clock.t += 100;
  }
  // a was held 300 ms ago, b 200, c 100.
  assert.deepEqual(hold.due().map((op) => op.id), ['a']);
  assert.deepEqual(hold.due(), []);
  clock.t += 50;
  assert.deepEqual(hold.due().map((op) => op.id), ['b']);
  clock.t += 1000;
  assert.deepEqual(hold.due().map((op) => op.id), ['c']);
  assert.equal(hold.size, 0);
});

test('one create more than the capacity lets the oldest go at once', () => {
  const { hold } = clocked(250, 2);
  assert.equal(hold.add('a', create('a')), undefined);
  assert.equal(hold.add('b', create('b')), undefined);
  assert.equal(hold.add('c', create('c'))?.id, 'a');
  assert.equal(hold.add('b', create('b')), undefined, 'joining a held create adds no create');
  assert.deepEqual(hold.release().map((op) => op.id), ['b', 'c']);
});

test('release lets the n oldest go, or all of them', () => {
  const { hold } = clocked();
  for (const id of ['a', 'b', 'c', 'd']) hold.add(id, create(id));
  assert.deepEqual(hold.release(1).map((op) => op.id), ['a']);
  assert.deepEqual(hold.release(0), []);
  assert.deepEqual(hold.release(2).map((op) => op.id), ['b', 'c']);
  assert.deepEqual(hold.release().map((op) => op.id), ['d']);
  assert.deepEqual(hold.release(), []);
});
