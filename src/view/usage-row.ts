// A row of "CCProxy_LlmUsage" as the viewer receives it (`SELECT * …` or `to_jsonb(u)`: snake_case columns, numbers
// possibly as strings, times as Date or ISO text), and the few readings of it the analysis needs, taken defensively.
import type { LlmProvider } from '../usage/call.js';

/** The usage table's columns (src/store/usage-table.ts) the viewer's analysis reads; any others may be present. */
export interface UsageRow {
  trace_id: string;
  proxy_direction?: number | null;
  session_id?: string | null;
  start_time?: Date | string | null;
  provider?: string | null;
  api?: string | null;
  requested_model?: string | null;
  served_model?: string | null;
  input_tokens?: number | string | null;
  output_tokens?: number | string | null;
  cache_read_tokens?: number | string | null;
  cache_write_5m_tokens?: number | string | null;
  cache_write_1h_tokens?: number | string | null;
  cost_usd?: number | string | null;
  price_entry?: string | null;
  [column: string]: unknown;
}

/** The prompt's tokens by kind, as one usage row has them (null: the row did not say). */
export interface PromptTokens {
  input: number | null;
  cacheRead: number | null;
  cacheWrite5m: number | null;
  cacheWrite1h: number | null;
}

function num(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

export function promptTokens(row: UsageRow): PromptTokens {
  return { input: num(row.input_tokens), cacheRead: num(row.cache_read_tokens), cacheWrite5m: num(row.cache_write_5m_tokens), cacheWrite1h: num(row.cache_write_1h_tokens) };
}

export function rowProvider(row: UsageRow): LlmProvider | null {
  return row.provider === 'anthropic' || row.provider === 'openai' || row.provider === 'google' ? row.provider : null;
}

/** The model that served the call, else the one requested. */
export function rowModel(row: UsageRow): string | null {
  return (typeof row.served_model === 'string' && row.served_model) || (typeof row.requested_model === 'string' && row.requested_model) || null;
}

/** The usage rows by trace id (a row without a trace id is left out). */
export function usageByTrace(rows: readonly UsageRow[] | undefined): Map<string, UsageRow> {
  const out = new Map<string, UsageRow>();
  for (const r of rows ?? []) if (r && typeof r.trace_id === 'string') out.set(r.trace_id, r);
  return out;
}
