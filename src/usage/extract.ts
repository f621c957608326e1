// The usage of one captured exchange: recognise its API, read the request (model, messages, stream), the response
// (JSON, SSE or a Gemini JSON array) and its quota headers, and time the stream when chunk arrival times are known.
// Pure and bounded: no I/O, one pass over each body. It never throws: a truncated or malformed body, or a stream
// cut midway, gives a record with what could be read and a note saying what could not.
import type { Flow } from '../flow/flow.js';
import { anthropicEvents, anthropicJson, anthropicRequest } from './anthropic.js';
import { emptyCall, type LlmCall } from './call.js';
import { geminiEvents, geminiJson, geminiRequest } from './gemini.js';
import { chatEvents, chatJson, chatRequest } from './openai-chat.js';
import { responsesEvents, responsesJson, responsesRequest } from './openai-responses.js';
import { parseQuota } from './quota.js';
import type { StreamRead } from './read-events.js';
import { byShape, recognisePath, type Recognised } from './recognise.js';
import { readTopLevel, type ShallowResult, type TopLevel } from './shallow-json.js';
import { badCounts, looksLikeSse, obj, parseJson, sseEvents, type Chunk, type Parsed, type SseEvent } from './wire.js';

export interface ExtractOptions {
  /** The streamed response's chunks as they arrived (times, and sizes when known). */
  chunks?: readonly Chunk[];
}

type Reader = {
  request(call: LlmCall, req: TopLevel, r: Recognised): void;
  json(call: LlmCall, body: unknown): void;
  events(call: LlmCall, events: readonly SseEvent[]): StreamRead;
};

const asObject = (f: (call: LlmCall, body: Record<string, unknown>) => void) => (call: LlmCall, body: unknown) => {
  const o = obj(body);
  if (o) f(call, o);
  else call.notes.push('the response body is JSON but not an object');
};

const READERS: Record<LlmCall['api'], Reader> = {
  'anthropic-messages': { request: anthropicRequest, json: asObject(anthropicJson), events: anthropicEvents },
  'openai-chat': { request: chatRequest, json: asObject(chatJson), events: chatEvents },
  'openai-responses': { request: responsesRequest, json: asObject(responsesJson), events: responsesEvents },
  gemini: { request: (call, req, r) => geminiRequest(call, req, r.pathModel), json: geminiJson, events: geminiEvents },
};

/**
 * The usage record of a flow, or null when the flow is not a generating call of a known API. The request is read
 * at its top level only (shallow-json.ts): its model, stream flag and message count. Only a path that does not
 * name the API has the request parsed whole, to tell the API by its shape.
 */
export function extractCall(flow: Flow, options: ExtractOptions = {}): LlmCall | null {
  const reqBytes = flow.request.body === null ? null : asBuffer(flow.request.body);
  const reqRead = reqBytes === null || reqBytes.length === 0 ? null : readTopLevel(reqBytes);
  const res = flow.response;
  const resBytes = res?.body ? asBuffer(res.body) : null;
  // The first characters tell an SSE stream (64 of them lie within 256 bytes); the body is made text only when
  // it is parsed whole.
  const sse = res !== null && resBytes !== null && looksLikeSse(res.contentType ?? header(res.headers, 'content-type'), resBytes.toString('utf8', 0, 256));
  let parsed: Parsed | null | undefined;
  const resParsed = () => (parsed === undefined ? (parsed = resBytes !== null && resBytes.length > 0 && !sse ? parseJson(resBytes.toString('utf8')) : null) : parsed);
  const path = flow.request.path ?? urlPath(flow.request.url);
  let r = recognisePath(flow.request.method, path);
  if (r === undefined) {
    const whole = reqBytes === null || reqBytes.length === 0 ? null : parseJson(reqBytes.toString('utf8'));
    const p = resParsed();
    const api = byShape(whole?.ok ? whole.value : null, p?.ok ? p.value : undefined);
    r = api === null ? null : { api, pathModel: null, streamMethod: false };
  }
  if (r === null) return null;
  const call = emptyCall(r.api);
  try {
    read(call, r, flow, { reqRead, resBytes, resParsed, sse }, options);
  } catch (e) {
    call.notes.push(`reading stopped at an unexpected shape: ${(e as Error).message}`);
  }
  return call;
}

interface Bodies {
  reqRead: ShallowResult | null;
  resBytes: Buffer | null;
  /** The response parsed whole (once, when first asked for); null for none, an empty body or a stream. */
  resParsed: () => Parsed | null;
  sse: boolean;
}

const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function read(call: LlmCall, r: Recognised, flow: Flow, b: Bodies, options: ExtractOptions): void {
  const reader = READERS[r.api];
  const req = b.reqRead;
  if (req?.ok) reader.request(call, req.object, r);
  call.requestedModel ??= r.pathModel;
  if (flow.request.body === null) call.notes.push('the request body was not stored');
  else if (req && !req.ok) call.notes.push(`the request body is not a JSON object: ${req.reason}`);
  else if (req?.cut) call.notes.push(`the request body ends before its JSON does${flow.request.bodyTruncated ? ' (cut at the size limit)' : ''}: read as far as it goes`);
  if (r.streamMethod) call.streamed = true;
  const res = flow.response;
  if (res === null) {
    call.notes.push(flow.error?.message ? `no response: ${flow.error.message}` : 'no response');
    return;
  }
  call.quota = parseQuota(res.headers);
  if (res.status !== null && res.status >= 400) call.notes.push(`the response status is ${res.status}`);
  if (res.bodyTruncated) call.notes.push('the stored response body was cut at the size limit');
  if (b.resBytes === null || b.resBytes.length === 0) {
    call.notes.push('the response body was not stored');
    return;
  }
  let stream: StreamRead | null = null;
  if (b.sse) {
    call.streamed = true;
    const parsed = sseEvents(res.body!, options.chunks);
    if (parsed.cut) call.notes.push('the stream was cut inside an event');
    stream = reader.events(call, parsed.events);
  } else {
    const parsed = b.resParsed();
    if (parsed?.ok) reader.json(call, parsed.value);
    else call.notes.push(`the response body is not JSON: ${parsed && !parsed.ok ? parsed.reason : 'empty'}`);
  }
  const bad = call.usage ? badCounts(call.usage) : [];
  if (bad.length > 0) call.notes.push(`not token counts, left unread: ${bad.join(', ')}`);
  timing(call, flow, stream, options.chunks);
}

/** Time to first token and output speed: from the first content event to the last chunk of a stream. */
function timing(call: LlmCall, flow: Flow, stream: StreamRead | null, chunks: readonly Chunk[] | undefined): void {
  const start = flow.timing.start;
  const output = call.tokens.output;
  if (!call.streamed || stream === null) {
    const end = flow.timing.end;
    if (start !== null && end !== null && end > start && output) call.outputTokensPerSecond = output / ((end - start) / 1000);
    return;
  }
  let first = stream.firstTokenAt;
  if (first === null && chunks && chunks.length > 0) {
    first = chunks[0]!.at;
    call.notes.push('time to first token measured to the first chunk (chunk sizes unknown)');
  }
  if (first === null) return;
  if (start !== null && first >= start) call.timeToFirstTokenMs = first - start;
  const last = chunks && chunks.length > 0 ? chunks[chunks.length - 1]!.at : flow.timing.end;
  if (last !== null && last > first && output) call.outputTokensPerSecond = output / ((last - first) / 1000);
}

function header(headers: Record<string, unknown>, name: string): string | null {
  const v = headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : null;
}

function urlPath(url: string | null): string | null {
  if (url === null) return null;
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return null;
  }
}
