// Twelve traces shaped like a real dual-proxy session, written through the writer; the spec's queries run on them.
import type { TraceWriter } from '../../src/store/writer.js';

export const T0 = Date.parse('2026-11-20T10:00:00.000Z');
export const SESSION = 'your-session-uuid';

interface Seed {
  id: string;
  dir: 0 | 1;
  session: string | null;
  method: string;
  url: string;
  status: number | null;
  duration: number;
  traffic: string;
  sec: number;
  error?: [string, string];
}

export const SEEDS: Seed[] = [
  { id: 'r0-1', dir: 0, session: SESSION, method: 'POST', url: 'http://127.0.0.1:4000/v1/messages', status: 200, duration: 1200, traffic: 'llm', sec: 1 },
  { id: 'f1-1', dir: 1, session: SESSION, method: 'POST', url: 'https://api.anthropic.com/v1/messages', status: 200, duration: 1100, traffic: 'llm', sec: 2 },
  { id: 'r0-2', dir: 0, session: SESSION, method: 'POST', url: 'http://127.0.0.1:4000/v1/messages?beta=true', status: 500, duration: 300, traffic: 'llm', sec: 3 },
  { id: 'f1-2', dir: 1, session: 's-other', method: 'POST', url: 'https://api.openai.com/v1/chat/completions', status: 200, duration: 800, traffic: 'llm', sec: 4 },
  { id: 'f1-3', dir: 1, session: null, method: 'GET', url: 'https://example.com/', status: 404, duration: 50, traffic: 'web', sec: 5 },
  { id: 'f1-4', dir: 1, session: null, method: 'POST', url: 'https://mcp.example.com/mcp', status: 200, duration: 20, traffic: 'mcp', sec: 6 },
  { id: 'f1-5', dir: 1, session: SESSION, method: 'POST', url: 'https://api.anthropic.com/v1/messages', status: null, duration: 5, traffic: 'llm', sec: 7, error: ['connect ECONNREFUSED', 'connect_failed'] },
  { id: 'r0-3', dir: 0, session: null, method: 'GET', url: 'http://127.0.0.1:4000/health', status: 200, duration: 2, traffic: 'other', sec: 8 },
  { id: 'r0-4', dir: 0, session: 's-other', method: 'POST', url: 'http://127.0.0.1:4000/v1/chat/completions', status: 200, duration: 100, traffic: 'llm', sec: 9 },
  { id: 'r0-5', dir: 0, session: 's-other', method: 'POST', url: 'http://127.0.0.1:4000/v1/chat/completions', status: 200, duration: 200, traffic: 'llm', sec: 10 },
  { id: 'r0-6', dir: 0, session: 's-other', method: 'POST', url: 'http://127.0.0.1:4000/v1/chat/completions', status: 200, duration: 300, traffic: 'llm', sec: 11 },
  { id: 'r0-7', dir: 0, session: 's-other', method: 'POST', url: 'http://127.0.0.1:4000/v1/chat/completions', status: 200, duration: 400, traffic: 'llm', sec: 12 },
];

export function seedSpecRows(writer: TraceWriter): void {
  for (const s of SEEDS) {
    const u = new URL(s.url);
    const start = new Date(T0 + s.sec * 1000);
    const body = Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', metadata: { user_id: s.session } }));
    writer.create(s.id, {
      proxy_direction: s.dir,
      session_id: s.session,
      method: s.method,
      url: s.url,
      host: u.hostname,
      path: u.pathname + u.search,
      request_headers: { 'content-type': 'application/json', 'user-agent': 'seed/1.0' },
      request_body: body,
      request_body_size: body.length,
      request_content_type: 'application/json',
      start_time: start,
      client_ip: '127.0.0.1',
      is_https: u.protocol === 'https:',
      traffic_type: s.traffic,
    });
    writer.complete(s.id, {
      status_code: s.status,
      response_headers: s.status === null ? {} : { 'content-type': 'application/json' },
      response_body: s.status === null ? null : Buffer.from('{"ok":true}'),
      response_body_size: s.status === null ? 0 : 11,
      response_content_type: s.status === null ? null : 'application/json',
      end_time: new Date(start.getTime() + s.duration),
      duration_ms: s.duration,
      server_ip: s.status === null ? null : '127.0.0.1',
      server_port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
      error_message: s.error?.[0] ?? null,
      error_type: s.error?.[1] ?? null,
    });
  }
}

/** Rows made "old" for the 30-day cleanup. */
export const OLD_IDS = ['r0-3', 'f1-3'];
export const AGE_SQL = `UPDATE "CCProxy_HttpTraces" SET created_at = NOW() - INTERVAL '40 days' WHERE trace_id IN ('r0-3', 'f1-3')`;
