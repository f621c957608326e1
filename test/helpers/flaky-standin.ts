// A provider stand-in that fails on demand, for the router's tests: each model it serves has a queue of what its
// next requests get — an error status with the provider's error body, a connection dropped after the response
// headers but before any data, a stream cut after its first event, no answer at all — and answers normally once the queue is empty.
// It speaks Anthropic Messages (`/v1/messages`, JSON or SSE) and OpenAI chat completions (`/v1/chat/completions`),
// each in its wire format with usage, over HTTPS on 127.0.0.2 (https-standin.ts).
import type http from 'node:http';
import { jsonBody, sendJson, startHttpsStandIn, type HttpsStandIn, type SeenRequest } from './https-standin.js';

export type Behaviour =
  | { status: number; body: unknown; headers?: Record<string, string> }
  /** Response headers (200, SSE), then the connection is dropped before a byte of the body. */
  | 'drop-before-first-byte'
  /** The stream's first event, then the connection is dropped. */
  | 'drop-after-first-byte'
  /** No answer at all (until the stand-in closes). */
  | 'hang'
  /** 200 and an SSE stream whose only event is Anthropic's overloaded `error` event. */
  | 'overloaded-event';

export interface FlakyStandIn extends HttpsStandIn {
  /** Queues what the next requests for `model` get, in order. */
  script(model: string, ...next: Behaviour[]): void;
  /** The message and chat requests for `model`, in order. */
  calls(model: string): SeenRequest[];
}

/** Anthropic's overloaded answer, as its API sends it. */
export const OVERLOADED: Behaviour = { status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } };
/** Anthropic's rate-limit answer. */
export const RATE_LIMITED: Behaviour = { status: 429, body: { type: 'error', error: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit' } } };
/** Anthropic's context-window error. */
export const PROMPT_TOO_LONG: Behaviour = { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 208310 tokens > 200000 maximum' } } };

export async function startFlakyStandIn(): Promise<FlakyStandIn> {
  const queues = new Map<string, Behaviour[]>();
  const host = await startHttpsStandIn((req, res, seen) => {
    const path = new URL(req.url!, 'https://x').pathname;
    const body = jsonBody(seen);
    const model = String(body.model ?? '');
    const next = queues.get(model)?.shift();
    const chat = path.endsWith('/chat/completions');
    if (typeof next === 'object') return sendJson(res, next.status, next.body, next.headers);
    if (next === 'drop-before-first-byte') {
      res.writeHead(200, { 'content-type': chat ? 'text/event-stream' : 'text/event-stream; charset=utf-8' });
      res.flushHeaders();
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    if (next === 'hang') return;
    if (next === 'overloaded-event') {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      res.end(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`);
      return;
    }
    const cut = next === 'drop-after-first-byte';
    if (chat) return body.stream === true ? chatStream(res, model, cut) : sendJson(res, 200, chatMessage(model));
    if (path === '/v1/messages') return body.stream === true ? messagesStream(res, model, cut) : sendJson(res, 200, message(model), { 'request-id': `req_${model}` });
    sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `Not found: ${path}` } });
  });
  return {
    ...host,
    script: (model, ...next) => queues.set(model, [...(queues.get(model) ?? []), ...next]),
    calls: (model) => host.seen.filter((s) => !s.upgrade && jsonBody(s).model === model),
  };
}

export const textOf = (model: string) => `Hello from ${model}`;

function message(model: string) {
  return { id: `msg_${model}`, type: 'message', role: 'assistant', model, content: [{ type: 'text', text: textOf(model) }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 12, output_tokens: 4 } };
}

function chatMessage(model: string) {
  return { id: `chatcmpl-${model}`, object: 'chat.completion', created: 1_700_000_000, model, choices: [{ index: 0, message: { role: 'assistant', content: textOf(model), refusal: null }, finish_reason: 'stop', logprobs: null }], usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 } };
}

/** Anthropic's events, one write each; `cut` drops the connection after message_start. */
function messagesStream(res: http.ServerResponse, model: string, cut: boolean) {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': `req_${model}` });
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  send('message_start', { type: 'message_start', message: { id: `msg_${model}`, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, output_tokens: 1 } } });
  if (cut) {
    setTimeout(() => res.socket?.destroy(), 50);
    return;
  }
  send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
  send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: textOf(model) } });
  send('content_block_stop', { type: 'content_block_stop', index: 0 });
  send('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 4 } });
  send('message_stop', { type: 'message_stop' });
  res.end();
}

/** OpenAI's chunks, then the usage-only chunk and [DONE]; `cut` drops the connection after the first chunk. */
function chatStream(res: http.ServerResponse, model: string, cut: boolean) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (delta: object, finish: string | null) => ({ id: `chatcmpl-${model}`, object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
  res.write(`data: ${JSON.stringify(chunk({ role: 'assistant', content: '' }, null))}\n\n`);
  if (cut) {
    setTimeout(() => res.socket?.destroy(), 50);
    return;
  }
  res.write(`data: ${JSON.stringify(chunk({ content: textOf(model) }, null))}\n\n`);
  res.write(`data: ${JSON.stringify(chunk({}, 'stop'))}\n\n`);
  res.write(`data: ${JSON.stringify({ id: `chatcmpl-${model}`, object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [], usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 } })}\n\n`);
  res.end('data: [DONE]\n\n');
}
