// Token, request and cost sums of LLM calls, added up from the database's per-group rows: a report's entries, each
// entry's per-model breakdown and the totals are all Sums. Cost adds only priced calls; the calls that could not
// be priced are counted beside it, never taken as zero.

export interface Sums {
  requests: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  /** USD of the priced calls; null when none was priced. */
  cost: number | null;
  unpriced: number;
}

export const emptySums = (): Sums => ({ requests: 0, input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, cost: null, unpriced: 0 });

export function addSums(to: Sums, s: Sums): Sums {
  to.requests += s.requests;
  to.input += s.input;
  to.output += s.output;
  to.cacheRead += s.cacheRead;
  to.cacheWrite5m += s.cacheWrite5m;
  to.cacheWrite1h += s.cacheWrite1h;
  if (s.cost !== null) to.cost = (to.cost ?? 0) + s.cost;
  to.unpriced += s.unpriced;
  return to;
}

/** The prompt: input, cache reads and both cache writes (the kinds are disjoint, src/usage/call.ts). */
export const promptTokens = (s: Sums): number => s.input + s.cacheRead + s.cacheWrite5m + s.cacheWrite1h;

export const totalTokens = (s: Sums): number => promptTokens(s) + s.output;

/** The share of prompt tokens read from a cache: cache_read / (input + cache_read + cache writes); null with no prompt. */
export function cacheHitRate(s: Sums): number | null {
  const prompt = promptTokens(s);
  return prompt === 0 ? null : s.cacheRead / prompt;
}
