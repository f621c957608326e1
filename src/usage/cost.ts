// The cost of one call in USD, as the provider bills it: each kind of token at its own price (1-hour cache writes
// at the 1-hour rate, not the 5-minute one), a long-context tier applied to the whole request once the prompt
// (cached parts included) passes its threshold, web searches per request, and the multipliers the provider documents
// (service tier, US-only inference, fast mode). Anything it cannot price exactly gives a NULL cost and the reason,
// never a guess.
import type { LlmCall, LlmProvider } from './call.js';
import { rateFor, type PriceBook, type PriceEntry, type Rate } from './prices.js';

export interface CallCost {
  usd: number | null;
  /** The price entry used (see PriceEntry.id), or null when none was found. */
  priceEntry: string | null;
  /** Why `usd` is null, or why it is 0 for a call that was not billed (it failed before any token was counted). */
  reason: string | null;
  /** USD by kind, when priced. */
  parts: { input: number; output: number; cacheRead: number; cacheWrite5m: number; cacheWrite1h: number; webSearch: number } | null;
}

/**
 * Multipliers of service tiers on standard prices. Anthropic: Batch API 50 % (platform.claude.com/docs/en/about-claude/
 * pricing). OpenAI: flex is priced at Batch API rates, 50 % (developers.openai.com/api/docs/guides/flex-processing).
 * A tier not listed (priority, scale…) has its own prices that the table does not hold: NULL.
 */
const TIERS: Record<LlmProvider, Record<string, number>> = {
  anthropic: { standard: 1, batch: 0.5 },
  openai: { default: 1, auto: 1, flex: 0.5, batch: 0.5 },
  google: { standard: 1 },
};

/**
 * Anthropic's US-only inference (`inference_geo: "us"`): 1.1× every token price for Claude Opus 4.6, Sonnet 4.6
 * and later models; earlier ones are billed at the standard rate (platform.claude.com/docs/en/build-with-claude/
 * data-residency; support.claude.com "Enable US-only inference"). Web searches are priced per request, not by token.
 */
const US_ONLY = 1.1;

/** Whether a Claude model is Opus/Sonnet 4.6 or later (true), earlier (false), or not named in a way that tells. */
export function fromClaude46(model: string): boolean | null {
  if (/^claude-(instant|[1-3])\b|^claude-[1-3]-/.test(model)) return false;
  const m = /^claude-(?:opus|sonnet|haiku)-(\d+)(?:-(\d{1,2}))?(?:-\d{8})?$/.exec(model);
  if (!m) return null;
  const major = Number(m[1]);
  const minor = m[2] === undefined ? 0 : Number(m[2]);
  return major > 4 || (major === 4 && minor >= 6);
}

/** The multiplier of where an Anthropic call ran, or the reason it cannot be priced. */
function geoMultiplier(call: LlmCall, model: string): number | string {
  const geo = call.inferenceGeo?.toLowerCase() ?? null;
  if (call.provider !== 'anthropic' || geo === null || geo === 'global') return 1;
  if (geo !== 'us') return `inference geo ${geo} has prices of its own that the table does not hold`;
  const newer = fromClaude46(model);
  if (newer === null) return `US-only inference is billed at ${US_ONLY}× for Claude Opus 4.6, Sonnet 4.6 and later: cannot tell whether ${model} is one`;
  return newer ? US_ONLY : 1;
}

export function priceCall(call: LlmCall, book: PriceBook, at: Date): CallCost {
  const model = call.servedModel ?? call.requestedModel;
  if (model === null) return none(null, 'no model named in the request or the response');
  let found = book.lookup(call.provider, model, at);
  if (found.entry === null && call.requestedModel !== null && call.requestedModel !== model) {
    const byRequest = book.lookup(call.provider, call.requestedModel, at);
    if (byRequest.entry) found = byRequest;
  }
  if (found.entry === null) return none(null, found.reason);
  return costWith(call, found.entry);
}

export function costWith(call: LlmCall, entry: PriceEntry): CallCost {
  const t = call.tokens;
  if (t.input === null || t.output === null) return none(entry.id, 'the usage was not read in full (no input or output count)');
  const cacheRead = t.cacheRead ?? 0;
  const write5m = t.cacheWrite5m ?? 0;
  const write1h = t.cacheWrite1h ?? 0;
  const prompt = t.input + cacheRead + write5m + write1h;
  const per = (tokens: number, r: Rate | null, kind: string): number | string => {
    if (tokens === 0) return 0;
    if (r === null) return `${entry.id} has no ${kind} price`;
    return (tokens * rateFor(r, prompt)) / 1e6;
  };
  const searches = call.webSearchRequests ?? 0;
  const parts = {
    input: per(t.input, entry.rates.input, 'input'),
    output: per(t.output, entry.rates.output, 'output'),
    cacheRead: per(cacheRead, entry.rates.cacheRead, 'cache read'),
    cacheWrite5m: per(write5m, entry.rates.cacheWrite5m, 'cache write (5-minute)'),
    cacheWrite1h: per(write1h, entry.rates.cacheWrite1h, '1-hour cache write'),
    webSearch: searches === 0 ? 0 : entry.webSearchPerRequest === null ? `${entry.id} has no web search price` : searches * entry.webSearchPerRequest,
  };
  const missing = Object.values(parts).find((p): p is string => typeof p === 'string');
  if (missing) return none(entry.id, missing);
  let k = 1;
  const tier = call.serviceTier?.toLowerCase() ?? null;
  if (tier !== null) {
    const m = TIERS[call.provider][tier];
    if (m === undefined) return none(entry.id, `service tier ${tier} has prices of its own that the table does not hold`);
    k *= m;
  }
  const geo = geoMultiplier(call, call.servedModel ?? call.requestedModel ?? '');
  if (typeof geo === 'string') return none(entry.id, geo);
  k *= geo;
  if (call.speed === 'fast') {
    if (entry.fastMultiplier === null) return none(entry.id, `fast mode has no price for ${entry.id} (set fast_multiplier under ccproxy.prices)`);
    k *= entry.fastMultiplier;
  }
  const n = parts as Record<keyof typeof parts, number>;
  for (const key of Object.keys(n) as (keyof typeof n)[]) n[key] = round(n[key] * (key === 'webSearch' ? 1 : k));
  return { usd: round(Object.values(n).reduce((a, b) => a + b, 0)), priceEntry: entry.id, reason: null, parts: n };
}

/** A call that failed before any token was counted: it costs nothing, for the reason given. */
export function notBilled(why: string): CallCost {
  return { usd: 0, priceEntry: null, reason: `not billed: ${why}`, parts: null };
}

function none(priceEntry: string | null, reason: string): CallCost {
  return { usd: null, priceEntry, reason, parts: null };
}

/** Float noise off (1e-12 USD), so sums compare equal to the provider's own figures. */
function round(x: number): number {
  return Math.round(x * 1e12) / 1e12;
}
