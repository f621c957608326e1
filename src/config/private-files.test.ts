import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tightenTree } from './private-files.js';

test('tightenTree removes group and other access below a folder, leaves links and what is already private', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ccproxy-private-'));
  const outside = mkdtempSync(join(tmpdir(), 'ccproxy-outside-'));
  try {
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'pglite/base'), { recursive: true, mode: 0o777 });
    chmodSync(join(dir, 'pglite'), 0o777);
    writeFileSync(join(dir, 'pglite/base/1'), 'x', { mode: 0o666 });
    chmodSync(join(dir, 'pglite/base/1'), 0o666);
    writeFileSync(join(dir, 'ccproxy.yaml'), 'x');
    chmodSync(join(dir, 'ccproxy.yaml'), 0o644);
    writeFileSync(join(dir, 'private'), 'x');
    chmodSync(join(dir, 'private'), 0o600);
    writeFileSync(join(outside, 'theirs'), 'x');
    chmodSync(join(outside, 'theirs'), 0o644);
    symlinkSync(join(outside, 'theirs'), join(dir, 'link'));
    assert.equal(tightenTree(dir), 5);
    const mode = (p: string) => statSync(join(dir, p)).mode & 0o777;
    assert.equal(mode(''), 0o700);
    assert.equal(mode('pglite'), 0o700);
    assert.equal(mode('pglite/base/1'), 0o600);
    assert.equal(mode('ccproxy.yaml'), 0o600);
    assert.equal(mode('private'), 0o600);
    assert.equal(statSync(join(outside, 'theirs')).mode & 0o777, 0o644, 'a link is not followed');
    assert.equal(tightenTree(dir), 0, 'a second pass finds nothing');
    // Inside an owner-only folder a loose file was never exposed: tightened, not counted.
    writeFileSync(join(dir, 'pglite/base/init'), 'x');
    chmodSync(join(dir, 'pglite/base/init'), 0o644);
    assert.equal(tightenTree(dir), 0);
    assert.equal(mode('pglite/base/init'), 0o600);
    assert.equal(tightenTree(join(dir, 'missing')), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});
