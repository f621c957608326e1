// The crash journal on its own: one write per turn, emptied once written elsewhere, rotated and deleted when
// full, and handed to the spill when its process is gone.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';
import { mapped } from './journal-file.js';
import { Journal } from './journal.js';
import { decodeFrames, encodeFrames } from './op-frames.js';
import { makeOp, makeUsageOp } from './ops.js';

/** Each test runs with the files written and, where the addon is built, with them mapped. */
const MODES = mapped() ? [false, true] : [false];

function fresh(map: boolean) {
  const root = mkdtempSync(join(tmpdir(), 'ccproxy-journal-'));
  const errors: Error[] = [];
  return { root, dir: join(root, 'journal'), errors, journal: new Journal(join(root, 'journal'), (e) => errors.push(e), map), done: () => rmSync(root, { recursive: true, force: true }) };
}

/** The operations a journal file holds now. */
const held = (file: string) => decodeFrames(readFileSync(file)).length;

const files = (dir: string) => readdirSync(dir).map((f) => join(dir, f));

for (const map of MODES) test('operations queued in one turn are on disk at the end of it, and the file empties once they are written' + (map ? ' (mapped)' : ''), async () => {
  const t = fresh(map);
  try {
    const ops = [1, 2, 3].map((i) => makeOp('complete', `t-${i}`, { status_code: 200, request_body: Buffer.from(`body ${i}`) }));
    for (const op of ops) t.journal.add(op);
    assert.equal(readdirSync(t.root).length, 0, 'nothing written before the turn ends');
    await nextTurn();
    const [file] = files(t.dir);
    const back = decodeFrames(readFileSync(file!));
    assert.deepEqual(back.map((op) => op.id), ['t-1', 't-2', 't-3']);
    assert.equal((back[0]!.fields.request_body as Buffer).toString(), 'body 1');
    t.journal.done(ops.slice(0, 2));
    assert.equal(held(file!), 3, 'one operation is still owed');
    t.journal.done(ops.slice(2));
    assert.equal(held(file!), 0, 'all written: the file is emptied');
    assert.deepEqual(t.journal.holding, { files: 1, ops: 0 });
    t.journal.close();
    assert.deepEqual(readdirSync(t.dir), [], 'a close with nothing owed deletes the file');
  } finally {
    t.done();
  }
});

for (const map of MODES) test('an operation written before its turn ended is never journaled' + (map ? ' (mapped)' : ''), async () => {
  const t = fresh(map);
  try {
    const op = makeOp('complete', 'quick', { status_code: 200 });
    t.journal.add(op);
    t.journal.done([op]);
    await nextTurn();
    assert.equal(readdirSync(t.root).length, 0);
  } finally {
    t.done();
  }
});

for (const map of MODES) test('a full file is closed and a new one begun; the old one goes once everything in it is written' + (map ? ' (mapped)' : ''), async () => {
  const t = fresh(map);
  try {
    const big = Buffer.alloc(5 * 1024 * 1024, 1); // two make a full file
    const first = [makeOp('complete', 'a', { request_body: big }), makeOp('complete', 'b', { request_body: big })];
    for (const op of first) t.journal.add(op);
    await nextTurn();
    const firstFile = files(t.dir)[0]!;
    const firstInode = statSync(firstFile).ino;
    const second = makeOp('complete', 'c', { status_code: 200 });
    t.journal.add(second);
    await nextTurn();
    assert.equal(files(t.dir).length, 2);
    assert.deepEqual(t.journal.holding, { files: 2, ops: 3 });
    t.journal.done(first);
    const holding = () => files(t.dir).filter((f) => held(f) > 0);
    if (map) assert.equal(files(t.dir).length, 2, 'a mapped full file is emptied once written, and kept for the next segment');
    else assert.equal(files(t.dir).length, 1, 'the full file is deleted once written');
    assert.deepEqual(holding().map((f) => decodeFrames(readFileSync(f)).map((op) => op.id)), [['c']]);
    // Filling the second file begins a third: a mapped journal takes up the spare under the third one's name.
    const third = makeOp('complete', 'd', { request_body: Buffer.alloc(8 * 1024 * 1024, 2) });
    const fourth = makeOp('complete', 'e', { status_code: 200 });
    t.journal.add(third);
    await nextTurn();
    t.journal.add(fourth);
    await nextTurn();
    assert.deepEqual(files(t.dir).map((f) => f.replace(/^.*-/, '')).sort(), ['2.journal', '3.journal']);
    const thirdFile = files(t.dir).find((f) => f.endsWith('-3.journal'))!;
    assert.deepEqual(decodeFrames(readFileSync(thirdFile)).map((op) => op.id), ['e']);
    if (map) assert.equal(statSync(thirdFile).ino, firstInode, 'the spare was renamed, not a new file made');
    t.journal.close();
    assert.equal(files(t.dir).length, 2, 'what is still owed stays for the next start');
    assert.equal(holding().length, 2);
  } finally {
    t.done();
  }
});

