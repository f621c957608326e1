// The recent exchanges a filter selects, newest first, one summary each: what `ccproxy traces` prints. Only the
// columns a line shows are read (never the bodies), with the LLM usage row when there is one.
import type pg from 'pg';
import { TABLE } from '../store/table.js';
import { USAGE_OF_TRACE_SQL } from '../store/usage-table.js';
import { compileFilter, FilterError, TOTAL_TOKENS_SQL } from './filter.js';

export interface TraceSummary {
  trace_id: string;
  start_time: string | null;
  direction: 'reverse' | 'forward';
  method: string | null;
  host: string | null;
  path: string | null;
  status_code: number | null;
  error_type: string | null;
  duration_ms: number | null;
  traffic_type: string | null;
  session_id: string | null;
  model: string | null;
  tokens: number | null;
  cost_usd: number | null;
}

const COLS = ['trace_id', 'start_time', 'proxy_direction', 'method', 'host', 'path', 'status_code', 'error_type', 'duration_ms', 'traffic_type', 'session_id'];

/** Where a page starts: after the trace with this start time and id (newest first), for keyset paging. */
export interface TracesBefore {
  time: Date;
  id: string;
}

/** The SQL of one page: the filter's condition, newest first (the start_time index serves the order). */
export function tracesQuery(filter: string | null, limit: number, before?: TracesBefore): { text: string; values: unknown[] } {
  const f = filter === null || filter.trim() === '' ? { where: 'true', values: [] as unknown[] } : compileFilter(filter);
  const n = f.values.length;
  // The plain bound lets the start_time index start at the cursor; the row comparison breaks ties by id.
  const page = before ? ` AND t.start_time <= $${n + 2} AND (t.start_time, t.trace_id) < ($${n + 2}, $${n + 3})` : '';
  const text = `SELECT t.trace_id, t.start_time, t.proxy_direction, t.method, t.host, t.path, t.status_code, t.error_type,
       t.duration_ms, t.traffic_type, t.session_id,
       coalesce(u.served_model, u.requested_model) AS model,
       CASE WHEN u.trace_id IS NULL THEN NULL ELSE ${TOTAL_TOKENS_SQL('u')} END AS tokens, u.cost_usd
FROM (SELECT ${COLS.map((c) => `t.${c}`).join(', ')} FROM ${TABLE} t WHERE (${f.where})${page} ORDER BY t.start_time DESC, t.trace_id DESC LIMIT $${n + 1}) t
${USAGE_OF_TRACE_SQL('t')}
ORDER BY t.start_time DESC, t.trace_id DESC`;
  return { text, values: [...f.values, limit, ...(before ? [before.time, before.id] : [])] };
}

/** A regular expression PostgreSQL refused (JavaScript's check let it through): the user's mistake, not ours. */
const isRegexError = (err: unknown) => (err as { code?: string }).code === '2201B';

export async function listTraces(pool: pg.Pool, filter: string | null, limit: number, before?: TracesBefore): Promise<TraceSummary[]> {
  const q = tracesQuery(filter, limit, before);
  let rows: Record<string, unknown>[];
  try {
    rows = (await pool.query(q)).rows as Record<string, unknown>[];
  } catch (err) {
    if (isRegexError(err)) throw new FilterError(`invalid filter: ${(err as Error).message}`);
    throw err;
  }
  return rows.map((r) => ({
    trace_id: String(r.trace_id),
    start_time: r.start_time instanceof Date ? r.start_time.toISOString() : r.start_time === null ? null : String(r.start_time),
    direction: Number(r.proxy_direction) === 1 ? 'forward' : 'reverse',
    method: (r.method as string | null) ?? null,
    host: (r.host as string | null) ?? null,
    path: (r.path as string | null) ?? null,
    status_code: r.status_code === null ? null : Number(r.status_code),
    error_type: (r.error_type as string | null) ?? null,
    duration_ms: r.duration_ms === null ? null : Number(r.duration_ms),
    traffic_type: (r.traffic_type as string | null) ?? null,
    session_id: (r.session_id as string | null) ?? null,
    model: (r.model as string | null) ?? null,
    tokens: r.tokens === null || r.tokens === undefined ? null : Number(r.tokens),
    cost_usd: r.cost_usd === null || r.cost_usd === undefined ? null : Number(r.cost_usd),
  }));
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Local time, to the second: `2026-11-20 10:00:01`. */
export function localTime(iso: string | null): string {
  if (iso === null) return '-';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

export function duration(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}

export const cost = (usd: number | null) => (usd === null ? '-' : usd === 0 ? '$0' : `$${usd < 0.01 ? usd.toFixed(4) : usd.toFixed(3)}`);

const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** Aligned lines, one per trace, under a header line. */
export function formatTraces(rows: readonly TraceSummary[]): string {
  if (rows.length === 0) return '(no traces)';
  const header = ['TRACE', 'TIME', 'DIR', 'METHOD', 'URL', 'STATUS', 'DURATION', 'MODEL', 'TOKENS', 'COST', 'SESSION'];
  const right = new Set([5, 6, 8, 9]);
  const cells = rows.map((r) => [
    r.trace_id,
    localTime(r.start_time),
    r.direction === 'forward' ? 'fwd' : 'rev',
    r.method ?? '-',
    clip(`${r.host ?? ''}${r.path ?? ''}`, 60),
    r.status_code !== null ? String(r.status_code) : (r.error_type ?? '-'),
    duration(r.duration_ms),
    clip(r.model ?? '-', 32),
    r.tokens === null ? '-' : String(r.tokens),
    cost(r.cost_usd),
    r.session_id ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (right.has(i) ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}
