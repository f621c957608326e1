// Flows to rows of "CCProxy_HttpTraces" (and "CCProxy_TraceTimings", "CCProxy_LlmUsage") and back: the only place where a flow's parts
// meet column names. A row read with the store's pool (timestamps as UTC Dates, bytea as Buffers, jsonb parsed),
// joined with its timings row when it has one, becomes the flow it was written from.
import type { ConnectionTiming, Direction, Flow, FlowTiming } from '../flow/flow.js';
import type { WireValue } from './ops.js';
import type { TraceFields } from './table.js';
import type { PricedCall } from '../usage/priced.js';
import { EXTRACTOR_VERSION } from './usage-table.js';

const DIRECTIONS: Direction[] = ['reverse', 'forward'];

/** The columns known at the request's head (server_port too when a failure knew it before any connection). */
export function requestStartRow(flow: Flow): TraceFields {
  const q = flow.request;
  const row: TraceFields = {
    proxy_direction: DIRECTIONS.indexOf(flow.direction),
    session_id: flow.sessionId,
    method: q.method,
    url: q.url,
    host: q.host,
    path: q.path,
    request_headers: q.headers,
    request_content_type: q.contentType,
    start_time: flow.timing.start === null ? null : new Date(flow.timing.start),
    client_ip: flow.client.address,
    is_https: flow.server.https,
    traffic_type: flow.trafficType,
  };
  if (q.originalUrl) row.original_url = q.originalUrl;
  if (flow.server.port !== null) row.server_port = flow.server.port;
  return row;
}

/** The columns of the request's body, once it has ended; the session id too, which the body may have given. */
export function requestBodyRow(flow: Flow): TraceFields {
  const q = flow.request;
  const row: TraceFields = { request_body_size: q.bodySize, request_body: q.body, request_body_truncated: q.bodyTruncated };
  if (flow.sessionId !== null) row.session_id = flow.sessionId;
  return row;
}

/** The columns of a response's head (an upgrade's answer): no end yet. */
export function responseStartRow(flow: Flow): TraceFields {
  const { response: r, timing: t } = flow;
  return {
    status_code: r?.status ?? null,
    response_headers: r?.headers ?? {},
    response_content_type: r?.contentType ?? null,
    response_body_size: r?.bodySize ?? 0,
    ttfb_ms: t.start !== null && t.firstByte !== undefined ? t.firstByte - t.start : null,
    server_ip: flow.server.address,
    server_port: flow.server.port,
  };
}

/** The columns set when the response ends or the exchange fails: the response's head again, then its end. */
export function responseEndRow(flow: Flow): TraceFields {
  const { response: r, timing: t } = flow;
  const row = responseStartRow(flow);
  row.response_body = r?.body ?? null;
  row.response_body_truncated = r?.bodyTruncated ?? false;
  row.end_time = t.end === null ? null : new Date(t.end);
  row.duration_ms = t.start !== null && t.end !== null ? t.end - t.start : null;
  row.error_message = flow.error?.message ?? null;
  row.error_type = flow.error?.type ?? null;
  return row;
}

/** The columns a whole flow sets (trace_id aside): the union of its moments. */
export function flowToRow(flow: Flow): TraceFields {
  return { ...requestStartRow(flow), original_url: flow.request.originalUrl, ...requestBodyRow(flow), session_id: flow.sessionId, ...responseEndRow(flow) };
}

/**
 * The flow's row of the timings table (values as the table takes them), or null when it would say nothing the
 * trace row does not: no link, no new connection, a response in at most one chunk. An event stream's one chunk is
 * kept: its time is when the first token came, which the usage read of a stored trace (backfill) needs.
 */
export function timingsRow(flow: Flow): Record<string, WireValue> | null {
  const { connection: c, chunks } = flow.timing;
  const streamed = chunks !== undefined && chunks.length > 0 && ((flow.timing.chunkCount ?? chunks.length) > 1 || isEventStream(flow.response?.contentType));
  if (flow.parentId === undefined && c === undefined && !streamed) return null;
  return {
    parent_trace_id: flow.parentId ?? null,
    dns_ms: c?.dnsMs ?? null,
    connect_ms: c?.connectMs ?? null,
    tls_ms: c?.tlsMs ?? null,
    request_sent_ms: flow.timing.requestSent ?? null,
    chunk_ms: chunks === undefined ? null : JSON.stringify(chunks),
    chunk_count: flow.timing.chunkCount ?? null,
  };
}

/** JSON text without NUL escapes (PostgreSQL's jsonb refuses them), or null. */
function jsonText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v) && v.length === 0) return '[]';
  const text = JSON.stringify(v);
  return text.includes('\\u0000') ? text.replace(/\\u0000/g, '') : text;
}

/**
 * The flow's row of the usage table for its priced call number `seq` (values as the table takes them: JSON as
 * text, times as epoch ms); direction and session copied from the trace, start time the trace's or the call's own
 * (a WebSocket's later turns). extracted_at is the database's default.
 */
