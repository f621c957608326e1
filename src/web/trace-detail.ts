// GET /api/traces/:id (one exchange, everything the viewer shows of it) and GET /api/traces/:id/body/:part (one
// stored body whole). The detail reads the trace through show.ts's loadTrace (rowToFlow), cuts bodies longer than
// BODY_VIEW_BYTES with a link to the whole, and adds what ccproxy show prints: the SSE events with their times, the
// assembled message, timings, usage and cost with the price entry, the quota headers and the curl command.
import type http from 'node:http';
import type pg from 'pg';
import type { Flow } from '../flow/flow.js';
import { assembleJson, assembleStream, type AssembledMessage } from '../read/assemble.js';
import { flowToCurl } from '../read/curl.js';
import { readWsMessages } from '../read/read-flows.js';
import { eventTimes, loadTrace } from '../read/show.js';
import { TABLE } from '../store/table.js';
import { TIMINGS_TABLE } from '../store/timings-table.js';
import { parseQuota, type Quota } from '../usage/quota.js';
import { recognise } from '../usage/recognise.js';
import { bodyText, looksLikeSse, parseJson, sseEvents } from '../usage/wire.js';
import { SECURITY_HEADERS } from './respond.js';

/** Bodies longer than this are cut in the detail (a 10 MB body would freeze a page); the whole is one link away. */
export const BODY_VIEW_BYTES = 256 * 1024;
/** SSE events listed in the detail; a longer stream says how many there were. */
export const EVENTS_VIEW = 5_000;

export interface BodyView {
  /** Bytes stored (decoded). */
  stored_bytes: number;
  /** Bytes on the wire, as the capture counted them. */
  size: number;
  /** The capture cut it at max_body_size. */
  truncated: boolean;
  /** `text` holds only the first BODY_VIEW_BYTES: fetch `href` for the whole. */
  cut: boolean;
  /** utf8: `text` is the body as text; base64: binary, `text` is base64; none: nothing stored. */
  encoding: 'utf8' | 'base64' | 'none';
  text: string | null;
  /** The (whole) body is JSON: a page may show it as a tree. */
  json: boolean;
  content_type: string | null;
  href: string;
}

export interface TraceDetail {
  trace_id: string;
  direction: 'reverse' | 'forward';
  session_id: string | null;
  traffic_type: string | null;
  /** The reverse row this forward row was made for. */
  parent_trace_id: string | null;
  /** The forward rows this reverse row caused. */
  children: string[];
  request: { method: string | null; url: string | null; original_url: string | null; host: string | null; path: string | null; headers: Record<string, unknown>; body: BodyView };
  response: { status: number | null; headers: Record<string, unknown>; body: BodyView } | null;
  error: { type: string | null; message: string | null } | null;
  timings: { start: string | null; end: string | null; duration_ms: number | null; ttfb_ms: number | null; request_sent_ms: number | null; dns_ms: number | null; connect_ms: number | null; tls_ms: number | null; chunk_ms: number[] | null; chunk_count: number | null };
  /** A streamed response's events; `time_ms` after the start when the chunk times match the events one to one. */
  sse: { events: { event: string | null; data: string; time_ms: number | null }[]; count: number; cut: boolean; stream_cut: boolean } | null;
  /** The message the response assembles into, for a recognised LLM API. */
  message: (AssembledMessage & { api: string }) | null;
  /** The usage table's row: tokens by kind, models, tools, price_entry, cost_usd, cost_parts, cost_note… */
  usage: Record<string, unknown> | null;
  /** Every usage row, in order: more than one for a Responses WebSocket connection (one per turn). */
  calls: Record<string, unknown>[];
  quota: Quota | null;
  /** `command` is null when the request body is over BODY_VIEW_BYTES (the notes say how to get it). */
  curl: { command: string | null; notes: string[] } | null;
  websocket: { seq: number; direction: 'client' | 'server'; at: string; opcode: number; size: number; encoding: 'utf8' | 'base64'; data: string | null; truncated: boolean }[] | null;
}

