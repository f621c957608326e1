// The SQL behind `ccproxy usage`: one GROUP BY over the billed calls, by the report's key and the model, summed in
// the database; the range is a condition on start_time (indexed), every value a parameter. Days, weeks and months
// are counted in the report's time zone (start_time is UTC wall-clock time).
//
// The billed calls are the rows of the view "CCProxy_LlmCalls" (usage rows with `billed`, which the writer keeps),
// read from "CCProxy_LlmUsage" alone: every column a report sums is in the usage row and in the index of billed
// calls, so the database reads that index instead of the rows (their JSON columns make them several times wider)
// or the trace table (large rows, with their bodies). The session report takes each session's client from its
// first trace, by the (session_id, start_time) index. test/usage-report.test.ts checks the totals against the view.
import type { Pool } from 'pg';
import { UserError } from '../errors.js';
import { TABLE } from '../store/table.js';
import { USAGE_TABLE } from '../store/usage-table.js';
import type { Bound, ReportKind, UsageOptions } from './usage-options.js';
import { BAD_ARGUMENTS } from './usage-options.js';
import type { Sums } from './usage-sums.js';

/** The sums of one report key and one model. */
export interface GroupRow extends Sums {
  /** The day, week (its Monday) or month in the time zone; the session id (null: none); the model; the UTC hour (blocks). */
  key: string | null;
  model: string;
  /** First and last call, ISO 8601 UTC. */
  first: string;
  last: string;
  /** session: the client's User-Agent. */
  client?: string | null;
  /** blocks: the last Anthropic unified quota seen (src/usage/quota.ts UnifiedQuota) and when. */
  quota?: Record<string, unknown> | null;
  quotaAt?: string | null;
}

