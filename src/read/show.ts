// One exchange as `ccproxy show` prints it: the request and response with their headers and decoded bodies (JSON
// pretty-printed), a streamed response as its events with their times and as the message they assemble into,
// the timings, and the usage and cost the usage table holds for it. Reads the trace with its timings and usage
// rows; renders a flow (store/flow-row.ts) so it reads what any other reader of flows reads.
import type pg from 'pg';
import type { Flow } from '../flow/flow.js';
import { rowToFlow } from '../store/flow-row.js';
import { TABLE } from '../store/table.js';
import { timingColumns, TIMINGS_TABLE } from '../store/timings-table.js';
import { USAGE_TABLE } from '../store/usage-table.js';
import { recognise } from '../usage/recognise.js';
import { bodyText, looksLikeSse, parseJson, sseEvents, type SseEvent } from '../usage/wire.js';
import { assembleJson, assembleStream, type AssembledMessage } from './assemble.js';
import { cost, duration } from './traces.js';

export interface ShownTrace {
  flow: Flow;
  /** The trace's (first) usage row. */
  usage: Record<string, unknown> | null;
  /** Every usage row of the trace in order: one for an HTTP call, one per turn of a Responses WebSocket. */
  calls: Record<string, unknown>[];
}

const jsonRow = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>;

/** The trace with its timings and usage rows, or null when no trace has this id. */
export async function loadTrace(pool: pg.Pool, traceId: string): Promise<ShownTrace | null> {
  const { rows } = await pool.query(
    `SELECT t.*, ${timingColumns('tt')}
     FROM ${TABLE} t LEFT JOIN ${TIMINGS_TABLE} tt ON tt.trace_id = t.trace_id
     WHERE t.trace_id = $1 LIMIT 1`,
    [traceId],
  );
  const row = rows[0] as Record<string, unknown> | undefined;
  if (!row) return null;
  const usage = await pool.query(`SELECT to_jsonb(u) AS r FROM ${USAGE_TABLE} u WHERE u.trace_id = $1 ORDER BY u.call_seq`, [traceId]);
  const calls = usage.rows.map((r: { r: unknown }) => jsonRow(r.r));
  return { flow: rowToFlow(row), usage: calls[0] ?? null, calls };
}

const indent = (text: string, by = '  ') => text.replace(/^/gm, by);