const isText = (b: Uint8Array) => {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0e-\x1f]/.test(Buffer.from(b.subarray(0, 2048)).toString('latin1'))) return false;
  // stream: a character cut at the sample's end is left out rather than read as invalid.
  return new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(0, 4096), { stream: true }).includes('\uFFFD') === false;
};

export function bodyView(traceId: string, part: 'request' | 'response', body: Uint8Array | null, size: number, truncated: boolean, contentType: string | null): BodyView {
  const href = `/api/traces/${encodeURIComponent(traceId)}/body/${part}`;
  if (body === null || body.length === 0) return { stored_bytes: 0, size, truncated, cut: false, encoding: 'none', text: null, json: false, content_type: contentType, href };
  const cut = body.length > BODY_VIEW_BYTES;
  const shown = cut ? body.subarray(0, BODY_VIEW_BYTES) : body;
  if (!isText(body)) return { stored_bytes: body.length, size, truncated, cut, encoding: 'base64', text: Buffer.from(shown).toString('base64'), json: false, content_type: contentType, href };
  const text = bodyText(shown)!;
  const json = !cut ? parseJson(text).ok : /json/i.test(contentType ?? '');
  return { stored_bytes: body.length, size, truncated, cut, encoding: 'utf8', text: cut ? text.replace(/\uFFFD$/, '') : text, json, content_type: contentType, href };
}

function streamAndMessage(flow: Flow): Pick<TraceDetail, 'sse' | 'message'> {
  const res = flow.response;
  const reqParsed = parseJson(bodyText(flow.request.body) ?? '');
  const reqBody = reqParsed.ok ? reqParsed.value : null;
  const text = res ? bodyText(res.body) : null;
  if (!res || text === null || text === '') return { sse: null, message: null };
  if (looksLikeSse(res.contentType, text)) {
    const stream = sseEvents(res.body!);
    const times = eventTimes(stream.events, flow);
    const api = recognise(flow.request.method, flow.request.path, reqBody)?.api;
    return {
      sse: { events: stream.events.slice(0, EVENTS_VIEW).map((e, i) => ({ event: e.event, data: e.data, time_ms: times[i] ?? null })), count: stream.events.length, cut: stream.events.length > EVENTS_VIEW, stream_cut: stream.cut },
      message: api ? { api, ...assembleStream(api, stream.events) } : null,
    };
  }
  const parsed = parseJson(text);
  const api = recognise(flow.request.method, flow.request.path, reqBody, parsed.ok ? parsed.value : undefined)?.api;
  const m = api && parsed.ok ? assembleJson(api, parsed.value) : null;
  return { sse: null, message: api && m ? { api, ...m } : null };
}

