// The trace writer: capture code hands it operations and never waits. A bounded queue feeds batched upserts;
// when the queue is full or the database is unreachable, operations go to the spill file and are replayed
// in order once the database answers again (also by the next process to start). The messages of upgraded
// (WebSocket) connections travel the same way, as rows of their own table.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WsMessage } from '../flow/websocket.js';
import type { Logger } from '../log.js';
import { isConnectionError, withClient, type Database } from './database.js';
import { migrate } from './migrations.js';
import { carriesCopy, copyRows, NotEncodable, planCopies } from './copy.js';
import { absorb, buildStatements, countOps, encodeOp, makeOp, makeWsOp, mergeOps, type Op } from './ops.js';
import { Spill } from './spill.js';
import type { TraceFields } from './table.js';

export interface WriterOptions {
  /** Operations held in memory (the spec's buffer of 1000). */
  queueSize: number;
  /** Most operations per database round trip. */
  batchSize: number;
  spillDir: string;
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

export interface WriterCounters {
  state: 'normal' | 'spilling' | 'closed';
  /** Operations waiting in memory now. */
  queued: number;
  /** Operations waiting in the spill file now. */
  spillPending: number;
  enqueued: number;
  /** Operations that reached the database, replayed ones included. */
  written: number;
  /** Operations appended to the spill file. */
  spilled: number;
  /** Operations written from the spill file. */
  replayed: number;
  /** Operations the database refused as invalid; kept in rejected.jsonl. */
  failed: number;
  /** Operations lost because the spill file could not be written either (disk full, say). */
  dropped: number;
  batches: number;
}

/** Caps one round trip's body bytes, far below PostgreSQL's 1 GB message limit. */
const BATCH_BYTES = 16 * 1024 * 1024;
/** How often debug logs print the counters while something changes. */
const COUNTER_LOG_MS = 5_000;

/**
 * How long the writer waits for more operations before a round trip that would carry less than a full batch.
 * Each round trip costs PostgreSQL a transaction and a WAL flush whatever its size: at thousands of exchanges a
 * second, batches of a few hundred rows instead of a few dozen halve its work per row.
 */
const GATHER_MS = 20;

/** How often held creates are checked for their deadline. */
const HOLD_SWEEP_MS = 50;

export class TraceWriter {
  private queue: Op[] = [];
  /** Creates (and the updates that followed them) waiting briefly for their completion, oldest first. */
  private held = new Map<string, { op: Op; at: number }>();
  /** Operations on their way to the spill file at the end of this turn. */
  private spillBuffer: Op[] = [];
  private spillFlush: NodeJS.Immediate | null = null;
  private holdTimer: NodeJS.Timeout | null = null;
  private readonly holdMs: number;
  private inflight: Op[] | null = null;
  private state: WriterCounters['state'] = 'normal';
  private pumping = false;
  /** Ends a gather wait early. */
  private gatherWake: (() => void) | null = null;
  /** Flushes in progress: while any waits, batches go at once. */
  private hurry = 0;
  private recovering = false;
  private readonly spill: Spill;
  private readonly c = { enqueued: 0, written: 0, spilled: 0, replayed: 0, failed: 0, dropped: 0, batches: 0 };
  private waiters: (() => void)[] = [];
  private counterTimer: NodeJS.Timeout | null = null;
  private lastLogged = '';
  private readonly retryMin: number;
  private readonly retryMax: number;
  /** Cleared if the database refuses COPY: upserts then carry everything. */
  private copyEnabled: boolean;
  /** The schema is known to be in place (migrated, COPY checked) since the database last answered. */
  private schemaChecked = false;

  constructor(
    private readonly db: Pick<Database, 'pool' | 'describe'> & { refresh?: () => Promise<void> },
    private readonly opts: WriterOptions,
  ) {
    this.spill = new Spill(opts.spillDir);
    this.retryMin = opts.retryMinMs ?? 250;
    this.retryMax = opts.retryMaxMs ?? 5_000;
    this.holdMs = opts.holdMs ?? 250;
    this.copyEnabled = opts.copy ?? false;
  }

