import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createExclusive } from './exclusive-create.js';

test('createExclusive: the first caller gets the file, the second is told it is taken', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ccproxy-excl-'));
  try {
    const file = join(dir, 'ccproxy.pid');
    assert.equal(createExclusive(file, '123\n'), true);
    assert.equal(createExclusive(file, '456\n'), false);
    assert.equal(readFileSync(file, 'utf8'), '123\n');
    assert.equal(statSync(file).mode & 0o777 & ~process.umask(), 0o644 & ~process.umask());
    assert.throws(() => createExclusive(join(dir, 'no-such-dir', 'f'), ''), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
