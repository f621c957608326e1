// GET /api/traces: `ccproxy traces --json` as pages, newest first, with a cursor to the next page.
import type pg from 'pg';
import { listTraces, type TraceSummary } from '../read/traces.js';
import { decodeCursor, encodeCursor } from './cursor.js';

export interface TracePage {
  traces: TraceSummary[];
  /** Pass as `before` for the next (older) page; null on the last one. */
  next: string | null;
}

export async function listTracePage(pool: pg.Pool, o: { filter: string | null; limit: number; before: string | null }): Promise<TracePage> {
  const c = decodeCursor(o.before, 'before');
  const rows = await listTraces(pool, o.filter, o.limit + 1, c ? { time: new Date(c.time), id: c.id } : undefined);
  const page = rows.slice(0, o.limit);
  const last = page[page.length - 1];
  return { traces: page, next: rows.length > o.limit && last?.start_time ? encodeCursor({ time: Date.parse(last.start_time), id: last.trace_id }) : null };
}