export function usageRow(flow: Flow, { call, cost, at }: PricedCall, seq = 0): Record<string, WireValue> {
  const t = call.tokens;
  return {
    call_seq: seq,
    proxy_direction: DIRECTIONS.indexOf(flow.direction),
    session_id: flow.sessionId,
    start_time: at ?? flow.timing.start,
    provider: call.provider,
    api: call.api,
    requested_model: call.requestedModel,
    served_model: call.servedModel,
    streamed: call.streamed,
    stop_reason: call.stopReason,
    input_tokens: t.input,
    output_tokens: t.output,
    cache_read_tokens: t.cacheRead,
    cache_write_5m_tokens: t.cacheWrite5m,
    cache_write_1h_tokens: t.cacheWrite1h,
    reasoning_tokens: t.reasoning,
    web_search_requests: call.webSearchRequests,
    web_fetch_requests: call.webFetchRequests,
    service_tier: call.serviceTier,
    speed: call.speed,
    inference_geo: call.inferenceGeo,
    tool_calls: jsonText(call.toolCalls),
    message_count: call.messageCount,
    ttft_ms: call.timeToFirstTokenMs,
    output_tokens_per_second: call.outputTokensPerSecond,
    cost_usd: cost.usd,
    cost_parts: jsonText(cost.parts),
    price_entry: cost.priceEntry,
    cost_note: cost.reason,
    quota: jsonText(call.quota),
    usage: jsonText(call.usage),
    notes: jsonText(call.notes),
    extractor: EXTRACTOR_VERSION,
    client_trace_id: flow.parentId ?? null,
  };
}

const isEventStream = (type: string | null | undefined) => type?.toLowerCase().startsWith('text/event-stream') === true;

type Row = Record<string, unknown>;

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const time = (v: unknown): number | null => (v instanceof Date ? v.getTime() : v === null || v === undefined ? null : Date.parse(String(v)));
const bytes = (v: unknown): Uint8Array | null => (v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(v as Uint8Array));
const headers = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : typeof v === 'string' ? JSON.parse(v) : {});

/** A row as the pool returns it, as the flow it records. A row without a status or response headers has no response. */
export function rowToFlow(row: Row): Flow {
  const start = time(row.start_time);
  const ttfb = num(row.ttfb_ms);
  const responseHeaders = headers(row.response_headers);
  const hasResponse = row.status_code !== null && row.status_code !== undefined;
  return {
    id: String(row.trace_id),
    direction: DIRECTIONS[num(row.proxy_direction) ?? 0] ?? 'reverse',
    sessionId: text(row.session_id),
    trafficType: text(row.traffic_type),
    client: { address: text(row.client_ip), port: null },
    server: { address: text(row.server_ip), port: num(row.server_port), https: row.is_https === true },
    request: {
      method: text(row.method),
      url: text(row.url),
      originalUrl: text(row.original_url),
      host: text(row.host),
      path: text(row.path),
      headers: headers(row.request_headers),
      body: bytes(row.request_body),
      bodySize: num(row.request_body_size) ?? 0,
      bodyTruncated: row.request_body_truncated === true,
      contentType: text(row.request_content_type),
    },
    response: hasResponse
      ? {
          status: num(row.status_code),
          headers: responseHeaders,
          body: bytes(row.response_body),
          bodySize: num(row.response_body_size) ?? 0,
          bodyTruncated: row.response_body_truncated === true,
          contentType: text(row.response_content_type),
        }
      : null,
    error: row.error_type === null && row.error_message === null ? null : { type: text(row.error_type), message: text(row.error_message) },
    timing: { start, end: time(row.end_time), ...(start !== null && ttfb !== null ? { firstByte: start + ttfb } : {}), ...timingsFrom(row) },
    ...(row.parent_trace_id !== null && row.parent_trace_id !== undefined ? { parentId: String(row.parent_trace_id) } : {}),
    metadata: {},
  };
}

/** The timings row's parts of a flow's timing, from a row joined with it (absent columns: nothing). */
function timingsFrom(row: Row): Partial<FlowTiming> {
  const out: Partial<FlowTiming> = {};
  if ([row.dns_ms, row.connect_ms, row.tls_ms].some((v) => v !== null && v !== undefined)) {
    out.connection = { dnsMs: num(row.dns_ms), connectMs: num(row.connect_ms), tlsMs: num(row.tls_ms) } satisfies ConnectionTiming;
  }
  if (row.chunk_ms !== null && row.chunk_ms !== undefined) out.chunks = (typeof row.chunk_ms === 'string' ? JSON.parse(row.chunk_ms) : row.chunk_ms) as number[];
  if (row.chunk_count !== null && row.chunk_count !== undefined) out.chunkCount = Number(row.chunk_count);
  if (row.request_sent_ms !== null && row.request_sent_ms !== undefined) out.requestSent = Number(row.request_sent_ms);
  return out;
}
