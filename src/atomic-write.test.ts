import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from './atomic-write.js';

test('writeFileAtomic replaces the file whole and leaves nothing beside it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ccproxy-atomic-'));
  try {
    const file = join(dir, 'state.json');
    writeFileAtomic(file, 'one');
    writeFileAtomic(file, 'two');
    assert.equal(readFileSync(file, 'utf8'), 'two');
    assert.deepEqual(readdirSync(dir), ['state.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic: a rename that fails removes its staging file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ccproxy-atomic-'));
  try {
    const file = join(dir, 'taken');
    mkdirSync(join(file, 'inside'), { recursive: true }); // a non-empty directory cannot be renamed over
    assert.throws(() => writeFileAtomic(file, 'x'));
    assert.deepEqual(readdirSync(dir), ['taken']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
