// GET /api/sessions: sessions newest first (by their latest exchange, or latest matching one under a filter), one
// summary each: the client, first and last time, requests, models, tokens by kind, cost, cache-hit rate, errors,
// duration. A page is found by walking the start_time index from the cursor, collecting distinct session ids,
// then summed for those sessions only through the (session_id, start_time) indexes: no query groups the whole table.
import type pg from 'pg';
import { compileFilter } from '../read/filter.js';
import { cacheHitRate, type Sums } from '../read/usage-sums.js';
import { TABLE } from '../store/table.js';
import { TIMINGS_TABLE } from '../store/timings-table.js';
import { USAGE_TABLE } from '../store/usage-table.js';
import { decodeCursor, encodeCursor, type Cursor } from './cursor.js';

export interface TokenCounts {
  input: number;
  output: number;
  cache_read: number;
  cache_write_5m: number;
  cache_write_1h: number;
  total: number;
}

export interface SessionSummary {
  session_id: string;
  /** The client's User-Agent (its first request's, client side preferred). */
  client: string | null;
  first_time: string;
  last_time: string;
  /** Client requests: reverse rows, and forward rows no reverse row caused. */
  requests: number;
  /** Every stored exchange of the session, both ends. */
  traces: number;
  /** Billed LLM calls (a call seen at both ends counts once). */
  llm_calls: number;
  models: string[];
  tokens: TokenCounts;
  /** USD of the priced calls; null when none was priced. */
  cost_usd: number | null;
  /** Calls that could not be priced (not counted in cost_usd). */
  unpriced: number;
  cache_hit_rate: number | null;
  /** Exchanges that failed or answered 4xx/5xx. */
  errors: number;
  /** From the first start to the last end. */
  duration_ms: number;
}

export interface SessionPage {
  sessions: SessionSummary[];
  /** Pass as `before` for the next (older) page; null on the last one. */
  next: string | null;
}

/** Rows read by the walk's first step; each further step reads twice as many (a long session takes many rows). */
const FIRST_STEP_ROWS = 2_000;
const MAX_STEP_ROWS = 64_000;

interface Found {
  id: string;
  last: number;
}

const before = (a: Found, c: Cursor) => a.last < c.time || (a.last === c.time && a.id < c.id);
const newestFirst = (a: Found, b: Found) => b.last - a.last || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * The ids of the page's sessions (and one more, to tell whether a next page exists), newest first. Each step walks
 * the start_time index from where the last one ended and returns, grouped in the database, each session it met
 * with its newest time there, and the step's last row (where the next step starts).
 */
export async function pageSessionIds(pool: pg.Pool, filter: string | null, limit: number, cursor: Cursor | null, firstStepRows = FIRST_STEP_ROWS): Promise<Found[]> {
  const f = filter === null ? { where: 'true', values: [] as unknown[] } : compileFilter(filter);
  const n = f.values.length;
  const seen = new Set<string>();
  const found: Found[] = [];
  let scan: { time: Date; id: string } | null = null as { time: Date; id: string } | null;
  for (let stepRows = firstStepRows; ; stepRows = Math.min(stepRows * 2, MAX_STEP_ROWS)) {
    const bound: { time: Date; id: string | null } | null = scan ?? (cursor ? { time: new Date(cursor.time), id: null } : null);
    const where: string = bound === null ? '' : bound.id === null ? ` AND t.start_time <= $${n + 2}` : ` AND t.start_time <= $${n + 2} AND (t.start_time, t.trace_id) < ($${n + 2}, $${n + 3})`;
    const values: unknown[] = [...f.values, stepRows, ...(bound ? [bound.time] : []), ...(bound?.id ? [bound.id] : [])];
    const { rows } = await pool.query<{ session_id: string | null; last: Date; edge_id: string | null; n: number }>(
      `WITH step AS MATERIALIZED (
         SELECT t.session_id, t.start_time, t.trace_id FROM ${TABLE} t WHERE t.session_id IS NOT NULL AND (${f.where})${where}
         ORDER BY t.start_time DESC, t.trace_id DESC LIMIT $${n + 1})
       SELECT session_id, max(start_time) AS last, NULL AS edge_id, count(*) AS n FROM step GROUP BY session_id
       UNION ALL (SELECT NULL, start_time, trace_id, 0 FROM step ORDER BY start_time, trace_id LIMIT 1)`,
      values,
    );
    const edge = rows.find((r) => r.session_id === null);
    const stepped = rows.reduce((k, r) => k + Number(r.n), 0);
    const fresh: Found[] = [];
    for (const r of rows) {
      if (r.session_id === null || seen.has(r.session_id)) continue;
      seen.add(r.session_id);
      const s = { id: r.session_id, last: r.last.getTime() };
      if (!cursor || before(s, cursor)) fresh.push(s);
    }
    if (cursor && fresh.length > 0) {
      // A session with a (matching) exchange after the cursor was on an earlier page.
      const later = await pool.query<{ session_id: string }>(
        `SELECT DISTINCT t.session_id FROM ${TABLE} t WHERE t.session_id = ANY($${n + 1}) AND t.start_time > $${n + 2} AND (${f.where})`,
        [...f.values, fresh.map((s) => s.id), new Date(cursor.time)],
      );
      const drop = new Set(later.rows.map((r) => r.session_id));
      found.push(...fresh.filter((s) => !drop.has(s.id)));
    } else found.push(...fresh);
    if (stepped < stepRows || !edge) break;
    found.sort(newestFirst);
    // Enough, and no session still unseen can tie with the last one kept (ties are ordered by id).
    if (found.length > limit && edge.last.getTime() < found[limit]!.last) break;
    scan = { time: edge.last, id: edge.edge_id! };
  }
  return found.sort(newestFirst).slice(0, limit + 1);
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));

