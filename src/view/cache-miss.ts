// Why a request read less from the prompt cache than the one before it had cached: the cache's time to live ran
// out (5 minutes or 1 hour, as written), the model changed, or the prefix broke at a block before the last
// breakpoint; and what the miss cost at the model's prices (src/usage/prices.ts): the missed tokens at the write
// (or input) price instead of the read price.
import type { LlmProvider } from '../usage/call.js';
import { rateFor, type PriceBook, type Rate } from '../usage/prices.js';
import type { BlockRef } from './cache-diff.js';
import type { PromptTokens } from './usage-row.js';

export type TtlKind = '5m' | '1h';

export interface MissCost {
  /** USD lost: the missed tokens at the write (or input) price instead of the read price. */
  usd: number;
  tokens: number;
  /** USD per million tokens paid instead, and of a cache read. */
  paidRate: number;
  readRate: number;
  /** Which price the missed tokens paid: `cacheWrite5m`, `cacheWrite1h`, or `input` (not written to a cache). */
  paidAs: 'cacheWrite5m' | 'cacheWrite1h' | 'input';
  priceEntry: string;
}

export interface CacheMiss {
  /**
   * `ttl_expired`: more time passed since the previous request than the cache lives; `prefix_changed`: a block
   * before the last breakpoint changed; `model_changed`: caches are per model; `unexplained`: none of these.
   */
  cause: 'ttl_expired' | 'prefix_changed' | 'model_changed' | 'unexplained';
  /** One sentence for people. */
  explanation: string;
  /** Tokens the previous request had cached (read + written), the tokens read now, their difference. */
  expectedReadTokens: number;
  readTokens: number;
  missedTokens: number;
  /** The first block that differs from the previous request, in cache order (cache_control ignored). */
  brokeAt: BlockRef | null;
  /** The TTL the previous request's cache was written with, and whether the gap exceeded it. */
  ttl: TtlKind | null;
  ttlExpired: boolean;
  gapMs: number | null;
  /** Null when it could not be priced (costNote says why). */
  cost: MissCost | null;
  costNote: string | null;
}

/** Below this many tokens a shortfall in cache reads is not called a miss: the smallest cacheable prefix (Anthropic: 1,024 tokens for most models). */
export const MIN_MISS_TOKENS = 1024;

/** How long a cache entry lives after it was last written or read (Anthropic's prompt caching: 5 minutes, or 1 hour). */
export const TTL_MS: Record<TtlKind, number> = { '5m': 5 * 60_000, '1h': 60 * 60_000 };

/** What the explanation reads of a request: its cache reads and writes, its blocks in cache order, model, start. */
export interface MissSide {
  usage: PromptTokens | null;
  units: readonly { ref: BlockRef; ttl: TtlKind | null }[];
  model: string | null;
  provider: LlmProvider | null;
  start: number | null;
}

const n = (v: number | null | undefined) => v ?? 0;

/** The TTL of what `prev` cached: its last breakpoint's, else the write it reported (1 hour only when all of it was). */
function ttlWritten(prev: MissSide): TtlKind | null {
  const points = prev.units.filter((u) => u.ttl !== null);
  if (points.length > 0) return points[points.length - 1]!.ttl;
  if (prev.provider !== 'anthropic') return null;
  if (n(prev.usage?.cacheWrite1h) > 0 && n(prev.usage?.cacheWrite5m) === 0) return '1h';
  return '5m';
}

