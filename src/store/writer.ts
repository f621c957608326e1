// The trace writer: capture code hands it operations and never waits. A bounded queue feeds batched upserts;
// when the queue is full or the database is unreachable, operations go to the spill file and are replayed
// in order once the database answers again (also by the next process to start). The messages of upgraded
// (WebSocket) connections travel the same way, as rows of their own table. This file is the memory queue and
// its pump; the parts it drives: hold (creates waiting for their completion), batch (what one round trip
// carries), row-writer (the database side), recovery (the state, the spill side and the replay), counters.
import type { Flow } from '../flow/flow.js';
import type { FlowSink } from '../flow/sink.js';
import type { WsMessage } from '../flow/websocket.js';
import type { Logger } from '../log.js';
import { Gather, takeBatch } from './batch.js';
import { CounterLog, newTally, type WriterCounters } from './counters.js';
import type { Database } from './database.js';
import { Hold } from './hold.js';
import { Journal } from './journal.js';
import { countOps, makeOp, makeTimingOp, makeUsageOp, makeWsOp, rides, type Op } from './ops.js';
import { Recovery } from './recovery.js';
import { requestBodyRow, requestStartRow, responseEndRow, responseStartRow, timingsRow, usageRow } from './flow-row.js';
import { mayBeLlmCall, pricedCallsOf } from '../usage/priced.js';
import { describeError, RowWriter } from './row-writer.js';
import { Spill } from './spill.js';
import type { TraceFields } from './table.js';

export type { WriterCounters } from './counters.js';

export interface WriterOptions {
  /** Operations held in memory (the spec's buffer of 1000). */
  queueSize: number;
  /** Most operations per database round trip. */
  batchSize: number;
  spillDir: string;
  /** Where the crash journal goes; without it, operations queued in memory are lost if the process is killed. */
  journalDir?: string;
  rejectedFile: string;
  log: Logger;
  /** First and longest wait between attempts to reach a database that is down. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /**
   * How long a create waits for its completion before it is queued on its own (default 250 ms). A short
   * exchange then becomes one INSERT instead of an INSERT and an UPDATE; a long one shows up after this delay.
   */
  holdMs?: number;
  /**
   * Send a trace's first write by binary COPY (PostgreSQL servers). The embedded database's socket does not
   * carry COPY, so it always upserts.
   */
  copy?: boolean;
}

/** How often held creates are checked for their deadline. */
const HOLD_SWEEP_MS = 50;

/** The capture points' sink: each moment of a flow becomes an operation on its row (mapped by flow-row.ts). */
export class TraceWriter implements FlowSink {
  private queue: Op[] = [];
  /** Operations in `queue` that count against queue_size and batch_size (every one but those that ride along). */
  private traceOps = 0;
  /** The batch on its way to the database. */
  private inflight: Op[] | null = null;
  private pumping = false;
  /** Flushes in progress: while any waits, batches go at once. */
  private hurry = 0;
  private waiters: (() => void)[] = [];
  private readonly holdMs: number;
  private readonly hold: Hold;
  private holdTimer: NodeJS.Timeout | null = null;
  private readonly gather = new Gather();
  private readonly tally = newTally();
  private readonly spill: Spill;
  private readonly journal: Journal | null;
  private readonly rows: RowWriter;
  private readonly recovery: Recovery;
  private readonly counterLog: CounterLog;
  /** The traces a killed process's journal gave back at start: their usage rows were not journaled (journal.ts). */
  recoveredTraces: readonly string[] = [];

  /** Everything replayed (the journal's traces too) is in the database: writing normally, nothing left to spill. */
  get replayed(): boolean {
    return this.recovery.state === 'normal' && this.recovery.drained;
  }

  constructor(
    db: Pick<Database, 'pool' | 'describe'> & { refresh?: () => Promise<void> },
    private readonly opts: WriterOptions,
  ) {
    this.spill = new Spill(opts.spillDir);
    this.journal = opts.journalDir
      ? new Journal(opts.journalDir, (err) => opts.log.error(`the crash journal in ${opts.journalDir} cannot be written (${err.message}); traces are still written, but a crash now loses the queued ones`))
      : null;
    this.holdMs = opts.holdMs ?? 250;
    this.hold = new Hold(this.holdMs, opts.queueSize);
    this.rows = new RowWriter(db, { copy: opts.copy ?? false, rejectedFile: opts.rejectedFile, log: opts.log }, this.tally);
    this.recovery = new Recovery({
      spill: this.spill,
      spillDir: opts.spillDir,
      journal: this.journal,
      tally: this.tally,
      log: opts.log,
      batchSize: opts.batchSize,
      retryMinMs: opts.retryMinMs ?? 250,
      retryMaxMs: opts.retryMaxMs ?? 5_000,
      db,
      write: (ops) => this.rows.write(ops),
      ensureSchema: () => this.rows.ensureSchema(),
      settled: () => this.notify(),
      resumed: () => {
        if (this.queue.length > 0 && !this.pumping) {
          this.pumping = true;
          void this.pump();
        }
      },
    });
    this.counterLog = new CounterLog(opts.log, () => this.counters());
  }

