// GET /api/sessions/:id/exchanges: a session's exchanges in time order, each client-side row (a reverse row, or a
// forward row that map_remote sent to the gateway) with the provider-side (forward) rows it caused, paired by
// "CCProxy_TraceTimings".parent_trace_id only (never by times); forward rows that nothing caused (a client's own
// HTTPS traffic) stand alone. One summary line per row, no bodies, paged by a cursor over the heads.
import type pg from 'pg';
import { TOTAL_TOKENS_SQL } from '../read/filter.js';
import { TABLE } from '../store/table.js';
import { TIMINGS_TABLE } from '../store/timings-table.js';
import { USAGE_OF_TRACE_SQL } from '../store/usage-table.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { tokenCounts, type TokenCounts } from './sessions.js';

export interface ExchangeLine {
  trace_id: string;
  start_time: string | null;
  direction: 'reverse' | 'forward';
  method: string | null;
  url: string | null;
  host: string | null;
  path: string | null;
  status_code: number | null;
  error_type: string | null;
  duration_ms: number | null;
  ttfb_ms: number | null;
  requested_model: string | null;
  served_model: string | null;
  tokens: TokenCounts | null;
  cost_usd: number | null;
  /** Of: error, in_progress, streamed, truncated, mapped (map_remote sent it elsewhere), websocket. */
  flags: string[];
}

export interface Exchange {
  /** The client's request as it came in; null for a forward row no client request caused. */
  client: ExchangeLine | null;
  /** What went to the provider because of it, in time order. */
  provider: ExchangeLine[];
  /** model_rewritten: the provider was asked for another model than the client named. */
  flags: string[];
}

export interface ExchangePage {
  session_id: string;
  exchanges: Exchange[];
  /** Pass as `after` for the next (later) page; null on the last one. */
  next: string | null;
}

const COLUMNS = `t.trace_id, t.start_time, t.proxy_direction, t.method, t.url, t.host, t.path, t.status_code, t.error_type,
  t.duration_ms, t.ttfb_ms, t.end_time, t.request_body_truncated, t.response_body_truncated, t.original_url, t.response_content_type,
  u.trace_id AS usage_id, u.requested_model, u.served_model, u.streamed, u.input_tokens, u.output_tokens, u.cache_read_tokens,
  u.cache_write_5m_tokens, u.cache_write_1h_tokens, u.cost_usd, ${TOTAL_TOKENS_SQL('u')} AS total_tokens`;

type Row = Record<string, unknown>;
const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const s = (v: unknown) => (v === null || v === undefined ? null : String(v));

export function lineOf(r: Row): ExchangeLine {
  const status = n(r.status_code);
  const flags: string[] = [];
  // An upgraded connection its client left without a close (Codex CLI on every exit) did not fail.
  const leftUpgraded = status === 101 && r.error_type === 'client_aborted';
  if ((r.error_type !== null && !leftUpgraded) || (status !== null && status >= 400)) flags.push('error');
  if (r.end_time === null && r.error_type === null) flags.push('in_progress');
  if (r.streamed === true || /event-stream/i.test(String(r.response_content_type ?? ''))) flags.push('streamed');
  if (r.request_body_truncated === true || r.response_body_truncated === true) flags.push('truncated');
  if (r.original_url !== null && r.original_url !== undefined) flags.push('mapped');
  if (status === 101) flags.push('websocket');
  const hasUsage = r.usage_id !== null && r.usage_id !== undefined;
  return {
    trace_id: String(r.trace_id),
    start_time: r.start_time instanceof Date ? r.start_time.toISOString() : s(r.start_time),
    direction: Number(r.proxy_direction) === 1 ? 'forward' : 'reverse',
    method: s(r.method),
    url: s(r.url),
    host: s(r.host),
    path: s(r.path),
    status_code: status,
    error_type: s(r.error_type),
    duration_ms: n(r.duration_ms),
    ttfb_ms: n(r.ttfb_ms),
    requested_model: s(r.requested_model),
    served_model: s(r.served_model),
    tokens: hasUsage
      ? tokenCounts({ input: n(r.input_tokens) ?? 0, output: n(r.output_tokens) ?? 0, cacheRead: n(r.cache_read_tokens) ?? 0, cacheWrite5m: n(r.cache_write_5m_tokens) ?? 0, cacheWrite1h: n(r.cache_write_1h_tokens) ?? 0 })
      : null,
    cost_usd: n(r.cost_usd),
    flags,
  };
}

/** Client-side rows with the rows linked to them; a model asked of the provider that the client did not name is flagged. */
export function pair(heads: Row[], children: Row[]): Exchange[] {
  const byParent = new Map<string, ExchangeLine[]>();
  for (const c of children) {
    const list = byParent.get(String(c.parent_trace_id)) ?? [];
    list.push(lineOf(c));
    byParent.set(String(c.parent_trace_id), list);
  }
  return heads.map((h) => {
    const line = lineOf(h);
    const provider = byParent.get(line.trace_id) ?? [];
    // A forward row of its own (a client that went straight to a provider): the provider's side, no client row.
    if (line.direction === 'forward' && provider.length === 0) return { client: null, provider: [line], flags: [] };
    const asked = line.requested_model;
    const rewritten = asked !== null && provider.some((p) => p.requested_model !== null && p.requested_model !== asked);
    return { client: line, provider, flags: rewritten ? ['model_rewritten'] : [] };
  });
}

export async function listExchanges(pool: pg.Pool, sessionId: string, o: { limit: number; after: string | null }): Promise<ExchangePage> {
  const c = decodeCursor(o.after, 'after');
  const page = c ? ' AND t.start_time >= $3 AND (t.start_time, t.trace_id) > ($3, $4)' : '';
  const heads = await pool.query(
    `SELECT ${COLUMNS} FROM ${TABLE} t LEFT JOIN ${TIMINGS_TABLE} x ON x.trace_id = t.trace_id ${USAGE_OF_TRACE_SQL('t')}
     WHERE t.session_id = $1 AND x.parent_trace_id IS NULL${page}
     ORDER BY t.start_time, t.trace_id LIMIT $2`,
    [sessionId, o.limit + 1, ...(c ? [new Date(c.time), c.id] : [])],
  );
  const rows = heads.rows.slice(0, o.limit) as Row[];
  const headIds = rows.map((r) => String(r.trace_id));
  const children =
    headIds.length === 0
      ? []
      : (
          await pool.query(
            `SELECT ${COLUMNS}, x.parent_trace_id FROM ${TIMINGS_TABLE} x JOIN ${TABLE} t ON t.trace_id = x.trace_id ${USAGE_OF_TRACE_SQL('t')}
             WHERE x.parent_trace_id = ANY($1) ORDER BY t.start_time, t.trace_id`,
            [headIds],
          )
        ).rows;
  const last = rows[rows.length - 1];
  const next = heads.rows.length > o.limit && last?.start_time instanceof Date ? encodeCursor({ time: last.start_time.getTime(), id: String(last.trace_id) }) : null;
  return { session_id: sessionId, exchanges: pair(rows, children as Row[]), next };
}