function missCost(cur: MissSide, missed: number, book: PriceBook): { cost: MissCost | null; note: string | null } {
  if (cur.model === null || cur.provider === null) return { cost: null, note: 'no model or provider to price the miss with' };
  const found = book.lookup(cur.provider, cur.model, new Date(cur.start ?? Date.now()));
  if (found.entry === null) return { cost: null, note: found.reason };
  const u = cur.usage!;
  const prompt = n(u.input) + n(u.cacheRead) + n(u.cacheWrite5m) + n(u.cacheWrite1h);
  const w1 = n(u.cacheWrite1h);
  const w5 = n(u.cacheWrite5m);
  // The missed tokens were written to the cache again when this request wrote one, else billed as plain input.
  const paidAs: MissCost['paidAs'] = cur.provider === 'anthropic' && w1 + w5 > 0 ? (w1 > w5 ? 'cacheWrite1h' : 'cacheWrite5m') : 'input';
  const rates = found.entry.rates;
  const paid: Rate | null = paidAs === 'input' ? rates.input : rates[paidAs];
  if (paid === null || rates.cacheRead === null) return { cost: null, note: `${found.entry.id} has no ${paid === null ? paidAs : 'cache read'} price` };
  const paidRate = rateFor(paid, prompt);
  const readRate = rateFor(rates.cacheRead, prompt);
  const usd = Math.round(((missed * (paidRate - readRate)) / 1e6) * 1e12) / 1e12;
  return { cost: { usd, tokens: missed, paidRate, readRate, paidAs, priceEntry: found.entry.id }, note: null };
}

const minutes = (ms: number) => (ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`);

/** Why `cur` read fewer tokens from the cache than `prev` had cached, and what that cost; null when it is not a miss. */
export function explainMiss(prev: MissSide, cur: MissSide, gapMs: number | null, brokeAt: BlockRef | null, book: PriceBook): CacheMiss | null {
  if (!prev.usage || !cur.usage) return null;
  const expected = n(prev.usage.cacheRead) + n(prev.usage.cacheWrite5m) + n(prev.usage.cacheWrite1h);
  const read = n(cur.usage.cacheRead);
  const missed = expected - read;
  if (expected === 0 || missed < MIN_MISS_TOKENS) return null;
  const ttl = ttlWritten(prev);
  const ttlExpired = ttl !== null && gapMs !== null && gapMs > TTL_MS[ttl];
  // A break counts only inside what the previous request cached: up to its last breakpoint (all of it without any).
  const points = prev.units.map((u, i) => (u.ttl !== null ? i : -1)).filter((i) => i >= 0);
  const lastPoint = points.length > 0 ? points[points.length - 1]! : prev.units.length - 1;
  const breakIndex = brokeAt ? prev.units.findIndex((u) => u.ref.path === brokeAt.path) : -1;
  const prefixBroke = brokeAt !== null && (breakIndex < 0 || breakIndex <= lastPoint);
  const modelChanged = prev.model !== null && cur.model !== null && prev.model !== cur.model;
  let cause: CacheMiss['cause'];
  let explanation: string;
  if (ttlExpired) {
    cause = 'ttl_expired';
    explanation = `${minutes(gapMs!)} passed since the previous request, longer than the ${ttl === '1h' ? '1-hour' : '5-minute'} cache it wrote lives`;
    if (prefixBroke) explanation += `; the prefix also changed at ${brokeAt!.label}`;
  } else if (modelChanged) {
    cause = 'model_changed';
    explanation = `the model changed from ${prev.model} to ${cur.model}: each model has its own cache`;
  } else if (prefixBroke) {
    cause = 'prefix_changed';
    explanation = `the prompt changed at ${brokeAt!.label}, before the previous request's last cache breakpoint: everything from there on was not read from the cache`;
  } else {
    cause = 'unexplained';
    explanation = 'the prompt kept its cached prefix and the cache was within its time to live: the provider did not read it (evicted, or served elsewhere)';
  }
  explanation = `${missed} fewer tokens read from the cache than the previous request had cached: ${explanation}`;
  const { cost, note } = missCost(cur, missed, book);
  return { cause, explanation, expectedReadTokens: expected, readTokens: read, missedTokens: missed, brokeAt: prefixBroke ? brokeAt : null, ttl, ttlExpired, gapMs, cost, costNote: note };
}