  /**
   * Claims spill files left by processes that are gone and starts replaying them. With `spilling`, starts
   * with the database known to be unreachable: everything goes to the spill until it answers. `schemaChecked`
   * says the caller has just migrated and checked COPY, so a replay need not do it again.
   */
  start(opts: { spilling?: boolean; schemaChecked?: boolean } = {}): this {
    const claimed = this.spill.claimOrphans();
    if (claimed > 0) this.opts.log.info(`replaying ${this.spill.pendingOps} operations spilled by an earlier process (${claimed} file(s) in ${this.opts.spillDir})`);
    // After the claimed spill: what a killed process still owed goes to our own spill file, then is replayed.
    let journaled = { files: 0, ops: 0, traces: new Set<string>() };
    try {
      if (this.opts.journalDir) journaled = Journal.recover(this.opts.journalDir, (ops) => this.spill.append(ops));
    } catch (err) {
      this.opts.log.error(`cannot replay the crash journal in ${this.opts.journalDir} (${(err as Error).message}); it stays there for the next start`);
    }
    if (journaled.ops > 0) this.opts.log.warn(`an earlier process stopped without closing: replaying ${journaled.ops} operations from its crash journal`);
    this.recoveredTraces = [...journaled.traces];
    this.recovery.start({ spilling: claimed > 0 || journaled.ops > 0 || (opts.spilling ?? false), schemaChecked: opts.schemaChecked ?? false });
    this.counterLog.start();
    return this;
  }

  requestStarted(flow: Flow): void {
    this.create(flow.id, requestStartRow(flow));
  }

  requestEnded(flow: Flow): void {
    this.update(flow.id, requestBodyRow(flow));
  }

  responseStarted(flow: Flow): void {
    this.update(flow.id, responseStartRow(flow));
  }

  /**
   * The completion, then the flow's timings row as one more operation when it has one, both in the crash journal
   * before this returns: the capture points hand a completion over before its response's last byte goes out, so
   * a client that has its whole answer never sees its row lost to a kill. The journal keeps an LLM call's
   * completion until its usage rows are written (journal.ts).
   */
  responseEnded(flow: Flow): void {
    const op = this.complete(flow.id, responseEndRow(flow));
    if (op && this.journal && mayBeLlmCall(flow)) this.journal.awaitRead(flow.id, op);
    const timings = timingsRow(flow);
    if (timings) this.enqueue(makeTimingOp(flow.id, timings));
    this.journal?.flush();
  }

  /** The flow's LLM usage rows (one per call), read once its response had gone out. */
  responseRead(flow: Flow): void {
    // Only a flow whose request went on linked (link.ts) can be named by another row.
    const unnamed = flow.linkedOut !== true;
    const rows = pricedCallsOf(flow).map((priced, seq) => makeUsageOp(flow.id, usageRow(flow, priced, seq), unnamed));
    for (const op of rows) this.enqueue(op);
    this.journal?.read(flow.id, rows);
  }

  /** Records a request as soon as it is seen (in the database within `holdMs`, or with its completion). */
  create(traceId: string, fields: TraceFields): void {
    const op = makeOp('create', traceId, fields);
    // Held while spilling too: a finished exchange then goes to the spill file as one line, not three.
    if (this.recovery.state === 'closed' || this.holdMs <= 0) return this.enqueue(op);
    this.tally.enqueued++;
    const over = this.hold.add(traceId, op);
    if (over) this.push(over);
    if (!this.holdTimer) {
      this.holdTimer = setInterval(() => this.releaseDue(), HOLD_SWEEP_MS);
      this.holdTimer.unref();
    }
  }

  /** Adds to a trace in progress (the request body once sent, say) without ending it. */
  update(traceId: string, fields: TraceFields): void {
    this.addTo(traceId, fields, false);
  }

  /**
   * Completes a trace when its response ends or fails; may arrive before the create has been written. Returns the
   * operation queued (the held create it joined, when there was one).
   */
  complete(traceId: string, fields: TraceFields): Op {
    return this.addTo(traceId, fields, true)!;
  }

  /** Joins a held create when there is one (and, when `last`, sends it on); otherwise queues on its own. */
  private addTo(traceId: string, fields: TraceFields, last: boolean): Op | null {
    const op = makeOp('complete', traceId, fields);
    if (!this.hold.join(traceId, op)) {
      this.enqueue(op);
      return op;
    }
    this.tally.enqueued++;
    if (!last) return null;
    const whole = this.hold.take(traceId)!;
    this.push(whole);
    return whole;
  }

