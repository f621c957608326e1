// What a capture point saw, put into its flow: the request's head when it arrives, the response's head and end
// when they come. Only facts go in here (sizes, times, addresses); the stages derive and clean the rest.
import { randomUUID } from 'node:crypto';
import type { BodyCopy } from '../flow/body-copy.js';
import { newFlow, type ConnectionTiming, type FlowError } from '../flow/flow.js';
import type { CaptureSettings } from './settings.js';
import { firstHeader, type Capture, type RawHeaders } from './stage.js';

export interface SeenRequest {
  method: string;
  url: string;
  host: string;
  path: string;
  headers: RawHeaders;
  clientIp: string | null;
  isHttps: boolean;
  /** Epoch milliseconds. */
  start: number;
  /** The URL the client asked for, when map_remote sent the request to `url` instead. */
  originalUrl?: string | null;
  /** The reverse flow that caused this one, when the request said so. */
  parentId?: string;
}

/** A new exchange's capture, its flow holding the request's head (the body copy is filled as it streams). */
export function seenRequest(settings: CaptureSettings, r: SeenRequest, requestCopy: BodyCopy | null): Capture {
  const flow = newFlow(randomUUID(), settings.direction);
  const q = flow.request;
  q.method = r.method;
  q.url = r.url;
  q.host = r.host;
  q.path = r.path;
  q.originalUrl = r.originalUrl ?? null;
  q.contentType = firstHeader(r.headers, 'content-type') ?? null;
  flow.client.address = r.clientIp;
  flow.server.https = r.isHttps;
  flow.timing.start = r.start;
  if (r.parentId) flow.parentId = r.parentId;
  return { flow, settings, requestHeaders: r.headers, requestCopy, responseHeaders: null, responseCopy: null };
}

/** The request's body has ended: its size on the wire. */
export function seenRequestBody(c: Capture): void {
  c.flow.request.bodySize = c.requestCopy?.size ?? 0;
}

export interface SeenResponse {
  status: number | null;
  /** Null when no response came. */
  headers: RawHeaders | null;
  copy: BodyCopy | null;
  /** Milliseconds from the start to the response's first byte. */
  ttfbMs: number | null;
  serverIp: string | null;
  serverPort: number | null;
  /** The set-up of the upstream connection, when this request opened it. */
  connection?: ConnectionTiming;
  /** When each body chunk arrived, ms after the start (bounded), and how many came. */
  chunks?: number[];
  chunkCount?: number;
}

/** The response's head (or the lack of one), as known when it came or when the exchange ended. */
export function seenResponse(c: Capture, r: SeenResponse): void {
  const { flow } = c;
  c.responseHeaders = r.headers;
  c.responseCopy = r.copy;
  flow.response = r.headers
    ? { status: r.status, headers: {}, body: null, bodySize: r.copy?.size ?? 0, bodyTruncated: false, contentType: firstHeader(r.headers, 'content-type') ?? null }
    : null;
  if (r.ttfbMs !== null && flow.timing.start !== null) flow.timing.firstByte = flow.timing.start + r.ttfbMs;
  flow.server.address = r.serverIp;
  flow.server.port = r.serverPort;
  if (r.connection) flow.timing.connection = r.connection;
  if (r.chunks) {
    flow.timing.chunks = r.chunks;
    flow.timing.chunkCount = r.chunkCount ?? r.chunks.length;
  }
}

/** The exchange is over: when, and how it failed if it did. */
export function seenEnd(c: Capture, end: number, error?: FlowError): void {
  c.flow.timing.end = end;
  c.flow.error = error ? { ...error } : null;
}