  /**
   * Claims spill files left by processes that are gone and starts replaying them. With `spilling`, starts
   * with the database known to be unreachable: everything goes to the spill until it answers. `schemaChecked`
   * says the caller has just migrated and checked COPY, so a replay need not do it again.
   */
  start(opts: { spilling?: boolean; schemaChecked?: boolean } = {}): this {
    this.schemaChecked = opts.schemaChecked ?? false;
    const claimed = this.spill.claimOrphans();
    if (claimed > 0) this.opts.log.info(`replaying ${this.spill.pendingOps} operations spilled by an earlier process (${claimed} file(s) in ${this.opts.spillDir})`);
    if (claimed > 0 || opts.spilling) {
      this.state = 'spilling';
      void this.recover();
    }
    if (this.opts.log.debugEnabled) {
      this.counterTimer = setInterval(() => this.logCounters(), COUNTER_LOG_MS);
      this.counterTimer.unref();
    }
    return this;
  }

  /** Records a request as soon as it is seen (in the database within `holdMs`, or with its completion). */
  create(traceId: string, fields: TraceFields): void {
    const op = makeOp('create', traceId, fields);
    // Held while spilling too: a finished exchange then goes to the spill file as one line, not three.
    if (this.state === 'closed' || this.holdMs <= 0) return this.enqueue(op);
    this.c.enqueued++;
    const prev = this.held.get(traceId);
    if (prev) absorb(prev.op, op);
    else this.held.set(traceId, { op, at: Date.now() });
    if (this.held.size > this.opts.queueSize) this.release(1);
    if (!this.holdTimer) {
      this.holdTimer = setInterval(() => this.releaseDue(), HOLD_SWEEP_MS);
      this.holdTimer.unref();
    }
  }

  /** Adds to a trace in progress (the request body once sent, say) without ending it. */
  update(traceId: string, fields: TraceFields): void {
    this.addTo(traceId, fields, false);
  }

  /** Completes a trace when its response ends or fails; may arrive before the create has been written. */
  complete(traceId: string, fields: TraceFields): void {
    this.addTo(traceId, fields, true);
  }

  /** Joins a held create when there is one (and, when `last`, sends it on); otherwise queues on its own. */
  private addTo(traceId: string, fields: TraceFields, last: boolean): void {
    const op = makeOp('complete', traceId, fields);
    const held = this.held.get(traceId);
    if (!held) return this.enqueue(op);
    this.c.enqueued++;
    absorb(held.op, op);
    if (last) {
      this.held.delete(traceId);
      this.push(held.op);
    }
  }

  /**
   * One message of an upgraded connection, queued at once (not held: it is a whole row). It may reach the
   * database before its trace's row. The payload is kept by reference until written: it must not be reused.
   */
  wsMessage(traceId: string, message: WsMessage): void {
    this.enqueue(makeWsOp(traceId, message));
  }

  counters(): WriterCounters {
    let held = 0;
    for (const { op } of this.held.values()) held += op.n;
    return { state: this.state, queued: held + countOps(this.queue) + countOps(this.inflight ?? []), spillPending: this.spill.pendingOps + countOps(this.spillBuffer), ...this.c };
  }

  /** Queues held creates whose wait is over. */
  private releaseDue(): void {
    const cutoff = Date.now() - this.holdMs;
    let n = 0;
    for (const { at } of this.held.values()) {
      if (at > cutoff) break;
      n++;
    }
    this.release(n);
    if (this.held.size === 0 && this.holdTimer) {
      clearInterval(this.holdTimer);
      this.holdTimer = null;
    }
  }

  /** Queues the `n` oldest held creates (all with Infinity). */
  private release(n: number): void {
    for (const [id, { op }] of this.held) {
      if (n-- <= 0) break;
      this.held.delete(id);
      this.push(op);
    }
  }

