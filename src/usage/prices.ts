// The price of a model at a moment: from `ccproxy.prices` in ccproxy.yaml when the user set one, else from
// `@pydantic/genai-prices` (a maintained, machine-readable table with dated price history, long-context tiers and
// 5-minute / 1-hour cache-write prices; its own data, bundled, never fetched at run time). Each entry is named
// with the table's version and the dated price it used, so a cost stored today can be reproduced later.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { calcPrice, type ModelInfo, type ModelPrice } from '@pydantic/genai-prices';
import type { LlmProvider } from './call.js';
import { findOverride, type ModelPriceOverride, type PriceOverrides } from './price-overrides.js';

/** USD per million tokens: one figure, or a base with thresholds over which the whole request costs more. */
export type Rate = number | { base: number; tiers: readonly { start: number; price: number }[] };

export interface PriceEntry {
  /** Names the price used: `genai-prices@0.1.8:anthropic/claude-opus-4-8`, `ccproxy.prices:my-model*`. */
  id: string;
  provider: string;
  rates: { input: Rate; output: Rate; cacheRead: Rate | null; cacheWrite5m: Rate | null; cacheWrite1h: Rate | null };
  /** USD per server-side web search. */
  webSearchPerRequest: number | null;
  /** Anthropic fast mode's multiple of the standard prices, when known. */
  fastMultiplier: number | null;
  /** Where the figures come from (documentation pages), for people. */
  source: string | null;
}

/** Anthropic's cache prices as multiples of the input price (platform.claude.com, "Prompt caching" → pricing). */
export const ANTHROPIC_CACHE = { write5m: 1.25, write1h: 2, read: 0.1 } as const;

const require = createRequire(import.meta.url);

/** The bundled table's version, read from its package.json (its `exports` do not expose the file). */
function tableVersion(): string {
  try {
    const main = require.resolve('@pydantic/genai-prices');
    const pkg = JSON.parse(readFileSync(join(dirname(main), '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export const TABLE = `genai-prices@${tableVersion()}`;

/** genai-prices' provider ids for ours. */
const TABLE_PROVIDER: Record<LlmProvider, string> = { anthropic: 'anthropic', openai: 'openai', google: 'google' };

type Lookup = { entry: PriceEntry } | { entry: null; reason: string };

/** Lookups remembered per model and half hour (the table's finest price window): a table search costs ~0.3 ms. */
const MEMO_MS = 30 * 60_000;
const MEMO_MAX = 1024;

export class PriceBook {
  private readonly memo = new Map<string, Lookup>();

  constructor(private readonly overrides: PriceOverrides = {}) {}

  /** The price of `model` served under `provider`'s API at `at`, or null with the reason. */
  lookup(provider: LlmProvider, model: string, at: Date): Lookup {
    const key = `${provider}\0${model}\0${Math.floor(at.getTime() / MEMO_MS)}`;
    let found = this.memo.get(key);
    if (found === undefined) {
      found = this.search(provider, model, at);
      if (this.memo.size >= MEMO_MAX) this.memo.clear();
      this.memo.set(key, found);
    }
    return found;
  }

  private search(provider: LlmProvider, model: string, at: Date): Lookup {
    const own = findOverride(this.overrides, model);
    if (own) return { entry: fromOverride(own.key, own.price, provider) };
    try {
      const found = calcPrice({ input_tokens: 0 }, model, { providerId: TABLE_PROVIDER[provider], timestamp: at }) ?? calcPrice({ input_tokens: 0 }, model, { timestamp: at });
      if (!found) return { entry: null, reason: `no price for model ${model} in ${TABLE} or ccproxy.prices` };
      return { entry: fromTable(found.provider.id, found.model, found.model_price, found.provider.pricing_urls?.[0] ?? null) };
    } catch (e) {
      return { entry: null, reason: `the price table failed: ${(e as Error).message}` };
    }
  }
}

function fromTable(providerId: string, model: ModelInfo, price: ModelPrice, url: string | null): PriceEntry {
  // A model with conditional prices: name the condition of the one chosen (the date it starts from, or the hours).
  const c = Array.isArray(model.prices) ? model.prices.find((p) => p.prices === price)?.constraint : undefined;
  const since = !c ? '' : 'start_date' in c ? `@${c.start_date}` : `@${c.start_time}-${c.end_time}`;
  const input = rate(price.input_mtok);
  const anthropic = providerId === 'anthropic';
  const scaled = (k: number) => (input === null ? null : scale(input, k));
  return {
    id: `${TABLE}:${providerId}/${model.id}${since}`,
    provider: providerId,
    rates: {
      input: input ?? 0,
      output: rate(price.output_mtok) ?? 0,
      cacheRead: rate(price.cache_read_mtok) ?? (anthropic ? scaled(ANTHROPIC_CACHE.read) : null),
      cacheWrite5m: rate(price.cache_write_mtok) ?? (anthropic ? scaled(ANTHROPIC_CACHE.write5m) : null),
      cacheWrite1h: rate(price.cache_write_1h_mtok) ?? (anthropic ? scaled(ANTHROPIC_CACHE.write1h) : null),
    },
    webSearchPerRequest: typeof price.web_searches_kcount === 'number' ? price.web_searches_kcount / 1000 : null,
    fastMultiplier: null,
    source: model.price_comments ? `${url ?? ''} ${model.price_comments}`.trim() : url,
  };
}

function fromOverride(key: string, p: ModelPriceOverride, provider: LlmProvider): PriceEntry {
  const anthropic = (p.provider ?? provider) === 'anthropic';
  return {
    id: `ccproxy.prices:${key}`,
    provider: p.provider ?? provider,
    rates: {
      input: p.input,
      output: p.output,
      cacheRead: p.cache_read ?? (anthropic ? p.input * ANTHROPIC_CACHE.read : null),
      cacheWrite5m: p.cache_write_5m ?? (anthropic ? p.input * ANTHROPIC_CACHE.write5m : null),
      cacheWrite1h: p.cache_write_1h ?? (anthropic ? p.input * ANTHROPIC_CACHE.write1h : null),
    },
    webSearchPerRequest: p.web_search_per_request ?? null,
    fastMultiplier: p.fast_multiplier ?? null,
    source: 'ccproxy.yaml',
  };
}

function rate(v: ModelPrice[string]): Rate | null {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && typeof v.base === 'number' && Array.isArray(v.tiers)) return { base: v.base, tiers: v.tiers.map((t) => ({ start: t.start, price: t.price })) };
  return null;
}

function scale(r: Rate, k: number): Rate {
  return typeof r === 'number' ? r * k : { base: r.base * k, tiers: r.tiers.map((t) => ({ start: t.start, price: t.price * k })) };
}

/** The figure that applies to a request whose prompt has `promptTokens` tokens: tiers price the whole request. */
export function rateFor(r: Rate, promptTokens: number): number {
  if (typeof r === 'number') return r;
  let price = r.base;
  for (const t of r.tiers) if (promptTokens > t.start) price = t.price;
  return price;
}
