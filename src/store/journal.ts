// The crash journal: every operation handed to the writer (its memory queue, or the spill's next write) is
// appended here as soon as the callback that queued it returns (a process.nextTick: before the process handles
// anything else, such as the embedded database running a batch on this thread; a completion at once, through
// `flush`), all that callback queued at once (copied into the file's memory mapping, or one write:
// journal-file.ts), and forgotten once the database (or the spill file) has it. LLM usage rows are not journaled:
// they are derived from the trace. Instead a trace's completion stays in the journal until its usage rows are
// written too (`awaitRead`, `read`), and the traces a journal gives back get their usage read again from their
// stored bodies (store/backfill.ts). A process killed outright leaves its journal behind; the next writer moves it
// into its spill, so a completed exchange survives a SIGKILL that comes after its client had the response's end.
// It guards against the process dying, not the machine: nothing is fsynced.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from './holder.js';
import { createJournalFile, mapped, type JournalFile } from './journal-file.js';
import { decodeFrames, encodeFrames } from './op-frames.js';
import { countOps, type Op } from './ops.js';

/** A journal file: once it is full and every operation in it has been written elsewhere, deleted or kept as the spare. */
interface Segment {
  file: JournalFile;
  /** Operations in this file not yet in the database or the spill file. */
  open: number;
}

/**
 * An operation as the journal marks it: its ticket (where it stands: waiting for its write, in a segment, or done,
 * whatever comes first), and, on a usage row that is its trace's last, the completion waiting for it.
 */
type Marked = Op & { journaled?: Ticket; awaited?: Awaiting };
const marked = (op: Op) => op as Marked;

/** A segment this large is closed and a new one begun, so a finished one can be deleted. */
const ROTATE_BYTES = 8 * 1024 * 1024;
/** Frames of up to this many bytes in all are encoded without a new buffer: a few exchanges of a few KB. */
const SCRATCH_BYTES = 64 * 1024;
/** A completion whose usage rows have not come this long after it is forgotten once written: its read failed. */
const READ_WAIT_MS = 60_000;

/**
 * Where one journaled operation stands, apart from the operation itself: a completion waiting for its usage rows is
 * remembered by its ticket, so its fields (bodies, headers) are not kept alive for that wait once they are written.
 */
interface Ticket {
  at: Segment | 'pending' | 'done';
}

/** A journaled completion whose usage rows are still to come, and whether the completion itself is written. */
interface Awaiting {
  id: string;
  ticket: Ticket;
  until: number;
  written: boolean;
}
const NAME = /^(\d+)-(\d+)-(\d+)\.journal$/;

export class Journal {
  private current: Segment | null = null;
  /** Full segments still holding operations that are not written yet. */
  private readonly retired = new Set<Segment>();
  private pending: Op[] = [];
  /** A write is scheduled for when the current callback returns. */
  private scheduled = false;
  private seq = 0;
  /** Where frames are encoded before their write (written synchronously, so it is free again at once). */
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  private readonly started = Date.now();
  /** Set once a write failed, or at close: nothing more is journaled, and no file is kept for reuse. */
  private failed = false;
  /** An emptied file kept for the next segment (`discard`). */
  private spare: JournalFile | null = null;
  /** Completions waiting for their usage rows, by trace, oldest first. */
  private readonly awaiting = new Map<string, Awaiting>();

  /** `map`: write through a memory mapping of each file (journal-file.ts); by default where the addon is built. */
  constructor(
    private readonly dir: string,
    private readonly onError: (err: Error) => void,
    private readonly map = mapped(),
  ) {}

