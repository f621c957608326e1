// `ccproxy usage` as a library: the report's entries (one per day, week, month, session, model or 5-hour block),
// each with its per-model breakdown, the totals and what could not be priced, from the database's sums
// (usage-query.ts); and the report as JSON shaped like ccusage's, so dashboards built for ccusage read it.
import type { Pool } from 'pg';
import { foldBlocks } from './usage-blocks.js';
import type { ReportKind, UsageOptions } from './usage-options.js';
import { queryUsage, type GroupRow, type Unpriced } from './usage-query.js';
import { addSums, cacheHitRate, emptySums, totalTokens, type Sums } from './usage-sums.js';

export interface ModelSums extends Sums {
  model: string;
}

export interface Entry extends Sums {
  /** Day, week (its Monday), month, session id (null: calls without one), model, or block start (ISO, UTC). */
  key: string | null;
  /** By cost, highest first. */
  models: ModelSums[];
  first: string;
  last: string;
  client?: string | null;
  /** blocks */
  end?: string;
  isActive?: boolean;
  isGap?: boolean;
  quota?: Record<string, unknown> | null;
  quotaAt?: string | null;
}

export interface UsageReport {
  report: ReportKind;
  timeZone: string;
  entries: Entry[];
  totals: Sums;
  /** Why calls could not be priced, most calls first. */
  unpriced: Unpriced[];
}

export async function usageReport(pool: Pool, opts: UsageOptions, now = Date.now()): Promise<UsageReport> {
  const { rows, unpriced } = await queryUsage(pool, opts);
  return buildReport(rows, unpriced, opts, now);
}

export function buildReport(rows: readonly GroupRow[], unpriced: Unpriced[], opts: UsageOptions, now = Date.now()): UsageReport {
  let entries: Entry[];
  if (opts.report === 'blocks') {
    entries = foldBlocks(rows, now).map((b) => ({
      ...entryOf(b.start, b.rows),
      first: b.first,
      last: b.last,
      end: b.end,
      isActive: b.isActive,
      isGap: b.isGap,
      quota: b.quota,
      quotaAt: b.quotaAt,
    }));
  } else {
    const byKey = new Map<string | null, GroupRow[]>();
    for (const r of rows) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    entries = [...byKey.entries()].map(([key, list]) => entryOf(key, list));
    if (opts.report === 'session') entries.sort((a, b) => a.last.localeCompare(b.last));
    else if (opts.report === 'model') entries.sort((a, b) => (b.cost ?? 0) - (a.cost ?? 0) || b.requests - a.requests);
    else entries.sort((a, b) => a.key!.localeCompare(b.key!));
  }
  const totals = emptySums();
  for (const e of entries) addSums(totals, e);
  return { report: opts.report, timeZone: opts.timeZone, entries, totals, unpriced };
}

function entryOf(key: string | null, rows: readonly GroupRow[]): Entry {
  const sums = emptySums();
  const models = new Map<string, ModelSums>();
  let first = '';
  let last = '';
  let client: string | null | undefined;
  for (const r of rows) {
    addSums(sums, r);
    const m = models.get(r.model) ?? { model: r.model, ...emptySums() };
    addSums(m, r);
    models.set(r.model, m);
    if (!first || r.first < first) first = r.first;
    if (r.last > last) last = r.last;
    if (r.client !== undefined && (client === undefined || client === null)) client = r.client;
  }
  const list = [...models.values()].sort((a, b) => (b.cost ?? 0) - (a.cost ?? 0) || a.model.localeCompare(b.model));
  return { key, ...sums, models: list, first, last, ...(client !== undefined ? { client } : {}) };
}

/** ccusage's field names for the sums, and ours beside them (the cache writes by TTL, requests, the hit rate). */
function sumsJson(s: Sums, costName: 'totalCost' | 'cost' | 'costUSD') {
  return {
    requests: s.requests,
    inputTokens: s.input,
    outputTokens: s.output,
    cacheCreationTokens: s.cacheWrite5m + s.cacheWrite1h,
    cacheReadTokens: s.cacheRead,
    totalTokens: totalTokens(s),
    [costName]: s.cost ?? 0,
    cacheCreation5mTokens: s.cacheWrite5m,
    cacheCreation1hTokens: s.cacheWrite1h,
    cacheHitRate: cacheHitRate(s),
    unpricedRequests: s.unpriced,
  };
}

const breakdowns = (e: Entry) => e.models.map((m) => ({ modelName: m.model, ...sumsJson(m, 'cost') }));

const ARRAY_NAME: Record<ReportKind, string> = { daily: 'daily', weekly: 'weekly', monthly: 'monthly', session: 'sessions', model: 'models', blocks: 'blocks' };

export function reportJson(r: UsageReport): Record<string, unknown> {
  const items = r.entries.map((e) => {
    switch (r.report) {
      case 'daily':
        return { date: e.key, ...sumsJson(e, 'totalCost'), modelsUsed: e.models.map((m) => m.model), modelBreakdowns: breakdowns(e) };
      case 'weekly':
        return { week: e.key, ...sumsJson(e, 'totalCost'), modelsUsed: e.models.map((m) => m.model), modelBreakdowns: breakdowns(e) };
      case 'monthly':
        return { month: e.key, ...sumsJson(e, 'totalCost'), modelsUsed: e.models.map((m) => m.model), modelBreakdowns: breakdowns(e) };
      case 'session':
        return {
          sessionId: e.key,
          ...sumsJson(e, 'totalCost'),
          firstActivity: e.first,
          lastActivity: e.last,
          client: e.client ?? null,
          modelsUsed: e.models.map((m) => m.model),
          modelBreakdowns: breakdowns(e),
        };
      case 'model':
        return { modelName: e.key, ...sumsJson(e, 'totalCost'), firstActivity: e.first, lastActivity: e.last };
      case 'blocks':
        return blockJson(e);
    }
  });
  const unpriced = { requests: r.totals.unpriced, reasons: r.unpriced };
  if (r.report === 'blocks') return { timeZone: r.timeZone, blocks: items, totals: { ...sumsJson(r.totals, 'totalCost') }, unpriced };
  return { timeZone: r.timeZone, [ARRAY_NAME[r.report]]: items, totals: sumsJson(r.totals, 'totalCost'), unpriced };
}

function blockJson(e: Entry) {
  const s = sumsJson(e, 'costUSD');
  const unified = (e.quota ?? null) as { status?: unknown; fiveHour?: Record<string, unknown>; sevenDay?: Record<string, unknown> } | null;
  return {
    id: e.isGap ? `gap-${e.key}` : e.key,
    startTime: e.key,
    endTime: e.end,
    actualEndTime: e.isGap ? null : e.last,
    isActive: e.isActive ?? false,
    isGap: e.isGap ?? false,
    entries: e.requests,
    tokenCounts: { inputTokens: e.input, outputTokens: e.output, cacheCreationInputTokens: e.cacheWrite5m + e.cacheWrite1h, cacheReadInputTokens: e.cacheRead },
    models: e.models.map((m) => m.model),
    ...s,
    quota: unified
      ? {
          at: e.quotaAt,
          status: unified.status ?? null,
          fiveHourUtilization: unified.fiveHour?.utilization ?? null,
          fiveHourReset: unified.fiveHour?.reset ?? null,
          sevenDayUtilization: unified.sevenDay?.utilization ?? null,
          sevenDayReset: unified.sevenDay?.reset ?? null,
        }
      : null,
  };
}
