// The writer's counters: what `ccproxy status` shows and debug logs print while they change. The running totals
// are one plain object that each part of the writer adds to (the queue, the row writer, the spill side).
import type { Logger } from '../log.js';

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

/** The running totals (everything but what is waiting now). */
export type Tally = Omit<WriterCounters, 'state' | 'queued' | 'spillPending'>;

export const newTally = (): Tally => ({ enqueued: 0, written: 0, spilled: 0, replayed: 0, failed: 0, dropped: 0, batches: 0 });

/** How often debug logs print the counters while something changes. */
const COUNTER_LOG_MS = 5_000;

/** The counters as one log line. */
export function counterLine(c: WriterCounters): string {
  return `queued=${c.queued} written=${c.written} spilled=${c.spilled} replayed=${c.replayed} failed=${c.failed} dropped=${c.dropped} spill_pending=${c.spillPending} state=${c.state}`;
}

/** What a stopping process logs last: what went where, and what the next start still has to write. */
export function stoppedLine(c: WriterCounters): string {
  const left = c.spillPending > 0 ? `, ${c.spillPending} still in the spill file (written at the next start)` : '';
  return `stopped: ${c.written} operations written, ${c.spilled} spilled${left}, ${c.dropped} dropped`;
}

/** Prints the counters at debug level every COUNTER_LOG_MS when they changed, and once more at the end. */
export class CounterLog {
  private timer: NodeJS.Timeout | null = null;
  private last = '';

  constructor(
    private readonly log: Logger,
    private readonly read: () => WriterCounters,
  ) {}

  /** Starts the periodic line (only when debug logging is on). */
  start(): void {
    if (!this.log.debugEnabled || this.timer) return;
    this.timer = setInterval(() => this.write(), COUNTER_LOG_MS);
    this.timer.unref();
  }

  /** Stops the periodic line and prints the final one. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.write(true);
  }

  /** Prints the counters if they changed since the last line (always with `force`). */
  write(force = false): void {
    const line = counterLine(this.read());
    if (force || line !== this.last) this.log.debug(`counters: ${line}`);
    this.last = line;
  }
}
