// Prices users add or correct in ccproxy.yaml, under `ccproxy.prices`: per model, USD per million tokens of each
// kind. A model name ending in `*` covers every model starting with the rest. What is left out is not guessed:
// Anthropic's own rules fill the cache prices of an Anthropic model (5-minute writes 1.25×, 1-hour writes 2×,
// reads 0.1× input); for any other model, tokens of a kind without a price leave the cost NULL.
//
//   ccproxy:
//     prices:
//       claude-opus-4-8: { input: 5, output: 25, cache_read: 0.5, cache_write_5m: 6.25, cache_write_1h: 10 }
//       my-local-model*: { provider: openai, input: 0, output: 0 }
import { z } from 'zod';

const usdPerMillion = z.number().finite().nonnegative();

export const modelPriceSchema = z
  .object({
    /** Whose billing rules apply (`anthropic` fills missing cache prices by its multipliers). */
    provider: z.enum(['anthropic', 'openai', 'google']).optional(),
    input: usdPerMillion,
    output: usdPerMillion,
    cache_read: usdPerMillion.optional(),
    cache_write_5m: usdPerMillion.optional(),
    cache_write_1h: usdPerMillion.optional(),
    /** USD per server-side web search request. */
    web_search_per_request: z.number().finite().nonnegative().optional(),
    /** Anthropic fast mode: how many times the standard prices a `speed: fast` call costs. */
    fast_multiplier: z.number().finite().positive().optional(),
  })
  .strict();

export const pricesSchema = z.record(z.string().min(1), modelPriceSchema);

export type ModelPriceOverride = z.infer<typeof modelPriceSchema>;
export type PriceOverrides = z.infer<typeof pricesSchema>;

/** The override for a model: an exact name first, then the longest `prefix*` that matches. */
export function findOverride(overrides: PriceOverrides, model: string): { key: string; price: ModelPriceOverride } | null {
  const exact = overrides[model];
  if (exact) return { key: model, price: exact };
  let best: { key: string; price: ModelPriceOverride } | null = null;
  for (const [key, price] of Object.entries(overrides)) {
    if (!key.endsWith('*')) continue;
    const prefix = key.slice(0, -1);
    if (model.startsWith(prefix) && (best === null || prefix.length > best.key.length - 1)) best = { key, price };
  }
  return best;
}
