// The writer's states and their changes, with a real spill file and, in place of the database, a write function
// the test switches between failing (as a database that is away does) and working.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';
import { createLogger } from '../log.js';
import { newTally } from './counters.js';
import { decodeOp, encodeOp, makeOp, type Op } from './ops.js';
import { Recovery, replayedLine, type RecoveryOptions } from './recovery.js';
import { Spill } from './spill.js';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const ops = (...ids: string[]) => ids.map((id) => makeOp('create', id, { method: 'GET' }));

/** A recovery over a spill in a temporary folder; `db.down` makes writes and schema checks fail. */
function rig(opts: { down?: boolean; upAfterSleeps?: number; spillDir?: string; onWrite?: (ops: Op[]) => void } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'ccproxy-recovery-'));
  const spillDir = opts.spillDir ?? join(root, 'spill');
  const lines: string[] = [];
  const db = { down: opts.down ?? false };
  const written: string[] = [];
  const events: string[] = [];
  const sleeps: number[] = [];
  const journaled: string[] = [];
  const tally = newTally();
  const options: RecoveryOptions = {
    spill: new Spill(spillDir),
    spillDir,
    journal: { done: (done) => journaled.push(...done.map((op) => op.id)) },
    tally,
    log: createLogger('writer', { write: (l) => lines.push(l) }),
    batchSize: 2,
    retryMinMs: 10,
    retryMaxMs: 40,
    db: { describe: () => 'the test database', refresh: async () => void events.push('refresh') },
    write: async (batch) => {
      if (db.down) throw refused();
      opts.onWrite?.(batch);
      written.push(...batch.map((op) => op.id));
      tally.written += batch.length;
    },
    ensureSchema: async () => {
      events.push('schema');
      if (db.down) throw refused();
    },
    settled: () => events.push('settled'),
    resumed: () => events.push('resumed'),
    sleep: async (ms) => {
      sleeps.push(ms);
      if (sleeps.length === opts.upAfterSleeps) db.down = false;
      await nextTurn();
    },
  };
  const recovery = new Recovery(options);
  /** Waits (a bounded number of turns) until `events` holds `event`. */
  const until = async (event: string) => {
    for (let i = 0; i < 1000 && !events.includes(event); i++) await nextTurn();
    assert.ok(events.includes(event), `${event} within 1000 turns`);
  };
  const spilled = () => readdirSync(spillDir).flatMap((f) => readFileSync(join(spillDir, f), 'utf8').split('\n').filter(Boolean).map((l) => decodeOp(l).id));
  return { recovery, options, db, written, events, sleeps, journaled, tally, lines, until, spilled, spillDir, root, done: () => rmSync(root, { recursive: true, force: true }) };
}