  /** Resolves once everything handed over so far is in the database (or `timeoutMs` passed: then false). */
  async flush(timeoutMs = 30_000): Promise<boolean> {
    this.release(Infinity);
    if (this.idle()) return true;
    this.hurry++;
    this.gatherWake?.();
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
   * Drains within `timeoutMs`, then spills whatever is left (an in-flight batch too: it may or may not commit,
   * and replaying an upsert twice is harmless). Operations handed over after close go straight to the spill.
   */
  async close(timeoutMs = 5_000): Promise<WriterCounters> {
    this.release(Infinity);
    if (this.holdTimer) clearInterval(this.holdTimer);
    this.holdTimer = null;
    if (this.state === 'normal') await this.flush(timeoutMs);
    this.state = 'closed';
    const rest = [...(this.inflight ?? []), ...this.queue.splice(0)];
    this.inflight = null;
    if (rest.length > 0) this.toSpill(rest);
    this.flushSpill();
    this.spill.close();
    if (this.counterTimer) clearInterval(this.counterTimer);
    this.logCounters(true);
    this.notify();
    return this.counters();
  }

  private enqueue(op: Op): void {
    this.c.enqueued++;
    this.push(op);
  }

  private push(op: Op): void {
    if (this.state !== 'normal') {
      this.toSpill([op]);
      return;
    }
    if (this.queue.length >= this.opts.queueSize) {
      this.enterSpilling([...this.queue.splice(0), op], `the queue of ${this.opts.queueSize} operations is full`);
      return;
    }
    this.queue.push(op);
    if (this.queue.length >= this.opts.batchSize) this.gatherWake?.();
    if (!this.pumping) {
      this.pumping = true;
      setImmediate(() => void this.pump());
    }
  }

  private async pump(): Promise<void> {
    try {
      while (this.state === 'normal' && this.queue.length > 0) {
        if (this.queue.length < this.opts.batchSize && this.hurry === 0) {
          await this.gather();
          if (this.state !== 'normal' || this.queue.length === 0) break;
        }
        const batch = this.takeBatch();
        this.inflight = batch;
        try {
          await this.write(batch);
        } catch (err) {
          // The batch is older than what is queued: it goes to the spill first, keeping the order.
          if (this.state === 'normal') this.enterSpilling([...batch, ...this.queue.splice(0)], describe(err));
          else if (this.inflight === batch) this.toSpill(batch); // (close() has spilled it already otherwise)
        } finally {
          if (this.inflight === batch) this.inflight = null;
        }
      }
    } finally {
      this.pumping = false;
      this.notify();
    }
  }

  /** Waits up to GATHER_MS for a fuller batch (a full batch, a flush or close ends the wait early). */
  private gather(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.gatherWake = null;
        resolve();
      };
      const timer = setTimeout(done, GATHER_MS);
      this.gatherWake = done;
    });
  }

  private takeBatch(): Op[] {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && n < this.opts.batchSize && (n === 0 || bytes + this.queue[n]!.bytes <= BATCH_BYTES)) {
      bytes += this.queue[n]!.bytes;
      n++;
    }
    return this.queue.splice(0, n);
  }

  /**
   * Writes a batch; rows the database refuses as invalid are isolated and set aside, never retried forever.
   * A trace's first write goes by COPY, replays included, so a backlog drains as fast as it grew; a replay that
   * repeats a row already written (a batch cut off after its commit) fails its COPY, whose rows are then upserted.
   */
  private async write(ops: Op[]): Promise<void> {
    try {
      await this.writeRows(mergeOps(ops), this.copyEnabled);
      this.c.written += countOps(ops);
      this.c.batches++;
    } catch (err) {
      if (!isRowError(err)) throw err;
      for (const op of ops) {
        try {
          for (const st of buildStatements([op])) await this.db.pool.query(st.text, st.values);
          this.c.written += op.n;
        } catch (e) {
          if (!isRowError(e)) throw e;
          this.reject(op, e);
        }
      }
    }
  }

  private async writeRows(rows: Op[], copy: boolean): Promise<void> {
    let rest = rows;
    if (copy) {
      const plan = planCopies(rows);
      rest = plan.rest;
      for (const { target, shape } of plan.copies) {
        try {
          await copyRows(this.db.pool, shape, target);
        } catch (err) {
          if (isConnectionError(err)) throw err;
          if (!(err instanceof NotEncodable) && !isRowError(err)) {
            this.copyEnabled = false;
            this.opts.log.warn(`COPY is not available (${describe(err)}); writing with INSERT from now on`);
          }
          rest = rest.concat(shape.rows);
        }
      }
    }
    for (const st of buildStatements(rest)) await this.db.pool.query(st.text, st.values);
  }

  private enterSpilling(ops: Op[], reason: string): void {
    this.state = 'spilling';
    this.toSpill(ops);
    this.opts.log.warn(`writing to the spill file in ${this.opts.spillDir}: ${reason}; will replay when ${this.db.describe()} answers`);
    void this.recover();
  }

  /**
   * Operations for the spill file are gathered for the rest of this turn of the event loop and appended with one
   * write (at once after close): under a sustained overload that is one write per turn, not one per exchange.
   */
  private toSpill(ops: Op[]): void {
    for (const op of ops) this.spillBuffer.push(op);
    this.c.spilled += countOps(ops);
    if (this.state === 'closed') this.flushSpill();
    else this.spillFlush ??= setImmediate(() => this.flushSpill());
  }

  /** Appends what waits for the spill file, synchronously. */
  private flushSpill(): void {
    if (this.spillFlush) clearImmediate(this.spillFlush);
    this.spillFlush = null;
    if (this.spillBuffer.length === 0) return;
    const ops = this.spillBuffer;
    this.spillBuffer = [];
    try {
      this.spill.append(ops);
      // Never leave operations in the file while the writer thinks it is done with it: replay them.
      if (this.state === 'normal') {
        this.state = 'spilling';
        void this.recover();
      }
    } catch (err) {
      this.c.spilled -= countOps(ops);
      this.c.dropped += countOps(ops);
      this.opts.log.error(`LOST ${countOps(ops)} trace operations: the spill file in ${this.opts.spillDir} cannot be written: ${(err as Error).message}`);
    }
  }

  private reject(op: Op, err: unknown): void {
    this.c.failed += op.n;
    const line = JSON.stringify({ at: new Date().toISOString(), error: describe(err), op: JSON.parse(encodeOp(op)) });
    try {
      mkdirSync(dirname(this.opts.rejectedFile), { recursive: true });
      appendFileSync(this.opts.rejectedFile, line + '\n', { mode: 0o600 });
      this.opts.log.warn(`the database refused ${what(op)} (${describe(err)}); kept in ${this.opts.rejectedFile}`);
    } catch (e) {
      this.c.dropped += op.n;
      this.opts.log.error(`LOST ${what(op)}: refused by the database (${describe(err)}) and ${this.opts.rejectedFile} cannot be written: ${(e as Error).message}`);
    }
  }

  /** While spilling: retry with backoff, re-check the schema, replay the spill in order, then resume the queue. */
  private async recover(): Promise<void> {
    if (this.recovering) return;
    this.recovering = true;
    let delay = this.retryMin;
    let failures = 0;
    try {
      while (this.state === 'spilling') {
        try {
          if (failures > 0 || !this.schemaChecked) await this.ensureSchema();
          const before = this.c.written;
          const done = await this.spill.replay(
            async (ops) => {
              await this.write(ops);
              this.c.replayed += countOps(ops);
            },
            this.opts.batchSize,
            // Whatever waits for the spill file goes in before the spill is read: the last check must see it all.
            () => {
              this.flushSpill();
              return this.state === 'spilling';
            },
            // Runs in the same synchronous step as the spill's last check: from here on, operations queue in memory.
            () => {
              this.state = 'normal';
            },
          );
          if (done && (failures > 0 || this.c.written - before > 0)) this.opts.log.info(`database reachable: replayed ${this.c.written - before} spilled operations`);
          failures = 0;
          delay = this.retryMin;
        } catch (err) {
          failures++;
          if (failures === 1 || failures % 20 === 0) this.opts.log.warn(`database still unreachable (${describe(err)}); ${this.spill.pendingOps} operations wait in the spill file`);
          if (isConnectionError(err)) await this.db.refresh?.().catch(() => {});
          await sleep(delay);
          delay = Math.min(delay * 2, this.retryMax);
        }
      }
    } finally {
      this.recovering = false;
      this.notify();
    }
    if (this.state === 'normal' && this.queue.length > 0 && !this.pumping) {
      this.pumping = true;
      void this.pump();
    }
  }

  private async ensureSchema(): Promise<void> {
    await withClient(this.db.pool, async (client) => {
      await migrate(client);
      if (this.copyEnabled && !(await carriesCopy(client))) this.copyEnabled = false;
    });
    this.schemaChecked = true;
  }

  private idle(): boolean {
    return this.queue.length === 0 && this.inflight === null && !this.pumping && this.state !== 'spilling' && this.spillBuffer.length === 0 && this.spill.empty;
  }

  private notify(): void {
    if (this.waiters.length === 0 || !(this.idle() || this.state === 'closed')) return;
    for (const w of this.waiters.splice(0)) w();
  }

  private logCounters(force = false): void {
    const c = this.counters();
    const line = `queued=${c.queued} written=${c.written} spilled=${c.spilled} replayed=${c.replayed} failed=${c.failed} dropped=${c.dropped} spill_pending=${c.spillPending} state=${c.state}`;
    if (force || line !== this.lastLogged) this.opts.log.debug(`counters: ${line}`);
    this.lastLogged = line;
  }
}

/** Errors about a row's content (bad data, constraint): retrying cannot help, so the row is set aside. */
function isRowError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return /^(22|23)/.test(code) || code === '54000' || code === '42804';
}

/** An operation as log lines name it. */
const what = (op: Op) => (op.kind === 'ws' ? `WebSocket message ${String(op.fields.seq)} of trace ${op.id}` : `trace ${op.id}`);

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e?.message ? `${e.message}${e.code && !e.message.includes(e.code) ? ` [${e.code}]` : ''}` : String(err);
}
