// Outage recovery: the writer's state and every change of it, in one place. Normal: batches go from memory to the
// database. Spilling (the database is away, or the memory queue overflowed): operations go to the spill file, and
// a loop retries with backoff, re-checks the schema and replays the spill in order; once it is empty the writer
// is normal again, in the same synchronous step as the spill's last check. Closed: everything goes to the spill.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import type { Tally, WriterCounters } from './counters.js';
import { isConnectionError } from './database.js';
import type { Journal } from './journal.js';
import { countOps, type Op } from './ops.js';
import { describeError } from './row-writer.js';
import type { Spill } from './spill.js';

export type WriterState = WriterCounters['state'];

export interface RecoveryOptions {
  spill: Spill;
  /** Named in log lines. */
  spillDir: string;
  /** Told when operations are safe in the spill file. */
  journal: Pick<Journal, 'done'> | null;
  /** Adds spilled, replayed and dropped; reads written (replays add to it through `write`). */
  tally: Tally;
  log: Logger;
  /** Most operations per replayed batch. */
  batchSize: number;
  /** First and longest wait between attempts. */
  retryMinMs: number;
  retryMaxMs: number;
  /** Named in log lines; `refresh` finds the database again after a connection error. */
  db: { describe(): string; refresh?: () => Promise<void> };
  /** Writes a batch read back from the spill; throws while the database cannot take it. */
  write(ops: Op[]): Promise<void>;
  /** Migrates and checks COPY: done first whenever the database answers again. */
  ensureSchema(): Promise<void>;
  /** The replay loop has stopped: whoever waits for the writer to be idle may look again. */
  settled(): void;
  /** The writer is normal again (called after `settled`): what queued in memory meanwhile may go. */
  resumed(): void;
  /** The wait between attempts (tests pass their own). */
  sleep?: (ms: number) => Promise<void>;
}

