import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { absorb, encodeOp, makeOp } from './ops.js';
import { Spill } from './spill.js';

test("a claimed spill file is counted in handed-over operations, a merged line's too (as the replay counts them)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'ccproxy-spill-'));
  try {
    const merged = makeOp('create', 't-1', { method: 'POST', request_body: Buffer.alloc(3000, 'n') });
    absorb(merged, makeOp('complete', 't-1', { status_code: 200 }));
    absorb(merged, makeOp('complete', 't-1', { duration_ms: 5 }));
    assert.equal(merged.n, 3);
    const lines = [encodeOp(merged), encodeOp(makeOp('create', 't-2', { method: 'GET', url: 'http://h/"n":9}' })), encodeOp(merged)];
    // A process long gone (pid 1 is alive; the largest pid is not).
    writeFileSync(join(dir, '4194304-1-1.jsonl'), lines.join('\n') + '\n');
    const spill = new Spill(dir);
    assert.equal(spill.claimOrphans(), 1);
    assert.equal(spill.pendingOps, 7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
