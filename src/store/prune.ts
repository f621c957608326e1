// Retention: the spec's 30-day cleanup as a command and as a periodic job of a running ccproxy. A pruned trace's
// WebSocket messages go with it, and so do messages older than the cutoff whose trace never arrived.
import type { Logger } from '../log.js';
import { UserError } from '../errors.js';
import type { Database } from './database.js';
import { TABLE } from './table.js';
import { TIMINGS_TABLE } from './timings-table.js';
import { USAGE_TABLE } from './usage-table.js';
import { WS_TABLE } from './ws-table.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
/** Rows deleted per statement, so a large cleanup never holds long locks against the writer. */
const DELETE_CHUNK = 5_000;
/** How often a running ccproxy applies retention_days. */
export const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

/** Parses `30d`, `12h`, `90m`, `2w`, `45s` into seconds. */
export function parseAge(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (!m) throw new UserError(`invalid age ${JSON.stringify(text)}: expected a number and a unit, like 30d, 12h, 90m, 2w or 45s`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

export interface PruneResult {
  traces: number;
  /** WebSocket message rows: those of the deleted traces, and any whose `at` is older than the cutoff. */
  messages: number;
}

/**
 * Deletes traces whose created_at is older than `seconds`, with their WebSocket messages, then messages older
 * than the cutoff (by `at`, UTC) that are left without a trace; all in chunks.
 */
export async function pruneOlderThan(db: Pick<Database, 'pool'>, seconds: number): Promise<PruneResult> {
  const out: PruneResult = { traces: 0, messages: 0 };
  for (;;) {
    // One statement per chunk, so a reader never sees a trace gone while its messages remain.
    const res = await db.pool.query<{ traces: string; messages: string }>(
      `WITH gone AS (
         DELETE FROM ${TABLE} WHERE trace_id IN (
           SELECT trace_id FROM ${TABLE} WHERE created_at < NOW() - make_interval(secs => $1) LIMIT ${DELETE_CHUNK})
         RETURNING trace_id),
       msgs AS (DELETE FROM ${WS_TABLE} WHERE trace_id IN (SELECT trace_id FROM gone) RETURNING 1),
       timings AS (DELETE FROM ${TIMINGS_TABLE} WHERE trace_id IN (SELECT trace_id FROM gone)),
       usage AS (DELETE FROM ${USAGE_TABLE} WHERE trace_id IN (SELECT trace_id FROM gone))
       SELECT (SELECT count(*) FROM gone) AS traces, (SELECT count(*) FROM msgs) AS messages`,
      [seconds],
    );
    const n = Number(res.rows[0]?.traces ?? 0);
    out.traces += n;
    out.messages += Number(res.rows[0]?.messages ?? 0);
    if (n < DELETE_CHUNK) break;
  }
  out.messages += await deleteMessages(db, `at < (NOW() AT TIME ZONE 'UTC') - make_interval(secs => $1)`, [seconds]);
  return out;
}

async function deleteMessages(db: Pick<Database, 'pool'>, where: string, values: unknown[]): Promise<number> {
  let total = 0;
  for (;;) {
    const res = await db.pool.query(
      `DELETE FROM ${WS_TABLE} WHERE (trace_id, seq) IN (SELECT trace_id, seq FROM ${WS_TABLE} WHERE ${where} LIMIT ${DELETE_CHUNK})`,
      values,
    );
    total += res.rowCount ?? 0;
    if ((res.rowCount ?? 0) < DELETE_CHUNK) return total;
  }
}

/** "12 traces and 340 WebSocket messages", for log lines and the prune command. */
export function describePruned({ traces, messages }: PruneResult): string {
  const t = `${traces} trace${traces === 1 ? '' : 's'}`;
  return messages > 0 ? `${t} and ${messages} WebSocket message${messages === 1 ? '' : 's'}` : t;
}

/** Applies `retentionDays` now and then every `intervalMs`; returns a function that stops it. */
export function startRetention(db: Pick<Database, 'pool'>, retentionDays: number, log: Logger, intervalMs = RETENTION_INTERVAL_MS): () => void {
  if (!(retentionDays > 0)) return () => {};
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const pruned = await pruneOlderThan(db, retentionDays * 86400);
      if (pruned.traces + pruned.messages > 0) log.info(`retention: deleted ${describePruned(pruned)} older than ${retentionDays} days`);
    } catch (err) {
      log.warn(`retention: cleanup failed, will try again: ${(err as Error).message}`);
    } finally {
      running = false;
    }
  };
  void run();
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
