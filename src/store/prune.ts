// Retention: the spec's 30-day cleanup as a command and as a periodic job of a running ccproxy.
import type { Logger } from '../log.js';
import { UserError } from '../errors.js';
import type { Database } from './database.js';
import { TABLE } from './table.js';

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

/** Deletes traces whose created_at is older than `seconds`, in chunks; returns how many were deleted. */
export async function pruneOlderThan(db: Pick<Database, 'pool'>, seconds: number): Promise<number> {
  let total = 0;
  for (;;) {
    const res = await db.pool.query(
      `DELETE FROM ${TABLE} WHERE trace_id IN (
         SELECT trace_id FROM ${TABLE} WHERE created_at < NOW() - make_interval(secs => $1) LIMIT ${DELETE_CHUNK})`,
      [seconds],
    );
    total += res.rowCount ?? 0;
    if ((res.rowCount ?? 0) < DELETE_CHUNK) return total;
  }
}

/** Applies `retentionDays` now and then every `intervalMs`; returns a function that stops it. */
export function startRetention(db: Pick<Database, 'pool'>, retentionDays: number, log: Logger, intervalMs = RETENTION_INTERVAL_MS): () => void {
  if (!(retentionDays > 0)) return () => {};
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const n = await pruneOlderThan(db, retentionDays * 86400);
      if (n > 0) log.info(`retention: deleted ${n} traces older than ${retentionDays} days`);
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