  /**
   * Reads the journals of processes that are gone, hands their operations to `keep` (the spill: once it returns
   * they are safe) and deletes them. Returns how many operations were recovered, from how many files, and the
   * traces they belong to.
   */
  static recover(dir: string, keep: (ops: Op[]) => void): { files: number; ops: number; traces: Set<string> } {
    const traces = new Set<string>();
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return { files: 0, ops: 0, traces };
    }
    const found = entries
      .map((name) => ({ name, m: NAME.exec(name) }))
      .filter(({ m }) => m && Number(m[1]) !== process.pid && !isAlive(Number(m[1])))
      .sort((a, b) => Number(a.m![2]) - Number(b.m![2]) || Number(a.m![3]) - Number(b.m![3]));
    let ops = 0;
    for (const { name } of found) {
      const path = join(dir, name);
      const recovered = decodeFrames(readFileSync(path));
      if (recovered.length > 0) keep(recovered);
      for (const op of recovered) traces.add(op.id);
      ops += countOps(recovered);
      rmSync(path, { force: true });
    }
    return { files: found.length, ops, traces };
  }

  /** Journals `op` when the current callback returns (a usage row never: see the top of this file). */
  add(op: Op): void {
    if (this.failed || op.kind === 'usage') return;
    marked(op).journaled = { at: 'pending' };
    this.pending.push(op);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  /**
   * `op` completes a trace whose usage rows are yet to be read: the journal keeps it until they are written (or
   * `read` says there are none), so a kill in between gives the trace back for its usage to be read again.
   */
  awaitRead(traceId: string, op: Op): void {
    const ticket = marked(op).journaled;
    if (this.failed || !ticket) return;
    this.awaiting.set(traceId, { id: traceId, ticket, until: Date.now() + READ_WAIT_MS, written: false });
  }

  /** The trace's usage rows, just queued (none: the trace was not an LLM call, or its read failed). */
  read(traceId: string, rows: readonly Op[]): void {
    const a = this.awaiting.get(traceId);
    if (!a) return;
    const last = rows[rows.length - 1];
    if (last) marked(last).awaited = a;
    else this.release(traceId, a);
  }

  /** The operations are in the database or the spill file: the journal no longer needs them. */
  done(ops: readonly Op[]): void {
    for (const op of ops) {
      const waiter = marked(op).awaited;
      if (waiter) this.release(waiter.id, waiter);
      const a = op.kind === 'usage' ? undefined : this.awaiting.get(op.id);
      const ticket = marked(op).journaled;
      if (a && a.ticket === ticket) a.written = true;
      else if (ticket) this.forget(ticket);
    }
    // Completions whose usage never came (a read that failed, a flow handed over without its read).
    const now = Date.now();
    for (const [id, a] of this.awaiting) {
      if (a.until > now) break;
      this.release(id, a);
    }
  }

  private release(traceId: string, a: Awaiting): void {
    if (this.awaiting.get(traceId) === a) this.awaiting.delete(traceId);
    if (a.written) this.forget(a.ticket);
    a.written = false;
  }

  private forget(ticket: Ticket): void {
    const w = ticket.at;
    if (w === 'done') return;
    ticket.at = 'done';
    if (w === 'pending') return;
    w.open--;
    if (w.open > 0) return;
    if (this.retired.delete(w)) this.discard(w.file);
    // Everything in the open file is written: it is emptied, so a crash leaves only what is still owed.
    else if (w === this.current && w.file.bytes > 0) w.file.empty();
  }

  /** Appends what was queued since the last flush, all at once (a new file first when the current one is full). */
  flush(): void {
    this.scheduled = false;
    const ops = this.pending;
    if (ops.length === 0) return;
    this.pending = [];
    const owed = ops.filter((op) => marked(op).journaled?.at === 'pending');
    if (owed.length === 0) return;
    try {
      const frames = encodeFrames(owed, this.scratch);
      if (this.current && !this.current.file.fits(frames.length)) this.retire();
      const seg = this.current ?? (this.current = this.open(frames.length));
      seg.file.append(frames);
      for (const op of owed) marked(op).journaled!.at = seg;
      seg.open += owed.length;
      if (seg.file.bytes >= ROTATE_BYTES) this.retire();
    } catch (err) {
      this.failed = true;
      this.onError(err as Error);
    }
  }

  /** Ends the journal: files whose operations all went elsewhere are deleted; the rest wait for the next start. */
  close(): void {
    this.flush();
    this.failed = true;
    this.retire();
    for (const seg of this.retired) seg.file.close();
    if (this.spare) this.discard(this.spare);
    this.spare = null;
  }

  /** Files and operations still held (for tests and status). */
  get holding(): { files: number; ops: number } {
    let ops = this.current?.open ?? 0;
    for (const s of this.retired) ops += s.open;
    return { files: this.retired.size + (this.current ? 1 : 0), ops };
  }

  private retire(): void {
    const seg = this.current;
    if (!seg) return;
    this.current = null;
    if (seg.open === 0) this.discard(seg.file);
    else this.retired.add(seg);
  }

  /**
   * A file whose operations are all written elsewhere: emptied and kept as the spare for the next segment when
   * none is kept yet (a mapped file: its pages are faulted in already, which a new file's are not, and at a steady
   * load a segment fills every few seconds), otherwise closed and deleted.
   */
  private discard(file: JournalFile): void {
    if (file.moveTo && !this.spare && !this.failed) {
      file.empty();
      this.spare = file;
      return;
    }
    file.close();
    rmSync(file.path, { force: true });
  }

  /**
   * A new segment for at least `bytes` of frames (a mapped one is a segment's size, or more for one large write):
   * the spare, renamed so that the files' names keep their order, when it is large enough.
   */
  private open(bytes: number): Segment {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, `${process.pid}-${this.started}-${++this.seq}.journal`);
    const spare = this.spare;
    if (spare?.moveTo && spare.fits(bytes)) {
      this.spare = null;
      spare.moveTo(path);
      return { file: spare, open: 0 };
    }
    return { file: createJournalFile(path, Math.max(ROTATE_BYTES + SCRATCH_BYTES, bytes), this.map), open: 0 };
  }
}