export interface Unpriced {
  reason: string;
  requests: number;
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** The rows of "CCProxy_LlmCalls" (src/store/usage-table.ts): the billed ones, which the reports' index holds. */
function billedCalls(where: string): string {
  return `(SELECT * FROM ${USAGE_TABLE} WHERE ${where ? `${where} AND` : ''} billed) calls`;
}
const MODEL = `coalesce(served_model, requested_model, '(unknown)')`;
const UNIFIED = `quota -> 'unified'`;

/** Parameters in order of use; the time zone is one, added where first needed. */
class Params {
  readonly values: unknown[] = [];
  private tzAt = 0;
  constructor(private readonly timeZone: string) {}
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
  tz(): string {
    if (this.tzAt === 0) this.tzAt = this.values.push(this.timeZone);
    return `$${this.tzAt}::text`;
  }
}

/**
 * The grouping key of each report: what rows are grouped by, and how a group's key is shown. Times are grouped
 * as truncated timestamps and formatted once per group, not once per row.
 */
function keyOf(report: ReportKind, p: Params): { group: string; show: string } {
  const local = () => `((start_time AT TIME ZONE 'UTC') AT TIME ZONE ${p.tz()})`;
  const time = (unit: string, format: string, at = local()) => {
    const group = `date_trunc('${unit}', ${at})`;
    return { group, show: `to_char(${group}, ${format})` };
  };
  switch (report) {
    case 'daily':
      return time('day', `'YYYY-MM-DD'`);
    case 'weekly':
      return time('week', `'YYYY-MM-DD'`);
    case 'monthly':
      return time('month', `'YYYY-MM'`);
    case 'session':
      return { group: 'session_id', show: 'session_id' };
    case 'model':
      return { group: MODEL, show: MODEL };
    case 'blocks':
      // Claude's 5-hour windows start on a whole UTC hour: hours are folded into blocks afterwards (usage-blocks.ts).
      return time('hour', ISO, 'start_time');
  }
}

/** The conditions of the range and the report, joined by AND ('' for none). A day starts at midnight in the time zone. */
function whereOf(opts: UsageOptions, p: Params): string {
  const conds: string[] = [];
  const utc = (b: Bound, nextDay: boolean) =>
    'date' in b
      ? `(((${p.add(b.date)}::date${nextDay ? ' + 1' : ''})::timestamp AT TIME ZONE ${p.tz()}) AT TIME ZONE 'UTC')`
      : `(${p.add(b.instant)}::timestamptz AT TIME ZONE 'UTC')`;
  if (opts.since) conds.push(`start_time >= ${utc(opts.since, false)}`);
  if (opts.until) conds.push(`start_time < ${utc(opts.until, true)}`);
  // Claude's limits count Anthropic's calls only.
  if (opts.report === 'blocks') conds.push(`provider = 'anthropic'`);
  return conds.join(' AND ');
}

export function groupSql(opts: UsageOptions): { text: string; values: unknown[] } {
  const p = new Params(opts.timeZone);
  const key = keyOf(opts.report, p);
  const where = whereOf(opts, p);
  const extra =
    opts.report === 'blocks'
        ? `, (array_agg(${UNIFIED} ORDER BY start_time DESC) FILTER (WHERE jsonb_typeof(${UNIFIED}) = 'object'))[1] AS quota,
           to_char(max(start_time) FILTER (WHERE jsonb_typeof(${UNIFIED}) = 'object'), ${ISO}) AS quota_at`
        : '';
  const text = `
SELECT ${key.show} AS key, ${MODEL} AS model, count(*) AS requests,
       coalesce(sum(input_tokens), 0) AS input, coalesce(sum(output_tokens), 0) AS output,
       coalesce(sum(cache_read_tokens), 0) AS cache_read,
       coalesce(sum(cache_write_5m_tokens), 0) AS cache_write_5m, coalesce(sum(cache_write_1h_tokens), 0) AS cache_write_1h,
       sum(cost_usd) AS cost, count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced,
       to_char(min(start_time), ${ISO}) AS first, to_char(max(start_time), ${ISO}) AS last${extra},
       CASE WHEN cost_usd IS NULL THEN coalesce(cost_note, 'no reason recorded') END AS unpriced_reason
FROM ${billedCalls(where)}
GROUP BY ${key.group}, 2, unpriced_reason`;
  return { text, values: p.values };
}

interface RawRow {
  key: string | null;
  model: string;
  requests: number;
  input: number;
  output: number;
  cache_read: number;
  cache_write_5m: number;
  cache_write_1h: number;
  cost: number | null;
  unpriced: number;
  first: string;
  last: string;
  quota?: Record<string, unknown> | null;
  quota_at?: string | null;
  unpriced_reason: string | null;
}

/** Each session's client: the User-Agent of its first trace that has one. */
export const clientsSql = `
SELECT s AS session_id, (SELECT request_headers ->> 'user-agent' FROM ${TABLE}
                         WHERE session_id = s AND request_headers ? 'user-agent' ORDER BY start_time LIMIT 1) AS client
FROM unnest($1::text[]) s`;

/**
 * A report reads every call in its range once: the sort and hash of a large range fit in memory with a larger
 * work_mem, and JIT compilation (server) would cost more than it saves on a query that runs once.
 */
const REPORT_SETTINGS = `SET LOCAL work_mem = '64MB'; SET LOCAL jit = off`;

/** Runs the queries; a time zone PostgreSQL does not know is a bad argument, like one Node does not know. */
export async function queryUsage(pool: Pool, opts: UsageOptions): Promise<{ rows: GroupRow[]; unpriced: Unpriced[] }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(REPORT_SETTINGS);
    const groups = await client.query<RawRow>(groupSql(opts));
    const sessions = opts.report === 'session' ? [...new Set(groups.rows.map((r) => r.key).filter((k): k is string => k !== null))] : [];
    const clients = new Map<string | null, string | null>();
    if (sessions.length > 0) for (const c of (await client.query<{ session_id: string; client: string | null }>(clientsSql, [sessions])).rows) clients.set(c.session_id, c.client);
    await client.query('COMMIT');
    const rows = groups.rows.map((r): GroupRow => {
      const row: GroupRow = {
        key: r.key,
        model: r.model,
        requests: Number(r.requests),
        input: Number(r.input),
        output: Number(r.output),
        cacheRead: Number(r.cache_read),
        cacheWrite5m: Number(r.cache_write_5m),
        cacheWrite1h: Number(r.cache_write_1h),
        cost: r.cost === null ? null : Number(r.cost),
        unpriced: Number(r.unpriced),
        first: r.first,
        last: r.last,
      };
      if (opts.report === 'session') row.client = clients.get(r.key) ?? null;
      if ('quota' in r) {
        row.quota = r.quota ?? null;
        row.quotaAt = r.quota_at ?? null;
      }
      return row;
    });
    const reasons = new Map<string, number>();
    for (const r of groups.rows) if (r.unpriced_reason !== null) reasons.set(r.unpriced_reason, (reasons.get(r.unpriced_reason) ?? 0) + Number(r.requests));
    const unpriced = [...reasons].map(([reason, requests]) => ({ reason, requests })).sort((a, b) => b.requests - a.requests || a.reason.localeCompare(b.reason));
    return { rows, unpriced };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    const e = err as { code?: string; message?: string };
    if (e.code === '22023' && /time zone/i.test(e.message ?? '')) throw new UserError(`--timezone: ${e.message}`, BAD_ARGUMENTS);
    throw err;
  } finally {
    client.release();
  }
}