function headerLines(h: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(h)) for (const x of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${String(x)}`);
  return lines.length ? lines.join('\n') : '(none)';
}

/** A body as text: JSON pretty-printed, other text as it is, binary as a size. */
function bodyBlock(body: Uint8Array | null, size: number, truncated: boolean): string {
  if (body === null || body.length === 0) return size > 0 ? `(${size} bytes, not stored)` : '(empty)';
  const text = bodyText(body)!;
  const note = truncated ? `\n(stored ${body.length} of ${size} bytes: cut at the size limit)` : '';
  const parsed = parseJson(text);
  if (parsed.ok) return JSON.stringify(parsed.value, null, 2) + note;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0e-\x1f]/.test(text.slice(0, 2048))) return `(${body.length} bytes of binary data)${note}`;
  return text + note;
}

/**
 * The events' times as ms after the start. Stored chunk times carry no sizes, so an event is timed only when each
 * chunk carried exactly one event (as many chunks as events); otherwise the chunk times are shown on their own.
 */
export function eventTimes(events: readonly SseEvent[], flow: Flow): (number | null)[] {
  const chunks = flow.timing.chunks;
  if (chunks && chunks.length === events.length && (flow.timing.chunkCount ?? chunks.length) === chunks.length) return [...chunks];
  return events.map(() => null);
}

function eventData(data: string): string {
  const p = parseJson(data);
  return p.ok ? JSON.stringify(p.value) : data;
}

function messageBlock(m: AssembledMessage): string {
  const out: string[] = [];
  if (m.thinking) out.push('thinking:', indent(m.thinking));
  if (m.text) out.push('text:', indent(m.text));
  for (const c of m.toolCalls) out.push(`tool call: ${c.name}${c.id ? ` (${c.id})` : ''}`, indent(typeof c.input === 'string' ? c.input : JSON.stringify(c.input, null, 2)));
  if (m.stopReason) out.push(`stop reason: ${m.stopReason}`);
  return out.length ? out.join('\n') : '(nothing)';
}

function responseBody(flow: Flow, out: string[]): void {
  const res = flow.response!;
  const text = bodyText(res.body);
  const req = parseJson(bodyText(flow.request.body) ?? '');
  if (text !== null && text !== '' && looksLikeSse(res.contentType, text)) {
    const stream = sseEvents(res.body!);
    const times = eventTimes(stream.events, flow);
    out.push(`Events (${stream.events.length}${stream.cut ? ', the stream was cut inside an event' : ''}):`);
    stream.events.forEach((e, i) => out.push(`  ${times[i] === null ? '' : `+${Math.round(times[i]!)}ms `.padStart(9)}${e.event ? `${e.event}: ` : ''}${eventData(e.data)}`));
    const api = recognise(flow.request.method, flow.request.path, req.ok ? req.value : null)?.api;
    if (api) out.push('', `Assembled message (${api}):`, indent(messageBlock(assembleStream(api, stream.events))));
    return;
  }
  out.push(indent(bodyBlock(res.body, res.bodySize, res.bodyTruncated)));
  const parsed = text ? parseJson(text) : null;
  const api = recognise(flow.request.method, flow.request.path, req.ok ? req.value : null, parsed?.ok ? parsed.value : undefined)?.api;
  const m = api && parsed?.ok ? assembleJson(api, parsed.value) : null;
  if (api && m) out.push('', `Assembled message (${api}):`, indent(messageBlock(m)));
}

/** A short time as people read it: two decimals under 10 ms (a connection's setup often takes less than one), else as duration() has it. */
const fine = (ms: number | null | undefined) => (ms === null || ms === undefined ? '-' : ms < 10 ? `${ms.toFixed(2)}ms` : duration(ms));

function timingBlock(flow: Flow): string {
  const t = flow.timing;
  const rows: [string, string][] = [];
  if (t.start !== null) rows.push(['start', new Date(t.start).toISOString()]);
  if (t.start !== null && t.end !== null) rows.push(['duration', duration(t.end - t.start)]);
  if (t.start !== null && t.firstByte !== undefined) rows.push(['first byte', duration(t.firstByte - t.start)]);
  const c = t.connection;
  if (t.requestSent !== undefined) rows.push(['sent', `${fine(t.requestSent)} (the request's body passed on)`]);
  if (c) rows.push(['connection', [`dns ${fine(c.dnsMs)}`, `connect ${fine(c.connectMs)}`, `tls ${fine(c.tlsMs)}`].join(', ')]);
  if (t.chunks) rows.push(['chunks', `${t.chunkCount ?? t.chunks.length} at +${t.chunks.slice(0, 20).map((x) => Math.round(x)).join(', +')}${t.chunks.length > 20 ? ' …' : ''} ms`]);
  return rows.map(([k, v]) => `  ${k.padEnd(11)} ${v}`).join('\n');
}

const USAGE_FIELDS = ['provider', 'api', 'requested_model', 'served_model', 'streamed', 'stop_reason', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens', 'reasoning_tokens', 'web_search_requests', 'web_fetch_requests', 'service_tier', 'tool_calls', 'message_count', 'ttft_ms', 'output_tokens_per_second', 'price_entry', 'cost_note', 'notes'];

function usageBlock(u: Record<string, unknown>): string {
  const rows: string[] = [];
  for (const k of USAGE_FIELDS) {
    const v = u[k];
    if (v === null || v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    const shown = typeof v === 'object' ? JSON.stringify(v) : typeof v === 'number' && !Number.isInteger(v) ? String(Math.round(v * 10) / 10) : String(v);
    rows.push(`  ${k.padEnd(25)} ${shown}`);
  }
  rows.push(`  ${'cost'.padEnd(25)} ${u.cost_usd === null || u.cost_usd === undefined ? '- (not priced)' : cost(Number(u.cost_usd))}`);
  if (u.cost_parts) rows.push(`  ${'cost parts'.padEnd(25)} ${JSON.stringify(u.cost_parts)}`);
  if (u.quota) rows.push(`  ${'quota'.padEnd(25)} ${JSON.stringify(u.quota)}`);
  return rows.join('\n');
}

/** The whole exchange as text. */
export function renderTrace({ flow, calls }: ShownTrace): string {
  const q = flow.request;
  const out: string[] = [`Trace ${flow.id}  (${flow.direction}${flow.trafficType ? `, ${flow.trafficType}` : ''}${flow.sessionId ? `, session ${flow.sessionId}` : ''}${flow.parentId ? `, from ${flow.parentId}` : ''})`, ''];
  out.push(`${q.method ?? '-'} ${q.url ?? `${q.host ?? ''}${q.path ?? ''}`}`);
  if (q.originalUrl) out.push(`(asked for ${q.originalUrl})`);
  out.push(indent(headerLines(q.headers)), '', 'Request body:', indent(bodyBlock(q.body, q.bodySize, q.bodyTruncated)), '');
  if (flow.response) {
    out.push(`Response ${flow.response.status ?? '-'}`, indent(headerLines(flow.response.headers)), '', 'Response body:');
    responseBody(flow, out);
    out.push('');
  } else out.push('No response', '');
  if (flow.error) out.push(`Error: ${flow.error.type ?? ''}${flow.error.message ? ` — ${flow.error.message}` : ''}`, '');
  out.push('Timings:', timingBlock(flow));
  if (calls.length === 1) out.push('', 'Usage:', usageBlock(calls[0]!));
  else if (calls.length > 1) {
    const known = calls.map((c) => c.cost_usd);
    const total = known.every((c) => c !== null && c !== undefined) ? cost(known.reduce((a: number, c) => a + Number(c), 0)) : '- (not every call priced)';
    out.push('', `Usage: ${calls.length} calls on this connection, ${total} in all`);
    calls.forEach((c, i) => out.push('', `Call ${i + 1}${typeof c.start_time === 'string' ? ` at ${c.start_time}` : ''}:`, usageBlock(c)));
  }
  return out.join('\n');
}
