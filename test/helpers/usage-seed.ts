// LLM calls written as the capture writes them — the trace row, the usage row ("CCProxy_LlmUsage", the columns the
// usage stage fills) and, for a call seen at both ends, the reverse twin linked from the forward row — for the
// report tests.
import type { Pool } from 'pg';
import { EXTRACTOR_VERSION } from '../../src/store/usage-table.js';

export interface SeedCall {
  id: string;
  at: string;
  session: string | null;
  provider?: 'anthropic' | 'openai' | 'google';
  model: string;
  input: number;
  output: number;
  cacheRead?: number;
  write5m?: number;
  write1h?: number;
  /** null: not priced, with `note`. */
  cost: number | null;
  note?: string;
  userAgent?: string;
  /** Anthropic unified 5h/7d utilisation, as src/usage/quota.ts parses it. */
  quota?: { fiveHour: number; sevenDay: number };
  /** Also seen by the reverse capture: a reverse row with its own usage row, linked from the forward one. */
  twin?: boolean;
}

const API = { anthropic: 'anthropic-messages', openai: 'openai-responses', google: 'gemini' } as const;
const HOST = { anthropic: 'api.anthropic.com', openai: 'api.openai.com', google: 'generativelanguage.googleapis.com' } as const;

function quotaJson(q: SeedCall['quota']) {
  if (!q) return null;
  const headers = {
    'anthropic-ratelimit-unified-status': 'allowed',
    'anthropic-ratelimit-unified-5h-utilization': String(q.fiveHour),
    'anthropic-ratelimit-unified-7d-utilization': String(q.sevenDay),
  };
  const w = (u: number) => ({ utilization: u, reset: '2026-11-20T15:00:00.000Z', status: 'allowed' });
  return { headers, unified: { status: 'allowed', reset: null, fiveHour: w(q.fiveHour), sevenDay: w(q.sevenDay), representativeClaim: 'five_hour' }, limits: {} };
}

async function insertOne(pool: Pool, c: SeedCall, id: string, direction: 0 | 1, client: string | null, billed: boolean): Promise<void> {
  const provider = c.provider ?? 'anthropic';
  const host = direction === 1 ? HOST[provider] : '127.0.0.1';
  await pool.query(
    `INSERT INTO "CCProxy_HttpTraces" (trace_id, proxy_direction, session_id, method, url, host, path, request_headers, status_code, start_time, end_time, duration_ms, traffic_type)
     VALUES ($1, $2, $3, 'POST', $4, $5, '/v1/messages', $6, 200, $7::timestamptz AT TIME ZONE 'UTC', $7::timestamptz AT TIME ZONE 'UTC', 900, 'llm')`,
    [id, direction, c.session, `https://${host}/v1/messages`, host, JSON.stringify({ 'user-agent': c.userAgent ?? 'claude-cli/2.1.197 (external, cli)' }), c.at],
  );
  await pool.query(
    `INSERT INTO "CCProxy_LlmUsage" (trace_id, proxy_direction, session_id, start_time, provider, api, requested_model, served_model, streamed,
       stop_reason, input_tokens, output_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, tool_calls, message_count,
       cost_usd, price_entry, cost_note, quota, notes, extractor, client_trace_id, billed)
     VALUES ($1, $2, $3, $4::timestamptz AT TIME ZONE 'UTC', $5, $6, $7, $7, true, 'end_turn', $8, $9, $10, $11, $12, '[]', 3, $13, $14, $15, $16, '[]', $17, $18, $19)`,
    [
      id, direction, c.session, c.at, provider, API[provider], c.model, c.input, c.output, c.cacheRead ?? 0, c.write5m ?? 0, c.write1h ?? 0,
      c.cost, c.cost === null ? null : `${provider}:${c.model}`, c.cost === null ? (c.note ?? null) : null, quotaJson(c.quota), EXTRACTOR_VERSION, client, billed,
    ],
  );
}

export async function seedCalls(pool: Pool, calls: readonly SeedCall[]): Promise<void> {
  for (const c of calls) {
    await insertOne(pool, c, c.id, 1, c.twin ? `${c.id}-rev` : null, true);
    if (c.twin) {
      // The writer marks the reverse twin not billed once the forward row names it (store/usage-table.ts billedFixup).
      await insertOne(pool, c, `${c.id}-rev`, 0, null, false);
      await pool.query(`INSERT INTO "CCProxy_TraceTimings" (trace_id, parent_trace_id) VALUES ($1, $2)`, [c.id, `${c.id}-rev`]);
    }
  }
}
