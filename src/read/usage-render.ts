// `ccproxy usage` for a terminal: an aligned table (numbers right-aligned, thousands separated) with a totals row,
// the time zone it counts days in, and one line saying how many calls could not be priced and why.
import type { Entry, UsageReport } from './usage-report.js';
import { cacheHitRate, totalTokens, type Sums } from './usage-sums.js';

const TITLE: Record<UsageReport['report'], string> = {
  daily: 'by day',
  weekly: 'by week (weeks start on Monday)',
  monthly: 'by month',
  session: 'by session',
  model: 'by model',
  blocks: "in 5-hour blocks (Claude's usage windows; Anthropic calls)",
};

interface Col {
  head: string;
  right: boolean;
  cell: (e: Entry) => string;
  total: string | ((t: Sums) => string);
}

const int = (n: number) => n.toLocaleString('en-US');
const usd = (n: number | null) => (n === null ? '-' : `$${n.toFixed(n !== 0 && Math.abs(n) < 0.01 ? 4 : 2)}`);
const pct = (r: number | null) => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);

function sumCols(withUnpriced: boolean): Col[] {
  const c = (head: string, f: (s: Sums) => string): Col => ({ head, right: true, cell: f, total: f });
  return [
    c('Requests', (s) => int(s.requests)),
    c('Input', (s) => int(s.input)),
    c('Output', (s) => int(s.output)),
    c('Cache read', (s) => int(s.cacheRead)),
    c('Cache write 5m', (s) => int(s.cacheWrite5m)),
    c('Cache write 1h', (s) => int(s.cacheWrite1h)),
    c('Total tokens', (s) => int(totalTokens(s))),
    c('Cost (USD)', (s) => usd(s.cost)),
    ...(withUnpriced ? [c('Not priced', (s) => int(s.unpriced))] : []),
    c('Cache hit', (s) => pct(cacheHitRate(s))),
  ];
}

/** "2026-11-28 14:05" in the time zone. */
export function localTime(iso: string, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** The product token of a User-Agent: "claude-cli/2.1.197 (external, cli)" → "claude-cli/2.1.197". */
const clientName = (ua: string | null | undefined) => (ua ? ua.split(/\s+/)[0]! : '-');

const utilisation = (q: Record<string, unknown> | null | undefined, w: 'fiveHour' | 'sevenDay') => {
  const u = (q?.[w] as { utilization?: unknown } | undefined)?.utilization;
  return typeof u === 'number' ? `${(u * 100).toFixed(0)}%` : '-';
};

function keyCols(r: UsageReport): Col[] {
  const tz = r.timeZone;
  const left = (head: string, cell: (e: Entry) => string, total = ''): Col => ({ head, right: false, cell, total });
  switch (r.report) {
    case 'daily':
      return [left('Date', (e) => e.key!, 'Total')];
    case 'weekly':
      return [left('Week of', (e) => e.key!, 'Total')];
    case 'monthly':
      return [left('Month', (e) => e.key!, 'Total')];
    case 'model':
      return [left('Model', (e) => e.key!, 'Total')];
    case 'session':
      return [
        left('Session', (e) => e.key ?? '(no session)', 'Total'),
        left('Client', (e) => clientName(e.client)),
        left('First', (e) => localTime(e.first, tz)),
        left('Last', (e) => localTime(e.last, tz)),
      ];
    case 'blocks':
      return [
        left('Block start', (e) => localTime(e.key!, tz), 'Total'),
        left('Last call', (e) => (e.isGap ? '(gap)' : localTime(e.last, tz))),
        left('Now', (e) => (e.isActive ? 'ACTIVE' : '')),
        { head: '5h quota', right: true, cell: (e) => utilisation(e.quota, 'fiveHour'), total: '' },
        { head: '7d quota', right: true, cell: (e) => utilisation(e.quota, 'sevenDay'), total: '' },
      ];
  }
}

export function renderReport(r: UsageReport): string {
  const out = [`LLM usage ${TITLE[r.report]}, time zone ${r.timeZone}`];
  if (r.entries.length === 0) {
    out.push('', 'No LLM calls recorded in this range.');
    return out.join('\n');
  }
  const cols = [...keyCols(r), ...sumCols(r.totals.unpriced > 0)];
  if (r.report !== 'model') cols.push({ head: 'Models', right: false, cell: (e) => e.models.map((m) => m.model).join(', '), total: '' });
  const body = r.entries.map((e) => cols.map((c) => c.cell(e)));
  const total = cols.map((c) => (typeof c.total === 'string' ? c.total : c.total(r.totals)));
  const widths = cols.map((c, i) => Math.max(c.head.length, total[i]!.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((s, i) => (cols[i]!.right ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  out.push('', line(cols.map((c) => c.head)), rule, ...body.map(line), rule, line(total));
  out.push('', 'Cache hit: the share of prompt tokens (input + cache read + cache writes) read from a cache.');
  const note = unpricedLine(r);
  if (note) out.push(note);
  return out.join('\n');
}

/** "3 calls not priced: no price for model X …", with each reason's count when there are several. */
export function unpricedLine(r: UsageReport): string | null {
  const n = r.totals.unpriced;
  if (n === 0) return null;
  const reasons = r.unpriced.length === 1 ? r.unpriced[0]!.reason : r.unpriced.map((u) => `${u.reason} (${u.requests})`).join('; ');
  const hint = r.unpriced.some((u) => u.reason.startsWith('no price for model')) ? '\n  (a price added under ccproxy.prices reaches calls already stored with: ccproxy db backfill --reprice)' : '';
  return `${int(n)} call${n === 1 ? '' : 's'} not priced (not in the cost above): ${reasons}${hint}`;
}