export class Recovery {
  private current: WriterState = 'normal';
  /** Operations on their way to the spill file at the end of this turn. */
  private buffer: Op[] = [];
  private turn: NodeJS.Immediate | null = null;
  /** The replay loop is running. */
  private running = false;
  /** The schema is known to be in place (migrated, COPY checked) since the database last answered. */
  private schemaChecked = false;
  /** The replay's last attempt failed: the database is away (or refuses the batch) until one succeeds. */
  private failing = false;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly o: RecoveryOptions) {
    this.sleep = o.sleep ?? ((ms) => sleep(ms));
  }

  get state(): WriterState {
    return this.current;
  }

  /** Operations waiting in the spill file or on their way to it. */
  get pendingOps(): number {
    return this.o.spill.pendingOps + countOps(this.buffer);
  }

  /**
   * Whether a replay under way may still empty the spill: spilling, and its last attempt did not fail (the queue
   * overflowed, say, with the database there). Closing then waits for it a while.
   */
  get replaying(): boolean {
    return this.current === 'spilling' && !this.failing;
  }

  /** Nothing waits on this side: not spilling, nothing on its way to the spill file, nothing in it. */
  get drained(): boolean {
    return this.current !== 'spilling' && this.buffer.length === 0 && this.o.spill.empty;
  }

  /**
   * At start. `spilling`: the database is known to be unreachable, or the spill holds operations of an earlier
   * process. `schemaChecked`: the caller has just migrated and checked COPY, so a replay need not do it again.
   */
  start(opts: { spilling: boolean; schemaChecked: boolean }): void {
    this.schemaChecked = opts.schemaChecked;
    if (opts.spilling) this.toSpilling();
  }

  /**
   * normal → spilling, because of `reason` (the queue is full, a batch failed). `ops` are older than anything
   * handed over after them, so they go to the spill first.
   */
  enter(ops: Op[], reason: string): void {
    // Before the state changes: while normal or spilling alike, `add` only gathers them for the end of the turn,
    // and the replay's first look at the file (in `toSpilling`, synchronously) hands them over.
    this.add(ops);
    this.o.log.warn(`writing to the spill file in ${this.o.spillDir}: ${reason}; will replay when ${this.o.db.describe()} answers`);
    this.toSpilling();
  }

  /**
   * Closed, for good: `rest` (what was still in memory, oldest first) and whatever is on its way go to the spill
   * file now, and the file is closed. The replay loop, if running, stops at its next check.
   */
  close(rest: Op[]): void {
    this.current = 'closed';
    if (rest.length > 0) this.add(rest);
    this.flush();
    this.o.spill.close();
  }

  /**
   * Operations for the spill file are gathered for the rest of this turn of the event loop and appended with one
   * write (at once after close): under a sustained overload that is one write per turn, not one per exchange.
   */
  add(ops: Op[]): void {
    for (const op of ops) this.buffer.push(op);
    this.o.tally.spilled += countOps(ops);
    if (this.current === 'closed') this.flush();
    else this.turn ??= setImmediate(() => this.flush());
  }

  /** normal → spilling: the replay loop starts. */
  private toSpilling(): void {
    this.current = 'spilling';
    void this.run();
  }

  /** spilling → normal: the spill is empty. Runs in the same synchronous step as the spill's last check. */
  private toNormal(): void {
    this.current = 'normal';
  }

  /** Appends what waits for the spill file, synchronously. */
  private flush(): void {
    if (this.turn) clearImmediate(this.turn);
    this.turn = null;
    if (this.buffer.length === 0) return;
    const ops = this.buffer;
    this.buffer = [];
    try {
      this.o.spill.append(ops);
      this.o.journal?.done(ops);
      // Never leave operations in the file while the writer thinks it is done with it: replay them.
      if (this.current === 'normal') this.toSpilling();
    } catch (err) {
      this.o.tally.spilled -= countOps(ops);
      this.o.tally.dropped += countOps(ops);
      this.o.log.error(`LOST ${countOps(ops)} trace operations: the spill file in ${this.o.spillDir} cannot be written: ${(err as Error).message}`);
    }
  }

  /** While spilling: retry with backoff, re-check the schema, replay the spill in order, then resume. */
  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { tally, log } = this.o;
    let delay = this.o.retryMinMs;
    let failures = 0;
    try {
      while (this.current === 'spilling') {
        try {
          if (failures > 0 || !this.schemaChecked) {
            await this.o.ensureSchema();
            this.schemaChecked = true;
          }
          const before = tally.written;
          const spilledBefore = tally.spilled;
          const done = await this.o.spill.replay(
            async (ops) => {
              await this.o.write(ops);
              tally.replayed += countOps(ops);
            },
            this.o.batchSize,
            // Whatever waits for the spill file goes in before the spill is read: the last check must see it all.
            () => {
              this.flush();
              return this.current === 'spilling';
            },
            // Runs in the same synchronous step as the spill's last check: from here on, operations queue in memory.
            () => this.toNormal(),
          );
          // After an outage the database is back; after an overflow it never left.
          if (done && (failures > 0 || tally.written - before > 0)) log.info(replayedLine(tally.written - before, tally.spilled - spilledBefore, failures > 0));
          failures = 0;
          this.failing = false;
          delay = this.o.retryMinMs;
        } catch (err) {
          // Closed meanwhile: the store is ending (its pool too); what is left stays in the spill file.
          if (this.state === 'closed') break;
          failures++;
          this.failing = true;
          if (failures === 1 || failures % 20 === 0) log.warn(`database still unreachable (${describeError(err)}); ${this.o.spill.pendingOps} operations wait in the spill file`);
          if (isConnectionError(err)) await this.o.db.refresh?.().catch(() => {});
          await this.sleep(delay);
          delay = Math.min(delay * 2, this.o.retryMaxMs);
        }
      }
    } finally {
      this.running = false;
      this.o.settled();
    }
    if (this.current === 'normal') this.o.resumed();
  }
}

/**
 * What a finished replay wrote: every operation read back from the spill file, those that came in while it ran
 * (new traffic goes to the file until it is empty) named apart, so the count can be matched with the line that
 * started it (the journal's or an earlier process's, which count in the same unit).
 */
export function replayedLine(replayed: number, arrivedMeanwhile: number, afterOutage: boolean): string {
  const meanwhile = arrivedMeanwhile > 0 && arrivedMeanwhile < replayed ? ` (${arrivedMeanwhile} of them captured while it replayed)` : '';
  return `${afterOutage ? 'database reachable: ' : ''}replayed ${replayed} spilled operations${meanwhile}`;
}