test('normal → spilling while the database is away: retries back off, then the spill replays in order and the writer is normal again', async () => {
  const t = rig({ down: true, upAfterSleeps: 6 });
  try {
    t.recovery.start({ spilling: false, schemaChecked: true });
    assert.equal(t.recovery.state, 'normal');
    t.recovery.enter(ops('a', 'b', 'c', 'd', 'e'), 'a batch failed');
    assert.equal(t.recovery.state, 'spilling');
    assert.equal(t.tally.spilled, 5);
    assert.match(t.lines[0]!, /warn .*writing to the spill file in .*spill: a batch failed; will replay when the test database answers/);
    await t.until('resumed');
    assert.equal(t.recovery.state, 'normal');
    assert.deepEqual(t.sleeps, [10, 20, 40, 40, 40, 40], 'from the shortest wait, doubling, to the longest');
    assert.deepEqual(t.written, ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(t.journaled, ['a', 'b', 'c', 'd', 'e'], 'the journal is told once they are in the spill file');
    assert.equal(t.tally.replayed, 5);
    assert.equal(t.events.filter((e) => e === 'refresh').length, 6, 'each connection error looks for the database again');
    assert.equal(t.events.filter((e) => e === 'schema').length, 6, 'the schema is checked again after every failure');
    assert.deepEqual(t.events.slice(-2), ['settled', 'resumed']);
    assert.equal(t.lines.filter((l) => /database still unreachable \(connect ECONNREFUSED .*\); 5 operations wait in the spill file/.test(l)).length, 1, 'logged at the first failure');
    assert.match(t.lines.at(-1)!, /info .*database reachable: replayed 5 spilled operations/);
    assert.equal(t.recovery.pendingOps, 0);
    assert.equal(t.recovery.drained, true);
    assert.deepEqual(t.spilled(), [], 'the spill file is emptied');
  } finally {
    t.done();
  }
});

test('operations handed over while spilling, even during the replay, are written after the older ones before the writer resumes', async () => {
  // During the replay's second batch (the first runs before enter() returns), one more arrives.
  const t = rig({ onWrite: (batch) => batch[0]!.id === 'c' && t.recovery.add(ops('late')) });
  try {
    t.recovery.start({ spilling: false, schemaChecked: true });
    t.recovery.enter(ops('a', 'b', 'c'), 'the queue of 3 operations is full');
    t.recovery.add(ops('d'));
    assert.equal(t.recovery.pendingOps, 4, 'on their way to the spill file');
    await t.until('resumed');
    assert.deepEqual(t.written, ['a', 'b', 'c', 'd', 'late']);
    assert.equal(t.recovery.state, 'normal');
    assert.equal(t.tally.spilled, 5);
    assert.equal(t.tally.replayed, 5);
    assert.equal(t.recovery.drained, true);
    assert.match(t.lines.at(-1)!, /replayed 5 spilled operations \(2 of them captured while it replayed\)/);
  } finally {
    t.done();
  }
});

test('the replay line names the operations that came in while it ran, in the unit the lines before it use', () => {
  assert.equal(replayedLine(22, 9, false), 'replayed 22 spilled operations (9 of them captured while it replayed)');
  assert.equal(replayedLine(13, 0, false), 'replayed 13 spilled operations');
  assert.equal(replayedLine(5, 0, true), 'database reachable: replayed 5 spilled operations');
  // All of them came meanwhile (a spill started by new traffic alone): nothing older to tell them from.
  assert.equal(replayedLine(4, 4, false), 'replayed 4 spilled operations');
});

test('operations appended to the spill file while normal start a replay at once', async () => {
  const t = rig();
  try {
    t.recovery.start({ spilling: false, schemaChecked: true });
    t.recovery.add(ops('x', 'y'));
    assert.equal(t.recovery.state, 'normal', 'gathered for the end of the turn');
    await nextTurn();
    await t.until('resumed');
    assert.deepEqual(t.written, ['x', 'y']);
    assert.equal(t.recovery.state, 'normal');
    assert.equal(t.recovery.drained, true);
    assert.match(t.lines.at(-1)!, /info  \[writer\] replayed 2 spilled operations/, 'no outage to speak of');
  } finally {
    t.done();
  }
});

test('at start: a spill to replay checks the schema first unless the caller just did; without one, nothing runs', async () => {
  for (const schemaChecked of [false, true]) {
    const t = rig();
    try {
      // A segment left by a process that is gone.
      mkdirSync(t.spillDir, { recursive: true });
      writeFileSync(join(t.spillDir, `999999999-${Date.now()}-0.jsonl`), encodeOp(ops('old')[0]!) + '\n');
      const spill = new Spill(t.spillDir);
      assert.equal(spill.claimOrphans(), 1);
      const r = new Recovery({ ...t.options, spill });
      r.start({ spilling: true, schemaChecked });
      assert.equal(r.state, 'spilling');
      await t.until('resumed');
      assert.deepEqual(t.written, ['old']);
      assert.deepEqual(t.events.filter((e) => e === 'schema').length, schemaChecked ? 0 : 1);
    } finally {
      t.done();
    }
  }
  const idle = rig();
  try {
    idle.recovery.start({ spilling: false, schemaChecked: false });
    await nextTurn();
    assert.deepEqual(idle.events, []);
    assert.equal(idle.recovery.drained, true);
  } finally {
    idle.done();
  }
});

test('close: what waits for the end of the turn, then what was in memory, go to the spill file at once; later operations too; the replay stops', async () => {
  const t = rig({ down: true });
  try {
    t.recovery.start({ spilling: true, schemaChecked: true });
    t.recovery.add(ops('a'));
    t.recovery.close(ops('b', 'c'));
    assert.equal(t.recovery.state, 'closed');
    assert.deepEqual(t.spilled(), ['a', 'b', 'c'], 'on disk before close returns');
    t.recovery.add(ops('d'));
    assert.deepEqual(t.spilled(), ['a', 'b', 'c', 'd'], 'appended at once after close');
    await t.until('settled');
    assert.equal(t.events.includes('resumed'), false);
    assert.deepEqual(t.written, []);
    assert.equal(t.tally.spilled, 4);
  } finally {
    t.done();
  }
});

test('replaying: while a replay may still empty the spill; not once an attempt failed, nor after close', async () => {
  const t = rig({ down: true, upAfterSleeps: 2 });
  try {
    t.recovery.start({ spilling: false, schemaChecked: true });
    t.recovery.enter(ops('a'), 'the queue of 1 operations is full');
    assert.equal(t.recovery.replaying, true, 'no attempt has failed yet');
    while (t.sleeps.length === 0) await nextTurn();
    assert.equal(t.recovery.replaying, false, 'the database refused the first attempt');
    await t.until('resumed');
    assert.equal(t.recovery.replaying, false, 'normal again');
    t.recovery.close([]);
    assert.equal(t.recovery.replaying, false);
  } finally {
    t.done();
  }
});

test('a replay that fails because the store closed under it is not reported as the database being away', async () => {
  const t = rig();
  try {
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    t.options.write = async () => {
      await blocked;
      throw new Error('Cannot use a pool after calling end on the pool');
    };
    const r = new Recovery(t.options);
    r.start({ spilling: false, schemaChecked: true });
    r.enter(ops('a', 'b'), 'the queue of 2 operations is full');
    r.close([]);
    release();
    await t.until('settled');
    assert.deepEqual(t.lines.filter((l) => /still unreachable/.test(l)), []);
    assert.equal(r.pendingOps, 2, 'kept in the spill file for the next start');
  } finally {
    t.done();
  }
});

test('a spill file that cannot be written: the operations are counted as dropped and logged as lost', () => {
  const root = mkdtempSync(join(tmpdir(), 'ccproxy-recovery-'));
  const blocked = join(root, 'a-file');
  writeFileSync(blocked, '');
  const t = rig({ spillDir: join(blocked, 'spill') });
  try {
    t.recovery.close(ops('a', 'b'));
    assert.deepEqual([t.tally.spilled, t.tally.dropped], [0, 2]);
    assert.match(t.lines.at(-1)!, /error .*LOST 2 trace operations: the spill file in .* cannot be written/);
    assert.deepEqual(t.journaled, [], 'the journal keeps what did not reach the spill');
  } finally {
    t.done();
    rmSync(root, { recursive: true, force: true });
  }
});
