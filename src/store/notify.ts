// Tells listeners that traces were written: after a batch commits, the writer sends a PostgreSQL NOTIFY on
// TRACES_CHANNEL with a small JSON payload (how many operations, the newest start time, up to MAX_SESSIONS session
// ids — never a body), at most once per NOTIFY_INTERVAL_MS so a busy writer adds one round trip per interval, not
// per batch. The viewer LISTENs (web/live.ts); any other program can too: `LISTEN ccproxy_traces`.
import type pg from 'pg';
import type { Op } from './ops.js';

export const TRACES_CHANNEL = 'ccproxy_traces';
/** Pages learn of new traces within this time (plus the write itself), well inside a second. */
export const NOTIFY_INTERVAL_MS = 100;
const MAX_SESSIONS = 20;
const FLUSH_WAIT_MS = 1_000;
/** Longer ids are left out (`more`): PostgreSQL's payload limit is 8000 bytes. */
const MAX_SESSION_ID = 200;

export interface TracesWritten {
  /** Operations written since the last notification (creates, completions, messages, timings, usage rows). */
  ops: number;
  /** Distinct traces among them. */
  traces: number;
  /** The newest start time among them (epoch ms), or null when none carried one. */
  newest: number | null;
  /** Session ids among them (at most MAX_SESSIONS; `more` says there were others). */
  sessions: string[];
  more: boolean;
}

const startOf = (v: unknown): number | null => (v instanceof Date ? v.getTime() : typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : null);

export class TraceNotifier {
  private pending: { ops: number; traces: Set<string>; newest: number | null; sessions: Set<string>; more: boolean } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private last = 0;
  private sending: Promise<void> = Promise.resolve();

  constructor(private readonly pool: () => Pick<pg.Pool, 'query'>) {}

  /** Called once a batch has committed. */
  written(ops: readonly Op[]): void {
    const p = (this.pending ??= { ops: 0, traces: new Set(), newest: null, sessions: new Set(), more: false });
    for (const op of ops) {
      p.ops += op.n;
      p.traces.add(op.id);
      const start = startOf(op.fields.start_time);
      if (start !== null && !Number.isNaN(start) && (p.newest === null || start > p.newest)) p.newest = start;
      const s = op.fields.session_id;
      if (typeof s === 'string' && !p.sessions.has(s)) {
        if (p.sessions.size < MAX_SESSIONS && s.length <= MAX_SESSION_ID) p.sessions.add(s);
        else p.more = true;
      }
    }
    if (this.timer) return;
    const wait = Math.max(0, this.last + NOTIFY_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => this.send(), wait);
    this.timer.unref();
  }

  /** Sends what is pending now (the writer's close calls it). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.send();
    }
    // Bounded: a database that went away must not hold a shutdown for a courtesy.
    await Promise.race([this.sending, new Promise((r) => setTimeout(r, FLUSH_WAIT_MS).unref())]);
  }

  private send(): void {
    this.timer = null;
    const p = this.pending;
    this.pending = null;
    if (!p) return;
    this.last = Date.now();
    const payload: TracesWritten = { ops: p.ops, traces: p.traces.size, newest: p.newest, sessions: [...p.sessions], more: p.more };
    // A notification is a courtesy: a database that is away now loses it, and the pages catch up on the next one.
    this.sending = this.sending.then(() => this.pool().query('SELECT pg_notify($1, $2)', [TRACES_CHANNEL, JSON.stringify(payload)]).then(() => undefined, () => undefined));
  }
}