for (const map of MODES) test('a full file written out after the journal closed is deleted, and closed only once' + (map ? ' (mapped)' : ''), async () => {
  const t = fresh(map);
  try {
    const full = makeOp('complete', 'a', { request_body: Buffer.alloc(8 * 1024 * 1024, 1) });
    t.journal.add(full);
    await nextTurn();
    const late = makeOp('complete', 'b', { status_code: 200 });
    t.journal.add(late);
    await nextTurn();
    assert.equal(files(t.dir).length, 2);
    t.journal.close();
    assert.equal(files(t.dir).length, 2, 'both still owed at the close');
    // A batch in flight at the close commits afterwards.
    assert.doesNotThrow(() => t.journal.done([full, late]));
    assert.deepEqual(files(t.dir), [], 'both deleted once written');
    assert.deepEqual(t.errors, []);
  } finally {
    t.done();
  }
});

test('journals of processes that are gone are handed over and deleted, oldest first; live ones stay', () => {
  const t = fresh(false);
  try {
    mkdirSync(t.dir, { recursive: true });
    const frame = (id: string) => encodeFrames([makeOp('complete', id, { status_code: 200 })]);
    writeFileSync(join(t.dir, '2147483646-1700000000002-1.journal'), frame('later'));
    // Killed mid-write: the second frame is cut short and left out.
    writeFileSync(join(t.dir, '2147483646-1700000000001-1.journal'), Buffer.concat([frame('earlier'), frame('torn').subarray(0, 9)]));
    writeFileSync(join(t.dir, `${process.pid}-1700000000000-1.journal`), frame('mine'));
    const kept: string[] = [];
    assert.deepEqual(Journal.recover(t.dir, (ops) => kept.push(...ops.map((op) => op.id))), { files: 2, ops: 2, traces: new Set(['earlier', 'later']) });
    assert.deepEqual(kept, ['earlier', 'later']);
    assert.deepEqual(readdirSync(t.dir), [`${process.pid}-1700000000000-1.journal`]);
  } finally {
    t.done();
  }
});

for (const map of MODES) test('usage rows are not journaled: they are read again from the recovered trace' + (map ? ' (mapped)' : ''), async () => {
  const t = fresh(map);
  try {
    const trace = makeOp('complete', 'call', { status_code: 200 });
    t.journal.add(makeUsageOp('call', { call_seq: 0, input_tokens: 10 }));
    t.journal.add(trace);
    await nextTurn();
    assert.deepEqual(decodeFrames(readFileSync(files(t.dir)[0]!)).map((op) => op.kind), ['complete']);
    t.journal.done([trace]);
    assert.deepEqual(t.journal.holding, { files: 1, ops: 0 });
  } finally {
    t.done();
  }
});

for (const map of MODES) test("a call's completion stays journaled until its usage rows are written, or its read found none" + (map ? ' (mapped)' : ''), async () => {
  const t = fresh(map);
  try {
    const call = makeOp('complete', 'call', { status_code: 200 });
    const other = makeOp('complete', 'other', { status_code: 200 });
    t.journal.add(call);
    t.journal.add(other);
    t.journal.awaitRead('call', call);
    t.journal.awaitRead('other', other);
    await nextTurn();
    t.journal.done([call, other]);
    assert.deepEqual(t.journal.holding, { files: 1, ops: 2 }, 'written, but the usage rows are still to come');
    t.journal.read('other', []);
    assert.deepEqual(t.journal.holding, { files: 1, ops: 1 }, 'not a call: forgotten at its read');
    const row = makeUsageOp('call', { call_seq: 0 });
    t.journal.read('call', [row]);
    assert.deepEqual(t.journal.holding, { files: 1, ops: 1 }, 'its row is queued, not written');
    t.journal.done([row]);
    assert.deepEqual(t.journal.holding, { files: 1, ops: 0 });
    assert.equal(held(files(t.dir)[0]!), 0);
  } finally {
    t.done();
  }
});

for (const map of MODES) test('a journal that cannot be written says so once and stops, without throwing at the writer' + (map ? ' (mapped)' : ''), async () => {
  const t = fresh(map);
  try {
    writeFileSync(t.dir, 'a file where the directory should be');
    t.journal.add(makeOp('complete', 'x', { status_code: 200 }));
    await nextTurn();
    t.journal.add(makeOp('complete', 'y', { status_code: 200 }));
    await nextTurn();
    assert.equal(t.errors.length, 1);
  } finally {
    t.done();
  }
});