/** A client's request: a reverse row, or a forward row that no reverse row caused. */
const IS_REQUEST = 'x.parent_trace_id IS NULL';
/**
 * A failed request: an error status, or an error without a status that is not how an upgraded connection ends when
 * its client leaves without a close (Codex CLI's WebSocket, on every exit).
 */
const FAILED = "(t.status_code >= 400 OR (t.error_type IS NOT NULL AND NOT (t.status_code = 101 AND t.error_type = 'client_aborted')))";

/** The summaries of these sessions, in the order given. */
export async function summarise(pool: pg.Pool, ids: string[]): Promise<SessionSummary[]> {
  if (ids.length === 0) return [];
  // Each query reads only these sessions' rows through their session_id indexes. The billed calls are the view's
  // ("CCProxy_LlmCalls": usage rows with `billed`), read from the usage table alone.
  const [traces, calls] = await Promise.all([
    pool.query(
      `SELECT t.session_id, min(t.start_time) AS first_time, max(t.start_time) AS last_time,
              max(coalesce(t.end_time, t.start_time)) AS last_end, count(*) AS traces,
              count(*) FILTER (WHERE ${IS_REQUEST}) AS requests,
              count(*) FILTER (WHERE ${IS_REQUEST} AND ${FAILED}) AS errors,
              (SELECT f.request_headers ->> 'user-agent' FROM ${TABLE} f WHERE f.session_id = t.session_id ORDER BY f.start_time, f.proxy_direction LIMIT 1) AS client
       FROM ${TABLE} t LEFT JOIN ${TIMINGS_TABLE} x ON x.trace_id = t.trace_id
       WHERE t.session_id = ANY($1) GROUP BY t.session_id`,
      [ids],
    ),
    pool.query(
      `SELECT u.session_id, count(*) AS calls, sum(u.input_tokens) AS input, sum(u.output_tokens) AS output, sum(u.cache_read_tokens) AS cache_read,
              sum(u.cache_write_5m_tokens) AS cache_write_5m, sum(u.cache_write_1h_tokens) AS cache_write_1h,
              sum(u.cost_usd) AS cost, count(*) FILTER (WHERE u.cost_usd IS NULL) AS unpriced,
              array_agg(DISTINCT coalesce(u.served_model, u.requested_model)) FILTER (WHERE coalesce(u.served_model, u.requested_model) IS NOT NULL) AS models
       FROM ${USAGE_TABLE} u WHERE u.session_id = ANY($1) AND u.billed
       GROUP BY u.session_id`,
      [ids],
    ),
  ]);
  const byId = new Map(traces.rows.map((r) => [String(r.session_id), r]));
  const usage = new Map(calls.rows.map((r) => [String(r.session_id), r]));
  const out: SessionSummary[] = [];
  for (const id of ids) {
    const t = byId.get(id);
    if (!t) continue;
    const u = usage.get(id);
    const sums: Sums = { requests: num(u?.calls), input: num(u?.input), output: num(u?.output), cacheRead: num(u?.cache_read), cacheWrite5m: num(u?.cache_write_5m), cacheWrite1h: num(u?.cache_write_1h), cost: u?.cost == null ? null : Number(u.cost), unpriced: num(u?.unpriced) };
    const first = t.first_time as Date;
    out.push({
      session_id: id,
      client: (t.client as string | null) ?? null,
      first_time: iso(first),
      last_time: iso(t.last_time),
      requests: num(t.requests),
      traces: num(t.traces),
      llm_calls: sums.requests,
      models: ((u?.models as string[] | null) ?? []).slice().sort(),
      tokens: tokenCounts(sums),
      cost_usd: sums.cost,
      unpriced: sums.unpriced,
      cache_hit_rate: cacheHitRate(sums),
      errors: num(t.errors),
      duration_ms: Math.max(0, (t.last_end as Date).getTime() - first.getTime()),
    });
  }
  return out;
}

export function tokenCounts(s: Pick<Sums, 'input' | 'output' | 'cacheRead' | 'cacheWrite5m' | 'cacheWrite1h'>): TokenCounts {
  return { input: s.input, output: s.output, cache_read: s.cacheRead, cache_write_5m: s.cacheWrite5m, cache_write_1h: s.cacheWrite1h, total: s.input + s.output + s.cacheRead + s.cacheWrite5m + s.cacheWrite1h };
}

export async function listSessions(pool: pg.Pool, o: { filter: string | null; limit: number; before: string | null; firstStepRows?: number }): Promise<SessionPage> {
  const found = await pageSessionIds(pool, o.filter, o.limit, decodeCursor(o.before, 'before'), o.firstStepRows);
  const page = found.slice(0, o.limit);
  const sessions = await summarise(pool, page.map((s) => s.id));
  const last = page[page.length - 1];
  return { sessions, next: found.length > o.limit && last ? encodeCursor({ time: last.last, id: last.id }) : null };
}
