// The append-only spill: operations the database could not take yet, on disk in arrival order, one segment
// file per writing process. Segments left by a process that died are claimed and replayed by the next writer.
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from './holder.js';
import { countOps, decodeOp, encodeOp, type Op } from './ops.js';

interface Segment {
  path: string;
  ts: number;
  seq: number;
  /** Bytes already replayed. */
  pos: number;
}

const NAME = /^(\d+)-(\d+)-(\d+)\.jsonl$/;
/** Replay reads this much at a time, so a long outage's spill never has to fit in memory. */
const READ_CHUNK = 4 * 1024 * 1024;

export class Spill {
  /** Segments claimed from processes that are gone, oldest first; replayed before our own. */
  private claimed: Segment[] = [];
  private own: Segment | null = null;
  private fd: number | null = null;
  /** Operations on disk not yet replayed. */
  pendingOps = 0;

  constructor(private readonly dir: string) {}

  /** Takes over the segments of processes that are gone; returns how many files were claimed. */
  claimOrphans(): number {
    let entries: string[];
    try {
      entries = readdirSync(this.dir);
    } catch {
      return 0;
    }
    let claimed = 0;
    for (const name of entries) {
      const m = NAME.exec(name);
      if (!m) continue;
      const pid = Number(m[1]);
      if (pid === process.pid || isAlive(pid)) continue;
      const target = join(this.dir, `${process.pid}-${m[2]}-${m[3]}.jsonl`);
      try {
        renameSync(join(this.dir, name), target);
      } catch {
        continue; // another process claimed it first
      }
      this.claimed.push({ path: target, ts: Number(m[2]), seq: Number(m[3]), pos: 0 });
      claimed++;
      this.pendingOps += countOpsIn(target);
    }
    this.claimed.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
    return claimed;
  }

  get empty(): boolean {
    return this.claimed.length === 0 && (this.fd === null || fstatSync(this.fd).size <= (this.own?.pos ?? 0));
  }

  /** Appends synchronously: once this returns, the operations survive this process. Throws if the disk refuses. */
  append(ops: readonly Op[]): void {
    if (ops.length === 0) return;
    if (this.fd === null) this.openOwn();
    writeSync(this.fd!, ops.map(encodeOp).join('\n') + '\n');
    this.pendingOps += countOps(ops);
  }

  /**
   * Replays claimed segments, then our own, in order through `write`, batch by batch. When everything on disk
   * has been written, claimed files are deleted, our own is truncated and `onEmpty` runs — in one synchronous
   * step after the last size check, so no append can land in between and be lost. Returns false if
   * `keepGoing` said stop first.
   */
  async replay(write: (ops: Op[]) => Promise<void>, batchSize: number, keepGoing: () => boolean, onEmpty: () => void): Promise<boolean> {
    while (this.claimed.length > 0) {
      const seg = this.claimed[0]!;
      const fd = openSync(seg.path, 'r');
      try {
        if (!(await this.replaySegment(fd, seg, write, batchSize, keepGoing))) return false;
      } finally {
        closeSync(fd);
      }
      rmSync(seg.path, { force: true });
      this.claimed.shift();
    }
    for (;;) {
      // Also before the first look at our own file: the operations that started this spill may still be on their
      // way to it (appended at the end of the turn), and the file may not even exist yet.
      if (!keepGoing()) return false;
      if (this.fd !== null && this.own) {
        if (!(await this.replaySegment(this.fd, this.own, write, batchSize, keepGoing))) return false;
        if (fstatSync(this.fd).size > this.own.pos) continue; // appended while we resumed: go on reading
        ftruncateSync(this.fd, 0);
        this.own.pos = 0;
      }
      this.pendingOps = 0;
      onEmpty();
      return true;
    }
  }

  private async replaySegment(fd: number, seg: Segment, write: (ops: Op[]) => Promise<void>, batchSize: number, keepGoing: () => boolean): Promise<boolean> {
    for (;;) {
      if (!keepGoing()) return false;
      const size = fstatSync(fd).size;
      if (seg.pos >= size) return true;
      const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, size - seg.pos));
      const n = readSync(fd, buf, 0, buf.length, seg.pos);
      const end = buf.lastIndexOf(0x0a, n - 1);
      if (end < 0) {
        if (n === READ_CHUNK) throw new Error(`spill line longer than ${READ_CHUNK} bytes in ${seg.path}`);
        // A final line without its newline: its writer died mid-write and nothing acknowledged it.
        seg.pos = size;
        return true;
      }
      const ops: Op[] = [];
      for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
        if (line.length === 0) continue;
        try {
          ops.push(decodeOp(line));
        } catch {
          /* a torn line from a crash mid-write */
        }
      }
      for (let i = 0; i < ops.length; i += batchSize) await write(ops.slice(i, i + batchSize));
      seg.pos += end + 1;
      this.pendingOps = Math.max(0, this.pendingOps - countOps(ops));
    }
  }

  close(): void {
    if (this.fd === null) return;
    const empty = fstatSync(this.fd).size <= (this.own?.pos ?? 0);
    closeSync(this.fd);
    this.fd = null;
    if (empty && this.own) {
      rmSync(this.own.path, { force: true });
      this.own = null;
    }
  }

  private openOwn(): void {
    mkdirSync(this.dir, { recursive: true });
    if (!this.own) {
      const ts = Date.now();
      this.own = { path: join(this.dir, `${process.pid}-${ts}-0.jsonl`), ts, seq: 0, pos: 0 };
    }
    this.fd = openSync(this.own.path, 'a+', 0o600);
  }
}

/** A line's end that says how many handed-over operations it carries (encodeOp writes `n` last, when over 1). */
const CARRIES = /,"n":(\d+)\}$/;

/**
 * The handed-over operations a spill file holds, in the unit the writer counts (a line of merged operations
 * carries several), read line end by line end without parsing the lines.
 */
function countOpsIn(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let count = 0;
    let pos = 0;
    // The last characters of the line read so far: enough for `,"n":` and any count.
    let tail = '';
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) return count;
      let from = 0;
      for (let i = 0; i < n; i++) {
        if (buf[i] !== 0x0a) continue;
        const end = (tail + buf.toString('latin1', Math.max(from, i - 24), i)).slice(-24);
        count += Number(CARRIES.exec(end)?.[1] ?? 1);
        tail = '';
        from = i + 1;
      }
      tail = (tail + buf.toString('latin1', Math.max(from, n - 24), n)).slice(-24);
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
}
