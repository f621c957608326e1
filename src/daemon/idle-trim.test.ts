import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { trimWhenQuiet } from './idle-trim.js';
import { mallocTrim } from './malloc-trim.js';

/**
 * Resident memory that malloc can hand out: the main arena's `[heap]` and the anonymous mappings (glibc moves an
 * arena to mmap'd memory when the brk heap cannot grow, so `[heap]` alone misses it on some machines).
 */
const heapKb = () => {
  let kb = 0;
  let counted = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      const path = line.trim().split(/\s+/)[5];
      counted = path === undefined || path === '[heap]';
    } else if (counted && line.startsWith('Rss:')) kb += Number(/(\d+)/.exec(line)![1]);
  }
  return kb;
};

test('trims once activity has stopped for the quiet time, and again after new activity', async () => {
  let activity = 0;
  let trims = 0;
  const stop = trimWhenQuiet(() => activity, { quietMs: 50, onTrim: () => trims++ });
  try {
    await new Promise((r) => setTimeout(r, 1_200));
    assert.equal(trims, 1, 'one trim per quiet spell');
    activity++;
    await new Promise((r) => setTimeout(r, 1_200));
    assert.equal(trims, 2);
  } finally {
    stop();
  }
});

test('a quiet spell gives the native memory of a burst back: collection, then malloc_trim', { skip: process.platform !== 'linux' || (!mallocTrim() && !process.env.CI && 'native/malloc-trim is not built here') }, async () => {
  assert.ok(mallocTrim(), 'native/malloc-trim is built by npm run build on Linux');
  // A burst: 40 MB of small native buffers (outside V8's pool, so each is its own malloc chunk), one in 64 kept
  // alive, so the freed pages sit between live chunks where glibc never returns them on its own.
  const kept: Buffer[] = [];
  let burst: Buffer[] | null = [];
  for (let i = 0; i < 20_000; i++) {
    const b = Buffer.allocUnsafeSlow(2048).fill(i);
    burst.push(b);
    if (i % 64 === 0) kept.push(b);
  }
  burst = null;
  const before = heapKb();
  let trimmed!: () => void;
  const done = new Promise<void>((r) => (trimmed = r));
  const stop = trimWhenQuiet(() => 0, { quietMs: 20, onTrim: () => trimmed() });
  const keepAlive = setTimeout(() => {}, 10_000); // the trim timer is unref'd, as a daemon's should be
  await done;
  clearTimeout(keepAlive);
  stop();
  const after = heapKb();
  assert.equal(kept.length, 313);
  assert.ok(before - after > 20 * 1024, `malloc's memory ([heap] and anonymous mappings): ${before} KB before the quiet spell, ${after} KB after`);
});
