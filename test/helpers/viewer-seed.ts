// A long session and a big body for the viewer's tests and benchmark, written as the capture writes them: one
// session of BIG_REQUESTS calls seen at both ends (client and provider rows with usage, linked), the newest rows
// of the database; one exchange whose request body is 10 MB of JSON.
import type { Pool } from 'pg';

export const BIG_SESSION = 'viewer-long-session';
export const BIG_REQUESTS = 2000;
export const BIG_BODY_TRACE = 'viewer-10mb-body';
const BIG_BODY_BYTES = 10 * 1024 * 1024;

/** One session of `BIG_REQUESTS` calls, each a client (reverse) and a provider (forward) row with usage, linked; the newest session. */
export async function seedLongSession(pool: Pool): Promise<void> {
  await pool.query(
    `INSERT INTO "CCProxy_HttpTraces" (trace_id, proxy_direction, session_id, method, url, host, path, request_headers, request_body, request_body_size,
       request_content_type, status_code, response_headers, response_body, response_body_size, response_content_type, start_time, end_time, duration_ms, is_https, traffic_type)
     SELECT 'viewer-long-' || g || d.sfx, d.dir, $1, 'POST', d.scheme || d.h || '/v1/messages', d.h, '/v1/messages',
            jsonb_build_object('content-type', 'application/json', 'user-agent', 'claude-cli/2.1.197 (external, cli)'),
            convert_to('{"model":"' || d.model || '","max_tokens":32000,"messages":[{"role":"user","content":"step ' || g || '"}]}', 'UTF8'), 80,
            'application/json', 200, '{"content-type":"application/json"}',
            convert_to('{"type":"message","role":"assistant","content":[{"type":"text","text":"done ' || g || '"}],"usage":{"input_tokens":10,"output_tokens":5}}', 'UTF8'), 110,
            'application/json', (now() AT TIME ZONE 'UTC') - interval '3 hours' + g * interval '5 seconds', (now() AT TIME ZONE 'UTC') - interval '3 hours' + g * interval '5 seconds' + interval '2 seconds',
            2000, d.dir = 1, 'llm'
     FROM generate_series(1, $2::int) g
     CROSS JOIN (VALUES (1, '', 'https://', 'api.anthropic.com', 'claude-opus-4-8'), (0, '-rev', 'http://', '127.0.0.1:4000', 'opus')) d(dir, sfx, scheme, h, model)`,
    [BIG_SESSION, BIG_REQUESTS],
  );
  await pool.query(
    `INSERT INTO "CCProxy_LlmUsage" (trace_id, proxy_direction, session_id, start_time, provider, api, requested_model, served_model, streamed, stop_reason,
       input_tokens, output_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, tool_calls, message_count, cost_usd, price_entry, notes, extractor)
     SELECT 'viewer-long-' || g || d.sfx, d.dir, $1, (now() AT TIME ZONE 'UTC') - interval '3 hours' + g * interval '5 seconds', 'anthropic', 'anthropic-messages',
            d.model, 'claude-opus-4-8', false, 'end_turn', 10, 5, 20000, 100, 0, '[]', 1, 0.0123, 'anthropic:claude-opus-4-8', '[]', 1
     FROM generate_series(1, $2::int) g CROSS JOIN (VALUES (1, '', 'claude-opus-4-8'), (0, '-rev', 'opus')) d(dir, sfx, model)`,
    [BIG_SESSION, BIG_REQUESTS],
  );
  await pool.query(`INSERT INTO "CCProxy_TraceTimings" (trace_id, parent_trace_id) SELECT 'viewer-long-' || g, 'viewer-long-' || g || '-rev' FROM generate_series(1, $1::int) g`, [BIG_REQUESTS]);
}

/** A request body of 10 MB of JSON: a long conversation, as a client near its context limit sends. */
export async function seedBigBody(pool: Pool): Promise<void> {
  const messages: unknown[] = [];
  let size = 0;
  for (let i = 0; size < BIG_BODY_BYTES; i++) {
    const text = `turn ${i}: ${'The quick brown fox jumps over the lazy dog. '.repeat(110)}`;
    messages.push({ role: i % 2 ? 'assistant' : 'user', content: [{ type: 'text', text }] });
    size += text.length + 60;
  }
  const body = Buffer.from(JSON.stringify({ model: 'claude-opus-4-8', max_tokens: 32000, messages }));
  await pool.query(
    `INSERT INTO "CCProxy_HttpTraces" (trace_id, proxy_direction, session_id, method, url, host, path, request_headers, request_body, request_body_size, request_content_type,
       status_code, response_headers, response_body, response_body_size, response_content_type, start_time, end_time, duration_ms, is_https, traffic_type)
     VALUES ($1, 1, 'viewer-big-body', 'POST', 'https://api.anthropic.com/v1/messages', 'api.anthropic.com', '/v1/messages', '{"content-type":"application/json"}', $2, $3, 'application/json',
       200, '{"content-type":"application/json"}', convert_to('{"type":"message","role":"assistant","content":[{"type":"text","text":"ok"}]}', 'UTF8'), 70, 'application/json',
       (now() AT TIME ZONE 'UTC') - interval '4 hours', (now() AT TIME ZONE 'UTC') - interval '4 hours', 9000, true, 'llm')`,
    [BIG_BODY_TRACE, body, body.length],
  );
}
