// GET /api/quota: the 5-hour and 7-day utilisation of Claude's usage limits over time, read from the quota headers
// recorded with each call ("CCProxy_LlmUsage".quota, parsed by usage/quota.ts), and each session's share of the
// billed calls and cost in the range ("CCProxy_LlmCalls": a call seen at both ends counts once). Reads the usage table's (start_time) index; never a body.
import type pg from 'pg';
import { USAGE_TABLE } from '../store/usage-table.js';
import { ApiError } from './respond.js';

export interface QuotaPoint {
  time: string;
  trace_id: string;
  session_id: string | null;
  status: string | null;
  five_hour: { utilization: number | null; reset: string | null; status: string | null };
  seven_day: { utilization: number | null; reset: string | null; status: string | null };
}

export interface QuotaReport {
  since: string;
  until: string;
  /** One point per call that reported Anthropic's unified limits, oldest first (at most MAX_POINTS, evenly thinned). */
  points: QuotaPoint[];
  latest: QuotaPoint | null;
  /** Sessions by their cost in the range: calls, cost, and share of the range's cost (or of its calls when none was priced). */
  sessions: { session_id: string | null; calls: number; cost_usd: number | null; share: number }[];
}

/** Points sent to a page: a week of busy use has tens of thousands of calls; a chart needs a few thousand. */
export const MAX_POINTS = 2_000;
/** The default range: the 7-day window and a day before it. */
const DEFAULT_RANGE_MS = 8 * 24 * 3600_000;

function time(v: string | null, name: string, dflt: Date): Date {
  if (v === null || v === '') return dflt;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new ApiError(400, 'invalid_request', `${name}: not a date or time ("${v}"); use ISO 8601, e.g. 2026-11-20T10:00:00Z`);
  return d;
}

const windowOf = (w: unknown) => {
  const o = (w && typeof w === 'object' ? w : {}) as Record<string, unknown>;
  return { utilization: typeof o.utilization === 'number' ? o.utilization : null, reset: typeof o.reset === 'string' ? o.reset : null, status: typeof o.status === 'string' ? o.status : null };
};

export async function quotaReport(pool: pg.Pool, o: { since: string | null; until: string | null }): Promise<QuotaReport> {
  const until = time(o.until, 'until', new Date());
  const since = time(o.since, 'since', new Date(until.getTime() - DEFAULT_RANGE_MS));
  const [points, shares] = await Promise.all([
    pool.query(
      `SELECT trace_id, session_id, start_time, quota -> 'unified' AS unified FROM ${USAGE_TABLE}
       WHERE start_time >= $1 AND start_time < $2 AND jsonb_typeof(quota -> 'unified') = 'object' ORDER BY start_time`,
      [since, until],
    ),
    pool.query(
      `SELECT session_id, count(*) AS calls, sum(cost_usd) AS cost FROM ${USAGE_TABLE}
       WHERE billed AND start_time >= $1 AND start_time < $2 GROUP BY session_id ORDER BY sum(cost_usd) DESC NULLS LAST, count(*) DESC`,
      [since, until],
    ),
  ]);
  const all: QuotaPoint[] = points.rows.map((r) => {
    const u = (typeof r.unified === 'string' ? JSON.parse(r.unified) : r.unified) as Record<string, unknown>;
    return { time: (r.start_time as Date).toISOString(), trace_id: String(r.trace_id), session_id: (r.session_id as string | null) ?? null, status: typeof u.status === 'string' ? u.status : null, five_hour: windowOf(u.fiveHour), seven_day: windowOf(u.sevenDay) };
  });
  const step = Math.max(1, Math.ceil(all.length / MAX_POINTS));
  const thinned = step === 1 ? all : all.filter((_, i) => i % step === 0 || i === all.length - 1);
  const totalCost = shares.rows.reduce((n, r) => n + (r.cost === null ? 0 : Number(r.cost)), 0);
  const totalCalls = shares.rows.reduce((n, r) => n + Number(r.calls), 0);
  return {
    since: since.toISOString(),
    until: until.toISOString(),
    points: thinned,
    latest: all[all.length - 1] ?? null,
    sessions: shares.rows.map((r) => {
      const cost = r.cost === null ? null : Number(r.cost);
      return { session_id: (r.session_id as string | null) ?? null, calls: Number(r.calls), cost_usd: cost, share: totalCost > 0 ? (cost ?? 0) / totalCost : totalCalls > 0 ? Number(r.calls) / totalCalls : 0 };
    }),
  };
}
