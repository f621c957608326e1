// Turns what a capture point saw into trace columns: classify, session id, redact, decode, truncate.
// Nothing here can fail an exchange: a body that will not decode or parse is stored as it came.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { BodyCopy } from '../flow/body-copy.js';
import type { TraceFields } from '../store/table.js';
import { classify } from './classify.js';
import { decodeBody } from './decode.js';
import { redactForm, redactLogLine, redactQuery, storedHeaders, type HeaderMap } from './redact.js';
import { redactJsonBytes, redactSseBytes } from './redact-json.js';
import { sessionFromBody, sessionFromHeaders } from './session.js';

/** The most body bytes kept per direction when max_body_size is 0 ("unlimited"): the full size is still recorded. */
export const BODY_CEILING = 64 * 1024 * 1024;

export interface CaptureSettings {
  direction: 0 | 1;
  /** Bytes of each body to keep (max_body_size, or BODY_CEILING for 0). */
  bodyLimit: number;
  captureBodies: boolean;
  redact: boolean;
  redactHeaders: string[];
  llmHosts: string[];
}

export interface SeenRequest {
  method: string;
  url: string;
  host: string;
  path: string;
  headers: IncomingHttpHeaders | OutgoingHttpHeaders;
  clientIp: string | null;
  isHttps: boolean;
  start: Date;
  /** The URL the client asked for, when map_remote sent the request to `url` instead. */
  originalUrl?: string | null;
}

export function bodyLimit(maxBodySize: number): number {
  return maxBodySize > 0 ? Math.min(maxBodySize, BODY_CEILING) : BODY_CEILING;
}

const headerJson = (settings: CaptureSettings, headers: IncomingHttpHeaders | OutgoingHttpHeaders): HeaderMap => storedHeaders(headers, settings.redact, settings.redactHeaders);

const header = (h: IncomingHttpHeaders | OutgoingHttpHeaders, name: string) => {
  const v = h[name];
  return v === undefined ? undefined : Array.isArray(v) ? String(v[0]) : String(v);
};

/** The columns known when the request's headers arrive: written at once, so an exchange in progress is visible. */
export function requestStart(settings: CaptureSettings, r: SeenRequest): TraceFields {
  return {
    proxy_direction: settings.direction,
    session_id: sessionFromHeaders(r.headers as Record<string, string>),
    method: r.method,
    url: settings.redact ? redactQuery(r.url) : r.url,
    host: r.host,
    path: settings.redact ? redactQuery(r.path) : r.path,
    request_headers: headerJson(settings, r.headers),
    request_content_type: header(r.headers, 'content-type') ?? null,
    start_time: r.start,
    client_ip: r.clientIp,
    is_https: r.isHttps,
    traffic_type: classify(r.host, r.path, settings.llmHosts),
    ...(r.originalUrl ? { original_url: settings.redact ? redactQuery(r.originalUrl) : r.originalUrl } : {}),
  };
}

/**
 * The request body's columns, once it has been sent on; the session id from the body if no header gave one.
 * Synchronous unless the body has to be decoded.
 */
export function requestBody(settings: CaptureSettings, headers: IncomingHttpHeaders | OutgoingHttpHeaders, copy: BodyCopy): MaybePromise<TraceFields> {
  const wantSession = !sessionFromHeaders(headers as Record<string, string>);
  return then(decoded(settings, headers, copy), (d) => {
    const stored = storedBody(settings, headers, d, wantSession);
    const fields: TraceFields = { request_body_size: copy.size };
    if (wantSession && stored.json !== undefined) {
      const s = sessionFromBody(stored.json);
      if (s) fields.session_id = s;
    }
    if (settings.captureBodies) {
      fields.request_body = stored.body;
      fields.request_body_truncated = stored.truncated;
    }
    return fields;
  });
}

export interface SeenResponse {
  status: number | null;
  headers: IncomingHttpHeaders | OutgoingHttpHeaders;
  copy: BodyCopy | null;
  start: Date;
  end: Date;
  ttfbMs: number | null;
  serverIp: string | null;
  serverPort: number | null;
  error?: { type: string; message: string };
}

/** The response's columns when it has ended or failed. Synchronous unless the body has to be decoded. */
export function responseEnd(settings: CaptureSettings, r: SeenResponse): MaybePromise<TraceFields> {
  const fields: TraceFields = {
    status_code: r.status,
    response_headers: headerJson(settings, r.headers),
    response_content_type: header(r.headers, 'content-type') ?? null,
    response_body_size: r.copy?.size ?? 0,
    end_time: r.end,
    duration_ms: r.end.getTime() - r.start.getTime(),
    ttfb_ms: r.ttfbMs,
    server_ip: r.serverIp,
    server_port: r.serverPort,
    error_message: r.error ? (settings.redact ? redactLogLine(r.error.message) : r.error.message) : null,
    error_type: r.error?.type ?? null,
  };
  if (!settings.captureBodies || !r.copy) return fields;
  return then(decoded(settings, r.headers, r.copy), (d) => {
    const stored = storedBody(settings, r.headers, d, false);
    fields.response_body = stored.body;
    fields.response_body_truncated = stored.truncated;
    return fields;
  });
}

export type MaybePromise<T> = T | Promise<T>;
const then = <T, U>(v: MaybePromise<T>, f: (t: T) => U): MaybePromise<U> => (v instanceof Promise ? v.then(f) : f(v));

/** The body as stored before redaction: decoded when it came encoded (on zlib's threads), else as it came. */
function decoded(settings: CaptureSettings, headers: IncomingHttpHeaders | OutgoingHttpHeaders, copy: BodyCopy): MaybePromise<{ body: Buffer; truncated: boolean }> {
  const encoding = header(headers, 'content-encoding');
  // The copy already stops at the limit: a body sent as it is needs no decoding step.
  if (!encoding || encoding.toLowerCase() === 'identity') return { body: copy.bytes(), truncated: copy.truncated };
  return decodeBody(copy.bytes(), encoding, settings.bodyLimit).then((d) => ({ body: d.body, truncated: copy.truncated || d.truncated }));
}

/** Only bodies that may carry a session id are parsed; redaction reads the text itself (redact-json.ts). */
const MAY_HAVE_SESSION = /user_id|\\u/;

function storedBody(settings: CaptureSettings, headers: IncomingHttpHeaders | OutgoingHttpHeaders, decoded: { body: Buffer; truncated: boolean }, wantSession: boolean) {
  let body = decoded.body;
  const truncated = decoded.truncated;
  const type = (header(headers, 'content-type') ?? '').toLowerCase();
  const isSse = type.startsWith('text/event-stream');
  const jsonLike = !isSse && body.length > 0 && (type.includes('json') || body[0] === 0x7b || body[0] === 0x5b);
  const isForm = type.startsWith('application/x-www-form-urlencoded');
  let json: unknown;
  if (!truncated && jsonLike && wantSession) {
    const text = body.toString('utf8');
    if (MAY_HAVE_SESSION.test(text)) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
  }
  if (settings.redact && body.length > 0) {
    const redacted = isSse ? redactSseBytes(body) : isForm ? redactFormBytes(body) : jsonLike ? redactJsonBytes(body) : null;
    if (redacted !== null) body = redacted;
  }
  return { body, truncated, json };
}

function redactFormBytes(body: Buffer): Buffer | null {
  const redacted = redactForm(body.toString('latin1'));
  return redacted === null ? null : Buffer.from(redacted, 'latin1');
}
