// One flow as one HAR 1.2 entry (what mitmproxy's savehar and Chromium's DevTools write): timings where the
// capture knew them and -1 where it did not, the server's address, headers, query, cookies, bodies as text or
// base64, and the custom fields other tools read — `_webSocketMessages` as Chromium writes them, `_sse` (each
// server-sent event with its time), `_error` for an exchange that failed, `_ccproxy` to find the trace again.
import { isIP } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { Content, Entry, PostData, Request, Response, Timings } from 'har-format';
import type { Flow } from '../flow/flow.js';
import type { WsMessage } from '../flow/websocket.js';
import { looksLikeSse, sseEvents } from '../usage/wire.js';
import { bodyText, headerList, headerValues, mediaType, queryList, requestCookies, responseCookies } from './har-parts.js';

/** What both capture points speak on both sides; the store keeps no version per exchange. */
const HTTP_VERSION = 'HTTP/1.1';

/** HAR's number for a time or size not known. */
const UNKNOWN = -1;

/** Milliseconds as HAR writes them: three decimals at most. */
const ms = (v: number) => Math.round(v * 1000) / 1000;
/** Epoch milliseconds as the seconds Chromium's `_webSocketMessages` and our `_sse` use. */
const seconds = (epochMs: number) => epochMs / 1000;

export function flowToEntry(flow: Flow, wsMessages: readonly WsMessage[] = []): Entry {
  const timings = entryTimings(flow);
  const started = flow.timing.start ?? flow.timing.end ?? 0;
  const entry: Entry = {
    startedDateTime: new Date(started).toISOString(),
    time: ms(sumOf(timings)),
    request: entryRequest(flow),
    response: entryResponse(flow),
    cache: {},
    timings,
  };
  const ip = serverIp(flow.server.address);
  if (ip) entry.serverIPAddress = ip;
  if (flow.error) entry._error = [flow.error.type, flow.error.message].filter(Boolean).join(': ');
  const sse = sseField(flow);
  if (sse) entry._sse = sse;
  if (flow.response?.status === 101 || wsMessages.length > 0) {
    entry._resourceType = 'websocket';
    entry._webSocketMessages = wsMessages.map((m) => ({
      type: m.direction === 0 ? 'send' : 'receive',
      time: seconds(m.at.getTime()),
      opcode: m.opcode,
      data: m.payload === null ? '' : m.opcode === 1 ? new TextDecoder().decode(m.payload) : Buffer.from(m.payload).toString('base64'),
    }));
  }
  entry._ccproxy = { trace_id: flow.id, direction: flow.direction, session_id: flow.sessionId, traffic_type: flow.trafficType, ...(flow.parentId ? { parent_trace_id: flow.parentId } : {}) };
  return entry;
}

/**
 * HAR's phases from the moments kept: the new connection's DNS, TCP and TLS set-up when the request opened one
 * (HAR's `connect` includes `ssl`), then the sending of the request (until its body had all been passed on,
 * when that was recorded; else 0), the wait for the first byte of the response, then its arrival. Time spent
 * queued is not known (`blocked` -1). The entry's time is the sum of the phases, as HAR has it.
 */
export function entryTimings(flow: Flow): Timings {
  const { start, end, firstByte, requestSent, connection: c } = flow.timing;
  const dns = c?.dnsMs ?? null;
  const tcp = c?.connectMs ?? null;
  const ssl = c?.tlsMs ?? null;
  const connect = tcp === null && ssl === null ? null : (tcp ?? 0) + (ssl ?? 0);
  const setup = (dns ?? 0) + (connect ?? 0);
  const total = start !== null && end !== null ? Math.max(0, end - start) : 0;
  // Start and end are kept to the millisecond, the first byte to the microsecond: it may seem to come after the end.
  const head = start !== null && firstByte !== undefined ? Math.min(total, Math.max(0, firstByte - start)) : total;
  const send = requestSent === undefined ? 0 : Math.max(0, Math.min(requestSent, head) - setup);
  return {
    blocked: UNKNOWN,
    dns: dns === null ? UNKNOWN : ms(dns),
    connect: connect === null ? UNKNOWN : ms(connect),
    ssl: ssl === null ? UNKNOWN : ms(ssl),
    send: ms(send),
    wait: ms(Math.max(0, head - setup - send)),
    receive: ms(Math.max(0, total - Math.max(head, setup))),
  };
}

const sumOf = (t: Timings) => [t.blocked, t.dns, t.connect, t.send, t.wait, t.receive].reduce<number>((n, v) => n + (v !== undefined && v > 0 ? v : 0), 0);

