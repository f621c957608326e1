// Seeds a trace database for the read benchmarks, in the database itself (generate_series, INSERT … SELECT), with the
// shapes the capture writes: sessions of 5–200 calls spread over the last 90 days, several models (Claude Code's main
// model and its haiku side calls, Codex, Gemini, and a few calls no price is known for), each call seen at both ends
// (a forward and a reverse trace, each with its usage row, linked in "CCProxy_TraceTimings") with request and
// response bodies of 2–8 KB of JSON-like text, and a tenth of the traces other traffic (web, MCP) without usage.
import type { Pool } from 'pg';

export interface SeedResult {
  traces: number;
  calls: number;
  sessions: number;
  seconds: number;
}

/** Sessions seeded per statement: about 100,000 calls. */
const SESSIONS_PER_CHUNK = 1000;
/** The share of traces that are not LLM calls. */
const OTHER_SHARE = 0.1;
export const UNPRICED_NOTE = 'no price for model acme-llm-1 in genai-prices or ccproxy.prices';

/** Adds `traces` traces to an empty database (the schema already made); deterministic for a given count. */
export async function seedReadData(pool: Pool, traces: number, progress: (msg: string) => void = () => {}): Promise<SeedResult> {
  const t0 = performance.now();
  const calls = Math.floor((traces * (1 - OTHER_SHARE)) / 2);
  const client = await pool.connect();
  try {
    await client.query(`SELECT setseed(0.42)`);
    // Sessions of 5–200 calls, numbered so that call c0 … c0+len-1 belong to session sid; the last one cut to fit.
    await client.query(`DROP TABLE IF EXISTS bench_sessions`);
    await client.query(
      `CREATE TEMP TABLE bench_sessions AS
       SELECT sid, len, sum(len) OVER (ORDER BY sid) - len AS c0, t0, ua
       FROM (SELECT sid, 5 + floor(random() * 196)::int AS len,
                    (now() AT TIME ZONE 'UTC') - random() * interval '90 days' AS t0,
                    (ARRAY['claude-cli/2.1.197 (external, cli)', 'claude-cli/2.1.197 (external, cli)', 'codex_cli_rs/0.80.0', 'GeminiCLI/0.20.0'])[1 + floor(random() * 4)::int] AS ua
             FROM generate_series(1, $1::int) sid) s`,
      [Math.ceil(calls / 90) + 10],
    );
    await client.query(`DELETE FROM bench_sessions WHERE c0 >= $1`, [calls]);
    await client.query(`UPDATE bench_sessions SET len = $1 - c0 WHERE c0 + len > $1`, [calls]);
    const sessions = Number((await client.query(`SELECT count(*) AS n FROM bench_sessions`)).rows[0].n);
    // A pool of JSON-like text (fixed structure, varying content) that bodies are cut from: it compresses as JSON does.
    await client.query(`DROP TABLE IF EXISTS bench_body`);
    await client.query(
      `CREATE TEMP TABLE bench_body AS
       SELECT convert_to(string_agg('{"role":"user","content":[{"type":"text","text":"' || md5(g::text) || ' ' || md5((g * 7)::text) || '"}]},', ''), 'UTF8') AS b
       FROM generate_series(1, 400) g`,
    );
    for (let lo = 1; lo <= sessions; lo += SESSIONS_PER_CHUNK) {
      await client.query(`DROP TABLE IF EXISTS bench_calls`);
      await client.query(
        `CREATE TEMP TABLE bench_calls AS
         SELECT 'bench-' || (s.c0 + k) AS id, 'bench-session-' || s.sid AS session_id, s.ua,
                s.t0 + k * interval '40 seconds' + random() * interval '20 seconds' AS at, m.model, m.provider, m.api, m.host,
                1 + floor(random() * 5000)::int AS input, 50 + floor(random() * 4000)::int AS output,
                floor(random() * 150000)::int AS cache_read, floor(random() * 5000)::int AS w5m, floor(random() * 20000)::int AS w1h,
                m.rate, 2048 + floor(random() * 6144)::int AS req_len, 2048 + floor(random() * 6144)::int AS res_len
         FROM bench_sessions s
         CROSS JOIN LATERAL generate_series(0, s.len - 1) k
         CROSS JOIN LATERAL (SELECT random() + 0 * k AS r) pick -- per call (uncorrelated, it would be drawn once)
         CROSS JOIN LATERAL (
           SELECT * FROM (VALUES
             (0.00, 0.45, 'claude-opus-4-8', 'anthropic', 'anthropic-messages', 'api.anthropic.com', 5.0),
             (0.45, 0.70, 'claude-haiku-4-5', 'anthropic', 'anthropic-messages', 'api.anthropic.com', 1.0),
             (0.70, 0.80, 'claude-sonnet-4-5', 'anthropic', 'anthropic-messages', 'api.anthropic.com', 3.0),
             (0.80, 0.92, 'gpt-5.5', 'openai', 'openai-responses', 'chatgpt.com', 1.25),
             (0.92, 0.99, 'gemini-3-pro', 'google', 'gemini', 'cloudcode-pa.googleapis.com', 2.0),
             (0.99, 1.01, 'acme-llm-1', 'openai', 'openai-chat', 'api.acme.example', NULL)
           ) v(lo, hi, model, provider, api, host, rate) WHERE pick.r >= v.lo AND pick.r < v.hi) m
         WHERE s.sid BETWEEN $1 AND $2`,
        [lo, lo + SESSIONS_PER_CHUNK - 1],
      );
      await client.query(
        `INSERT INTO "CCProxy_HttpTraces" (trace_id, proxy_direction, session_id, method, url, host, path, request_headers, request_body,
           request_body_size, request_content_type, status_code, response_headers, response_body, response_body_size, response_content_type,
           start_time, end_time, duration_ms, is_https, traffic_type)
         SELECT c.id || d.sfx, d.dir, c.session_id, 'POST', d.scheme || d.h || '/v1/messages', d.h, '/v1/messages',
                jsonb_build_object('content-type', 'application/json', 'user-agent', c.ua, 'anthropic-version', '2023-06-01'),
                substring(b.b FROM 1 + (hashtext(c.id) & 32767) FOR c.req_len), c.req_len, 'application/json', 200,
                jsonb_build_object('content-type', 'text/event-stream', 'request-id', 'req_' || c.id),
                substring(b.b FROM 1 + (hashtext(c.id || 'r') & 32767) FOR c.res_len), c.res_len, 'text/event-stream',
                c.at, c.at + interval '3 seconds', 3000, d.dir = 1, 'llm'
         FROM bench_calls c CROSS JOIN bench_body b
         CROSS JOIN LATERAL (VALUES (1, '', 'https://', c.host), (0, '-rev', 'http://', '127.0.0.1:4000')) d(dir, sfx, scheme, h)`,
      );
      await client.query(
        `INSERT INTO "CCProxy_LlmUsage" (trace_id, proxy_direction, session_id, start_time, provider, api, requested_model, served_model, streamed,
           stop_reason, input_tokens, output_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, tool_calls, message_count,
           cost_usd, price_entry, cost_note, quota, notes, extractor, client_trace_id, billed)
         SELECT c.id || d.sfx, d.dir, c.session_id, c.at, c.provider, c.api, c.model, c.model, true, 'end_turn',
                c.input, c.output, c.cache_read, c.w5m, c.w1h, '["Read","Bash"]', 12,
                round(((c.input + c.w5m * 1.25 + c.w1h * 2 + c.cache_read * 0.1 + c.output * 5) * c.rate / 1e6)::numeric, 8),
                CASE WHEN c.rate IS NULL THEN NULL ELSE c.provider || ':' || c.model END,
                CASE WHEN c.rate IS NULL THEN '${UNPRICED_NOTE}' END,
                CASE WHEN c.provider = 'anthropic' THEN jsonb_build_object('unified', jsonb_build_object('status', 'allowed',
                  'fiveHour', jsonb_build_object('utilization', round(random()::numeric, 2)), 'sevenDay', jsonb_build_object('utilization', round(random()::numeric, 2)))) END,
                '[]', 1,
                -- as the writer leaves them: the forward row names its client row, which is then not billed
                CASE WHEN d.dir = 1 THEN c.id || '-rev' END, d.dir = 1
         FROM bench_calls c CROSS JOIN (VALUES (1, ''), (0, '-rev')) d(dir, sfx)`,
      );
      await client.query(`INSERT INTO "CCProxy_TraceTimings" (trace_id, parent_trace_id) SELECT id, id || '-rev' FROM bench_calls`);
      progress(`seeded sessions ${lo}–${Math.min(lo + SESSIONS_PER_CHUNK - 1, sessions)} of ${sessions}`);
    }
    const others = traces - calls * 2;
    await client.query(
      `INSERT INTO "CCProxy_HttpTraces" (trace_id, proxy_direction, method, url, host, path, status_code, start_time, duration_ms, traffic_type, response_body, response_body_size)
       SELECT 'bench-other-' || g, 1, 'GET', 'https://example.com/' || g, CASE WHEN g % 3 = 0 THEN 'mcp.example.com' ELSE 'example.com' END, '/' || g, 200,
              (now() AT TIME ZONE 'UTC') - random() * interval '90 days', 20, CASE WHEN g % 3 = 0 THEN 'mcp' ELSE 'web' END,
              substring(b.b FROM 1 + (g & 32767) FOR 2048), 2048
       FROM generate_series(1, $1::int) g CROSS JOIN bench_body b`,
      [others],
    );
    await client.query(`DROP TABLE IF EXISTS bench_calls; DROP TABLE IF EXISTS bench_sessions; DROP TABLE IF EXISTS bench_body`);
    // As autovacuum leaves a table that was written a while ago: statistics, and the visibility map index-only scans need.
    await client.query(`VACUUM (ANALYZE) "CCProxy_HttpTraces", "CCProxy_LlmUsage", "CCProxy_TraceTimings"`);
    return { traces, calls, sessions, seconds: (performance.now() - t0) / 1000 };
  } finally {
    client.release();
  }
}
