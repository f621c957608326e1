// The gateway's own answers and request reading: one JSON error shape for every format, the JSON body of a
// routed request (decoded, bounded), and header helpers shared by the HTTP endpoints and the WebSocket form.
import type http from 'node:http';
import { decodeBody } from '../capture/decode.js';
import { errorBody } from '../error-body.js';

/** Anthropic accepts request bodies up to 32 MB; twice that, decoded, is refused with 413. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** One error shape for every format: Anthropic's, whose `error.message` the OpenAI and Gemini SDKs read as well. */
export { errorBody };

export function sendError(res: http.ServerResponse, status: number, type: string, message: string, extra: Record<string, unknown> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(type, message, extra);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendJson(res: http.ServerResponse, value: unknown, head = false): void {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

/** A request the gateway refuses, before anything is sent upstream. */
export class Refusal {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly message: string,
    readonly extra: Record<string, unknown> = {},
  ) {}
}

/**
 * Whether a request's content type says JSON: `application/json`, `application/*+json`, or none at all (SDKs
 * always send one; a bare client may not). `text/plain`, forms and multipart are refused: those are what a web
 * page can send to another origin without a CORS preflight.
 */
export function jsonContentType(value: string | undefined): boolean {
  if (value === undefined || value.trim() === '') return true;
  const type = value.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** The decoded JSON object body of a request, or why not (413, 415, 400). */
export async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown> | Refusal> {
  const type = req.headers['content-type'];
  if (!jsonContentType(type)) {
    req.resume();
    return new Refusal(415, 'invalid_request_error', `content-type "${type}": the gateway reads JSON only; send content-type: application/json`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      req.resume();
      return new Refusal(413, 'request_too_large', `request body over ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
    }
    chunks.push(c as Buffer);
  }
  let buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  const encoding = req.headers['content-encoding'];
  if (encoding && encoding !== 'identity') {
    const decoded = await decodeBody(buf, encoding, MAX_BODY_BYTES);
    if (decoded.error) return new Refusal(415, 'invalid_request_error', `request body: ${decoded.error}`);
    if (decoded.truncated) return new Refusal(413, 'request_too_large', `request body over ${MAX_BODY_BYTES / 1024 / 1024} MiB once decoded`);
    buf = decoded.body;
  }
  return parseJsonObject(buf.toString('utf8'), 'request body');
}

/** A JSON object, or a 400 naming `what` and the problem. */
export function parseJsonObject(text: string, what: string): Record<string, unknown> | Refusal {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return new Refusal(400, 'invalid_request_error', `${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return new Refusal(400, 'invalid_request_error', `${what} must be a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  return value as Record<string, unknown>;
}

export function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
