// A journal file written through a memory mapping: frames are in the file as soon as they are copied, an emptied
// file reads as empty though its old bytes stay, and a process killed in the middle of appending leaves only
// whole frames, in order.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createJournalFile, mapped } from './journal-file.js';
import { decodeFrames, encodeFrames } from './op-frames.js';
import { makeOp } from './ops.js';

const skip = mapped() ? false : 'native/journal-map is not built here';
const frames = (...ids: string[]) => encodeFrames(ids.map((id) => makeOp('complete', id, { status_code: 200, request_body: Buffer.from(`body of ${id}`) })));
const ids = (path: string) => decodeFrames(readFileSync(path)).map((op) => op.id);

test('mapped: frames are in the file once appended, with nothing closed or synced; emptied, it reads as empty', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ccproxy-jfile-'));
  try {
    const path = join(dir, 'a.journal');
    const f = createJournalFile(path, 64 * 1024, true);
    assert.deepEqual(ids(path), [], 'a new file holds no frames');
    f.append(frames('a', 'b'));
    f.append(frames('c'));
    assert.deepEqual(ids(path), ['a', 'b', 'c']);
    assert.equal((decodeFrames(readFileSync(path))[2]!.fields.request_body as Buffer).toString(), 'body of c');
    f.empty();
    assert.deepEqual(ids(path), [], 'the old frames are still there, behind the end marker');
    f.append(frames('d'));
    assert.deepEqual(ids(path), ['d'], 'a shorter append after emptying hides the older, longer ones');
    assert.equal(f.fits(64 * 1024), false);
    assert.throws(() => f.append(Buffer.alloc(64 * 1024 + 1)), /is full/);
    f.close();
    assert.deepEqual(decodeFrames(Buffer.alloc(1 << 16)), [], 'a file of zeros (killed before its first end marker) holds nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mapped: a process killed while appending leaves whole frames only, in the order they were appended (five kills)', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ccproxy-jfile-'));
  try {
    let found = 0;
    for (let kill = 0; kill < 5; kill++) found += await killWhileAppending(join(dir, `killed-${kill}.journal`), 40 + kill * 30);
    // A kill right after the file was emptied leaves it empty; not all five.
    assert.ok(found > 0, 'frames were appended before the kills');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Body sizes up to 1 MB, so that a kill often lands in the middle of copying one (the child computes the same). */
const bodySize = (i: number) => ((i * 7919) % (1 << 20)) + 1;
const BODY_SIZE = '((i * 7919) % (1 << 20)) + 1';

/** Kills a process appending to a journal file after `afterMs`; checks what the file holds and returns how many frames. */
async function killWhileAppending(path: string, afterMs: number): Promise<number> {
  const module = (f: string) => JSON.stringify(fileURLToPath(new URL(f, import.meta.url)));
  // Appends as fast as it can (one to three frames at a time, emptying the file now and then) until it is killed.
  const code = `
    const { createJournalFile } = await import(${module('./journal-file.js')});
    const { encodeFrames } = await import(${module('./op-frames.js')});
    const { makeOp } = await import(${module('./ops.js')});
    const f = createJournalFile(${JSON.stringify(path)}, 8 << 20, true);
    process.stdout.write('ready\\n');
    for (let i = 0; ; i++) {
      if (!f.fits(3 << 20)) f.empty();
      const ops = Array.from({ length: 1 + (i % 3) }, (_, k) => makeOp('complete', String(i * 10 + k), { request_body: Buffer.alloc(${BODY_SIZE}, i % 251) }));
      f.append(encodeFrames(ops));
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  await sleep(afterMs);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const ops = decodeFrames(readFileSync(path));
  for (const op of ops) {
    const i = Math.floor(Number(op.id) / 10);
    const body = op.fields.request_body as Buffer;
    assert.equal(body.length, bodySize(i), `frame ${op.id} is whole`);
    assert.ok(body.every((b) => b === i % 251), `frame ${op.id} holds its own bytes`);
  }
  const order = ops.map((op) => Number(op.id));
  assert.deepEqual(order, [...order].sort((a, b) => a - b), 'in the order appended');
  return ops.length;
}
