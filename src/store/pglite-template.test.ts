// The database template's packing and unpacking: a folder survives the round trip byte for byte and owner-only,
// a path that climbs out of the folder is refused, and a folder that already holds data is never replaced.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { seedDataDir, tarDir, untar } from './pglite-template.js';

test('tarDir then untar gives back the same folders and files, owner-only', () => {
  const work = mkdtempSync(join(tmpdir(), 'ccproxy-tpl-'));
  try {
    const src = join(work, 'src');
    mkdirSync(join(src, 'base', '5'), { recursive: true });
    mkdirSync(join(src, 'pg_tblspc'));
    writeFileSync(join(src, 'PG_VERSION'), '18\n');
    writeFileSync(join(src, 'base', '5', '1259'), Buffer.alloc(8192 + 7, 7));
    writeFileSync(join(src, 'empty'), '');
    const out = join(work, 'out');
    untar(tarDir(src), out);
    assert.equal(readFileSync(join(out, 'PG_VERSION'), 'utf8'), '18\n');
    assert.deepEqual(readFileSync(join(out, 'base', '5', '1259')), Buffer.alloc(8192 + 7, 7));
    assert.equal(readFileSync(join(out, 'empty')).length, 0);
    assert.ok(statSync(join(out, 'pg_tblspc')).isDirectory());
    assert.equal(statSync(join(out, 'base')).mode & 0o777, 0o700);
    assert.equal(statSync(join(out, 'PG_VERSION')).mode & 0o777, 0o600);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('untar refuses a path outside its folder', () => {
  const work = mkdtempSync(join(tmpdir(), 'ccproxy-tpl-'));
  try {
    const src = join(work, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'aaaaaaaaaa'), 'x');
    const tar = tarDir(src);
    tar.write('../evil\0\0\0\0', 0, 'latin1'); // same length as the name it replaces; the checksum is not checked
    assert.throws(() => untar(tar, join(work, 'out')), /path outside its folder: \.\.\/evil/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('seedDataDir leaves a folder that holds data alone', () => {
  const work = mkdtempSync(join(tmpdir(), 'ccproxy-tpl-'));
  try {
    const dataDir = join(work, 'pglite');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'PG_VERSION'), 'mine');
    assert.equal(seedDataDir(dataDir, { pgliteVersion: 'any', initDbStartParams: [] }), false);
    assert.equal(readFileSync(join(dataDir, 'PG_VERSION'), 'utf8'), 'mine');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
