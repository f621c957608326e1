// One flow read as an LLM call for the viewer: which API it speaks, its request body as JSON, and the answer put
// together from its response (JSON or SSE, src/read/assemble.ts), with what could not be read said in notes. The
// conversation, role and cache views all start here; nothing here throws.
import type { Flow } from '../flow/flow.js';
import { assembleJson, assembleStream, type AssembledMessage } from '../read/assemble.js';
import type { LlmApi } from '../usage/call.js';
import { recognise } from '../usage/recognise.js';
import { bodyText, looksLikeSse, obj, parseJson, sseEvents } from '../usage/wire.js';

export interface ReadCall {
  flow: Flow;
  /** The API, or null when the exchange is not a generating call of a known API. */
  api: LlmApi | null;
  /** The request body as a JSON object, or null when it is missing or not a JSON object. */
  body: Record<string, unknown> | null;
  /** The model the request named (Gemini: the path's). */
  model: string | null;
  /** The answer, or null when there was no response body to read (or it was an error). */
  answer: AssembledMessage | null;
  /** The response body as parsed JSON when it was JSON (an error body, say). */
  responseJson: unknown;
  notes: string[];
}

/** The flow read as a call. */
export function readCall(flow: Flow): ReadCall {
  const notes: string[] = [];
  const reqText = bodyText(flow.request.body);
  let body: Record<string, unknown> | null = null;
  if (reqText === null || reqText === '') notes.push(flow.request.bodySize > 0 ? 'the request body was not stored' : 'the request has no body');
  else {
    const p = parseJson(reqText);
    if (!p.ok) notes.push(`the request body is not JSON${flow.request.bodyTruncated ? ' (it was cut at the size limit)' : ''}: ${p.reason}`);
    else if (!obj(p.value)) notes.push('the request body is JSON but not an object');
    else body = obj(p.value);
  }
  const resText = bodyText(flow.response?.body ?? null);
  const sse = resText !== null && resText !== '' && looksLikeSse(flow.response?.contentType ?? null, resText);
  let responseJson: unknown = undefined;
  if (!sse && resText) {
    const p = parseJson(resText);
    if (p.ok) responseJson = p.value;
  }
  const found = recognise(flow.request.method, flow.request.path ?? flow.request.url, body, responseJson);
  const api = found?.api ?? null;
  const model = (typeof body?.model === 'string' && body.model) || found?.pathModel || null;
  let answer: AssembledMessage | null = null;
  if (api !== null && flow.response && resText) {
    const status = flow.response.status ?? 0;
    if (sse) {
      const stream = sseEvents(flow.response.body!);
      answer = assembleStream(api, stream.events);
      if (stream.cut || flow.response.bodyTruncated) notes.push('the answer stream was cut midway: the answer is what arrived');
    } else if (status >= 400) {
      notes.push(`the provider answered ${status}`);
    } else if (responseJson === undefined) {
      notes.push(`the response body is not JSON${flow.response.bodyTruncated ? ' (it was cut at the size limit)' : ''}`);
    } else {
      answer = assembleJson(api, responseJson);
      if (answer === null) notes.push('the response body is not the API\'s message shape');
    }
  } else if (api !== null && flow.response === null) {
    notes.push(flow.error ? `no response: ${flow.error.type ?? 'error'}${flow.error.message ? ` (${flow.error.message})` : ''}` : 'no response (yet)');
  }
  return { flow, api, body, model, answer, responseJson, notes };
}
