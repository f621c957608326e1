import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonDiff, pointer } from './json-diff.js';

test('objects key by key, with JSON Pointer paths (escaped)', () => {
  const d = jsonDiff({ a: 1, b: { c: 'x', 'd/e': 1 }, gone: true }, { a: 2, b: { c: 'x', 'd/e': 2 }, added: [1] });
  assert.deepEqual(d.changes, [
    { path: '/a', kind: 'changed', before: 1, after: 2 },
    { path: '/b/d~1e', kind: 'changed', before: 1, after: 2 },
    { path: '/gone', kind: 'removed', before: true },
    { path: '/added', kind: 'added', after: [1] },
  ]);
  assert.equal(pointer(['a~b', 3]), '/a~0b/3');
});

test('arrays aligned by their common elements: one insertion is one change', () => {
  const msgs = (xs: string[]) => ({ messages: xs.map((content) => ({ role: 'user', content })) });
  const d = jsonDiff(msgs(['a', 'b', 'c']), msgs(['a', 'new', 'b', 'c']));
  assert.deepEqual(d.changes, [{ path: '/messages/1', kind: 'added', after: { role: 'user', content: 'new' } }]);
  const edited = jsonDiff(msgs(['a', 'b', 'c']), msgs(['a', 'B', 'c', 'd']));
  assert.deepEqual(edited.changes, [
    { path: '/messages/1/content', kind: 'changed', before: 'b', after: 'B' },
    { path: '/messages/3', kind: 'added', after: { role: 'user', content: 'd' } },
  ]);
  const removed = jsonDiff([1, 2, 3], [1, 3]);
  assert.deepEqual(removed.changes, [{ path: '/1', kind: 'removed', before: 2 }]);
});

test('ignored keys at any depth, a limit, values of different types', () => {
  const d = jsonDiff({ m: [{ text: 'a', cache_control: { type: 'ephemeral' } }] }, { m: [{ text: 'a' }] }, { ignoreKeys: ['cache_control'] });
  assert.deepEqual(d.changes, []);
  const many = jsonDiff(Array.from({ length: 10 }, (_, i) => i), Array.from({ length: 10 }, (_, i) => -i - 1), { limit: 3 });
  assert.equal(many.changes.length, 3);
  assert.equal(many.truncated, true);
  assert.deepEqual(jsonDiff({ a: [1] }, { a: { 0: 1 } }).changes, [{ path: '/a', kind: 'changed', before: [1], after: { 0: 1 } }]);
  assert.deepEqual(jsonDiff('x', null).changes, [{ path: '', kind: 'changed', before: 'x', after: null }]);
});