const isoOf = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export async function traceDetail(pool: pg.Pool, traceId: string): Promise<TraceDetail | null> {
  const shown = await loadTrace(pool, traceId);
  if (!shown) return null;
  const { flow, usage } = shown;
  const [children, timing, ws] = await Promise.all([
    pool.query<{ trace_id: string }>(`SELECT x.trace_id FROM ${TIMINGS_TABLE} x JOIN ${TABLE} t ON t.trace_id = x.trace_id WHERE x.parent_trace_id = $1 ORDER BY t.start_time`, [traceId]),
    pool.query<{ request_sent_ms: number | null }>(`SELECT request_sent_ms FROM ${TIMINGS_TABLE} WHERE trace_id = $1`, [traceId]),
    flow.response?.status === 101 ? readWsMessages(pool as unknown as pg.ClientBase, traceId) : Promise.resolve(null),
  ]);
  const q = flow.request;
  const r = flow.response;
  const t = flow.timing;
  const quota = (usage?.quota as Quota | null | undefined) ?? parseQuota(r?.headers);
  let curl: TraceDetail['curl'] = null;
  if ((q.body?.length ?? 0) > BODY_VIEW_BYTES) {
    curl = { command: null, notes: [`the request body is ${q.body!.length} bytes, too long to show here: ccproxy export curl ${flow.id} prints the command`] };
  } else {
    try {
      curl = flowToCurl(flow);
    } catch {
      curl = null;
    }
  }
  return {
    trace_id: flow.id,
    direction: flow.direction,
    session_id: flow.sessionId,
    traffic_type: flow.trafficType,
    parent_trace_id: flow.parentId ?? null,
    children: children.rows.map((c) => c.trace_id),
    request: { method: q.method, url: q.url, original_url: q.originalUrl, host: q.host, path: q.path, headers: q.headers, body: bodyView(flow.id, 'request', q.body, q.bodySize, q.bodyTruncated, q.contentType) },
    response: r ? { status: r.status, headers: r.headers, body: bodyView(flow.id, 'response', r.body, r.bodySize, r.bodyTruncated, r.contentType) } : null,
    error: flow.error,
    timings: {
      start: isoOf(t.start),
      end: isoOf(t.end),
      duration_ms: t.start !== null && t.end !== null ? t.end - t.start : null,
      ttfb_ms: t.start !== null && t.firstByte !== undefined ? t.firstByte - t.start : null,
      request_sent_ms: timing.rows[0]?.request_sent_ms ?? null,
      dns_ms: t.connection?.dnsMs ?? null,
      connect_ms: t.connection?.connectMs ?? null,
      tls_ms: t.connection?.tlsMs ?? null,
      chunk_ms: t.chunks ? [...t.chunks] : null,
      chunk_count: t.chunkCount ?? t.chunks?.length ?? null,
    },
    ...streamAndMessage(flow),
    usage,
    calls: shown.calls,
    quota: quota ?? null,
    curl,
    websocket: ws
      ? ws.map((m) => {
          const text = m.payload && m.opcode === 1 ? Buffer.from(m.payload).toString('utf8') : null;
          return { seq: m.seq, direction: m.direction === 0 ? 'client' : 'server', at: m.at.toISOString(), opcode: m.opcode, size: m.size, encoding: text !== null ? 'utf8' : 'base64', data: text ?? (m.payload ? Buffer.from(m.payload).toString('base64') : null), truncated: m.truncated };
        })
      : null,
  };
}

/**
 * Writes one stored body whole. Never as its own content type: a stored HTML or SVG body served from the viewer's
 * origin would run there. JSON as JSON, other text as plain text, anything else as bytes; sandboxed either way.
 * False when there is no such trace.
 */
export async function readBody(pool: pg.Pool, traceId: string, part: 'request' | 'response', res: http.ServerResponse, download: boolean): Promise<boolean> {
  const col = part === 'request' ? 'request' : 'response';
  const { rows } = await pool.query<{ body: Buffer | null; type: string | null }>(`SELECT ${col}_body AS body, ${col}_content_type AS type FROM ${TABLE} WHERE trace_id = $1`, [traceId]);
  const row = rows[0];
  if (!row) return false;
  const body = row.body ?? Buffer.alloc(0);
  const type = /json/i.test(row.type ?? '') && isText(body) ? 'application/json; charset=utf-8' : isText(body) ? 'text/plain; charset=utf-8' : 'application/octet-stream';
  const headers: Record<string, string> = { ...SECURITY_HEADERS, 'content-type': type, 'content-length': String(body.length), 'cache-control': 'private, no-store', 'content-security-policy': "sandbox; default-src 'none'" };
  if (download) headers['content-disposition'] = `attachment; filename="${traceId.replace(/[^\w.-]/g, '_')}-${part}.${type.startsWith('application/json') ? 'json' : type.startsWith('text/') ? 'txt' : 'bin'}"`;
  res.writeHead(200, headers);
  res.end(res.req.method === 'HEAD' ? undefined : body);
  return true;
}
