import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCursor, encodeCursor } from './cursor.js';
import { ApiError } from './respond.js';

test('a cursor comes back as it went out, ids with colons included', () => {
  const c = { time: 1_764_000_000_123, id: 'sess:1:x' };
  assert.deepEqual(decodeCursor(encodeCursor(c), 'before'), c);
  assert.equal(decodeCursor(null, 'before'), null);
  assert.equal(decodeCursor('', 'before'), null);
});

test('anything else is a 400 naming the parameter', () => {
  assert.throws(() => decodeCursor('bm90LWEtY3Vyc29y', 'after'), (e: unknown) => e instanceof ApiError && e.status === 400 && /after/.test(e.message));
});