/** The address as HAR's schema wants it (an IPv4 or IPv6 address, no brackets); nothing when it is not one. */
function serverIp(address: string | null): string | null {
  if (!address) return null;
  const a = address.replace(/^\[|\]$/g, '');
  return isIP(a) ? a : null;
}

/** The URL the request went to: stored whole, or made from host and path when only those were. */
function requestUrl(flow: Flow): string {
  const q = flow.request;
  if (q.url) return q.url;
  return `${flow.server.https ? 'https' : 'http'}://${q.host ?? 'unknown'}${q.path ?? '/'}`;
}

function entryRequest(flow: Flow): Request {
  const q = flow.request;
  const url = requestUrl(flow);
  const req: Request = {
    method: q.method ?? 'GET',
    url,
    httpVersion: HTTP_VERSION,
    cookies: requestCookies(q.headers),
    headers: headerList(q.headers),
    queryString: queryList(url),
    headersSize: UNKNOWN,
    bodySize: q.bodySize,
  };
  if (q.body !== null && (q.body.length > 0 || q.bodySize > 0)) {
    const { text, encoding } = bodyText(q.body, q.bodyTruncated);
    const mimeType = q.contentType ?? headerValues(q.headers, 'content-type')[0] ?? '';
    const post: PostData = { mimeType, text } as PostData;
    // HAR 1.2 gives postData no encoding; Playwright and others read this one as content's.
    if (encoding) Object.assign(post, { encoding });
    if (mediaType(mimeType) === 'application/x-www-form-urlencoded' && !encoding) post.params = [...new URLSearchParams(text)].map(([name, value]) => ({ name, value }));
    if (q.bodyTruncated) post.comment = `stored body cut at ${q.body.length} of ${q.bodySize} bytes`;
    req.postData = post;
  }
  if (q.originalUrl) Object.assign(req, { _originalUrl: q.originalUrl });
  return req;
}

function entryResponse(flow: Flow): Response {
  const r = flow.response;
  if (!r) {
    // As Chromium and mitmproxy write an exchange that got no response: status 0, nothing else known.
    return { status: 0, statusText: '', httpVersion: '', cookies: [], headers: [], content: { size: 0, mimeType: 'x-unknown' }, redirectURL: '', headersSize: UNKNOWN, bodySize: UNKNOWN };
  }
  const mimeType = r.contentType ?? headerValues(r.headers, 'content-type')[0] ?? 'x-unknown';
  const content: Content = { size: r.body?.length ?? 0, mimeType };
  if (r.body !== null) {
    const { text, encoding } = bodyText(r.body, r.bodyTruncated);
    content.text = text;
    if (encoding) content.encoding = encoding;
    // The stored body is decoded; the wire carried bodySize bytes (compressed, when it was).
    if (!r.bodyTruncated) content.compression = r.body.length - r.bodySize;
    else {
      content.size = r.bodySize;
      content.comment = `stored body cut at ${r.body.length} of ${r.bodySize} bytes on the wire`;
    }
  }
  return {
    status: r.status ?? 0,
    statusText: (r.status !== null && STATUS_CODES[r.status]) || '',
    httpVersion: HTTP_VERSION,
    cookies: responseCookies(r.headers),
    headers: headerList(r.headers),
    content,
    redirectURL: headerValues(r.headers, 'location')[0] ?? '',
    headersSize: UNKNOWN,
    bodySize: r.bodySize,
  };
}

export interface SseEntry {
  event: string | null;
  data: string;
  /** Epoch seconds the event arrived, when the capture's chunk times tell it. */
  time?: number;
}

/**
 * A streamed response's events. The store keeps each chunk's arrival time but not its size, so an event gets a
 * time when the response came one event per chunk (as providers flush them): as many chunks, all timed, as events.
 */
function sseField(flow: Flow): SseEntry[] | null {
  const r = flow.response;
  if (!r?.body || r.body.length === 0) return null;
  const head = new TextDecoder().decode(r.body.subarray(0, 64));
  if (!looksLikeSse(r.contentType, head)) return null;
  const { events } = sseEvents(r.body);
  const { start, chunks, chunkCount } = flow.timing;
  const timed = start !== null && chunks !== undefined && (chunkCount ?? chunks.length) === chunks.length && chunks.length === events.length;
  return events.map((e, i) => ({ event: e.event, data: e.data, ...(timed ? { time: seconds(start + chunks[i]!) } : {}) }));
}