  /**
   * One message of an upgraded connection, queued at once (not held: it is a whole row). It may reach the
   * database before its trace's row. The payload is kept by reference until written: it must not be reused.
   */
  wsMessage(traceId: string, message: WsMessage): void {
    this.enqueue(makeWsOp(traceId, message));
  }

  counters(): WriterCounters {
    return { state: this.recovery.state, queued: this.hold.ops + countOps(this.queue) + countOps(this.inflight ?? []), spillPending: this.recovery.pendingOps, ...this.tally };
  }

  /** Queues held creates whose wait is over. */
  private releaseDue(): void {
    for (const op of this.hold.due()) this.push(op);
    if (this.hold.size === 0 && this.holdTimer) {
      clearInterval(this.holdTimer);
      this.holdTimer = null;
    }
  }

  /** Resolves once everything handed over so far is in the database (or `timeoutMs` passed: then false). */
  async flush(timeoutMs = 30_000): Promise<boolean> {
    for (const op of this.hold.release()) this.push(op);
    if (this.idle()) return true;
    this.hurry++;
    this.gather.wake();
    try {
      return await this.waitIdle(timeoutMs);
    } finally {
      this.hurry--;
    }
  }

  private async waitIdle(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<boolean>((resolve) => this.waiters.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Drains within `timeoutMs` (a replay of the spill file under way too, unless its last attempt failed: the
   * database is away), then spills whatever is left (an in-flight batch too: it may or may not commit, and
   * replaying an upsert twice is harmless). Operations handed over after close go straight to the spill.
   */
  async close(timeoutMs = 5_000): Promise<WriterCounters> {
    for (const op of this.hold.release()) this.push(op);
    if (this.holdTimer) clearInterval(this.holdTimer);
    this.holdTimer = null;
    if (this.recovery.state === 'normal' || this.recovery.replaying) await this.flush(timeoutMs);
    const rest = [...(this.inflight ?? []), ...this.takeAll()];
    this.inflight = null;
    this.recovery.close(rest);
    await this.rows.flushNotifications();
    this.journal?.close();
    this.counterLog.stop();
    this.notify();
    return this.counters();
  }

  private enqueue(op: Op): void {
    this.tally.enqueued++;
    this.push(op);
  }

  private push(op: Op): void {
    // Journaled whichever way it goes: the spill file gathers a turn's operations before its write, and tells the
    // journal once they are in (Recovery.flush).
    this.journal?.add(op);
    if (this.recovery.state !== 'normal') {
      this.recovery.add([op]);
      return;
    }
    const counted = !rides(op);
    if (counted && this.traceOps >= this.opts.queueSize) {
      this.recovery.enter([...this.takeAll(), op], `the queue of ${this.opts.queueSize} operations is full`);
      return;
    }
    this.queue.push(op);
    if (counted) this.traceOps++;
    if (this.traceOps >= this.opts.batchSize) this.gather.wake();
    if (!this.pumping) {
      this.pumping = true;
      setImmediate(() => void this.pump());
    }
  }

  private async pump(): Promise<void> {
    try {
      while (this.recovery.state === 'normal' && this.queue.length > 0) {
        if (this.traceOps < this.opts.batchSize && this.hurry === 0) {
          // Up to GATHER_MS for a fuller batch; a full batch, a flush or close ends the wait early.
          await this.gather.wait();
          if (this.recovery.state !== 'normal' || this.queue.length === 0) break;
        }
        const batch = takeBatch(this.queue, this.opts.batchSize);
        for (const op of batch) if (!rides(op)) this.traceOps--;
        this.inflight = batch;
        try {
          await this.rows.write(batch);
          this.journal?.done(batch);
        } catch (err) {
          // The batch is older than what is queued: it goes to the spill first, keeping the order.
          if (this.recovery.state === 'normal') this.recovery.enter([...batch, ...this.takeAll()], describeError(err));
          else if (this.inflight === batch) this.recovery.add(batch); // (close() has spilled it already otherwise)
        } finally {
          if (this.inflight === batch) this.inflight = null;
        }
      }
    } finally {
      this.pumping = false;
      this.notify();
    }
  }

  /** Empties the memory queue (for the spill), in order. */
  private takeAll(): Op[] {
    this.traceOps = 0;
    return this.queue.splice(0);
  }

  private idle(): boolean {
    return this.queue.length === 0 && this.inflight === null && !this.pumping && this.recovery.drained;
  }

  private notify(): void {
    if (this.waiters.length === 0 || !(this.idle() || this.recovery.state === 'closed')) return;
    for (const w of this.waiters.splice(0)) w();
  }
}
