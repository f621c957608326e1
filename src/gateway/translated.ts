// A translated route: a request in one API (Anthropic Messages, OpenAI chat, OpenAI Responses) sent to a
// deployment of another format, and the answer turned back into the client's — JSON as a whole, a stream event by
// event as the provider's events arrive (src/translate does the rewriting; this module only moves bytes). Provider
// errors become the client format's errors (with retry-after), an error after the stream began the client
// format's stream error, and a client that leaves cancels the provider request. The answer goes to an HTTP response
// or, for the Responses WebSocket, to a socket (an Out).
import type http from 'node:http';
import { createParser } from 'eventsource-parser';
import { carryLink } from '../proxy/link.js';
import type { AnthropicRequest } from '../translate/anthropic.js';
import { anthropicError, openaiError } from '../translate/errors.js';
import { TranslationRefusal } from '../translate/from-chat-request.js';
import { fromGeminiResponse } from '../translate/from-gemini-response.js';
import { GeminiStreamTranslator } from '../translate/from-gemini-stream.js';
import { fromOpenAIResponse } from '../translate/from-openai-response.js';
import { OpenAIStreamTranslator } from '../translate/from-openai-stream.js';
import { KNOWN_STOPS } from '../translate/stop-usage.js';
import { toChatResponse, type AnthropicMessage } from '../translate/to-chat-response.js';
import { ChatStreamWriter } from '../translate/to-chat-stream.js';
import { responsesSse, ResponsesStreamWriter, toResponsesResponse } from '../translate/to-responses.js';
import { ESTIMATE_VALUE, estimateInputTokens } from '../translate/token-estimate.js';
import { countTokensTranslated } from './count-tokens.js';
import { withGeminiCache } from './gemini-cache.js';
import type { GatewayParts, Routed } from './dispatch.js';
import { errorBody } from './http-io.js';
import { FORMAT_NAMES } from './providers.js';
import { Failover } from './router/exchange.js';
import { clientApi, planTranslation, type ClientApi, type Plan } from './translation.js';
import { classifyOutboundError } from './upstream.js';

/** Marks a stream whose message_start input_tokens is a local estimate (the provider says its count only at the end). */
export const INPUT_ESTIMATE_HEADER = 'x-ccproxy-input-tokens';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Event = Record<string, any>;

/** Where a translated answer goes. */
export interface Out {
  /** Aborted when the client leaves. */
  signal: AbortSignal;
  /** A whole answer (JSON, or the gateway's own error). */
  json(status: number, headers: Record<string, string>, body: string): void;
  /** A stream begins. */
  open(headers: Record<string, string>): void;
  /** Stream text (SSE). */
  write(text: string): void;
  /** A Responses event, where the client takes events rather than SSE text (the WebSocket). */
  event?(e: Event): void;
  end(): void;
}

export function httpOut(res: http.ServerResponse): Out {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  return {
    signal: abort.signal,
    json(status, headers, body) {
      if (res.headersSent) return void res.destroy();
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    },
    open(headers) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers });
      res.flushHeaders();
    },
    write(text) {
      if (text !== '' && !res.destroyed) res.write(text);
    },
    end() {
      if (!res.destroyed) res.end();
    },
  };
}

export async function forwardTranslated(p: GatewayParts, res: http.ServerResponse, r: Routed, request: Record<string, unknown>): Promise<void> {
  const out = httpOut(res);
  if (r.ctx.endpoint === 'count_tokens') return countTokensTranslated(p, out, r, request as AnthropicRequest);
  return runTranslated(p, out, r, request);
}

/** The gateway's own error, in the client's format. */
export function clientError(client: ClientApi, out: Out, status: number, type: string, message: string, extra: Record<string, unknown> = {}): void {
  const body = client === 'anthropic' ? errorBody(type, message, extra) : JSON.stringify({ error: { message, type, param: null, code: type, ...extra } });
  out.json(status, {}, body);
}

export async function runTranslated(p: GatewayParts, out: Out, r: Routed, request: Record<string, unknown>): Promise<void> {
  const target = r.translate!;
  const client = clientApi(r.ctx)!;
  let plan: Plan;
  try {
    plan = planTranslation(client, target, r.d, request);
  } catch (err) {
    if (err instanceof TranslationRefusal) return clientError(client, out, 400, 'invalid_request_error', `${err.message} (model "${r.ctx.requestedModel}" routes to "${r.d.name}", ${FORMAT_NAMES[target]} format)`);
    throw err;
  }
  for (const w of plan.warnings) p.log.warn(`"${r.d.name}" (${FORMAT_NAMES[target]}): ${w}`);
  let sent = plan.body;
  if (target === 'gemini') {
    try {
      sent = await withGeminiCache(p, r, plan.hub, plan.body, out.signal);
    } catch (err) {
      if (out.signal.aborted) return;
      throw err;
    }
  }
  const payload = Buffer.from(JSON.stringify(sent));
  const headers = { ...r.headers, 'content-type': 'application/json', 'content-length': String(payload.length) };
  const where = new URL(r.origin);
  carryLink(headers, where, p.upstream.ws.proxyFor(where));
  // OpenAI says a stream's prompt tokens only at its end: an Anthropic client's message_start gets a local
  // estimate, counted while the request is on its way.
  const estimate = plan.stream && client === 'anthropic' && target === 'openai';
  let up;
  let inputEstimate = 0;
  try {
    // Through the router when it sends (it may fail over before the first byte), else straight to the provider.
    const request = { origin: r.origin, path: r.path, method: 'POST' as const, headers, body: payload, signal: out.signal };
    const pending = r.send ? r.send(request) : p.upstream.dispatcher.request(request);
    pending.catch(() => {}); // awaited below; a failure during the estimate is not unhandled
    if (estimate) {
      await new Promise((done) => setImmediate(done));
      inputEstimate = estimateInputTokens(plan.hub);
    }
    up = await pending;
  } catch (err) {
    if (err instanceof Failover) throw err;
    if (out.signal.aborted) return;
    const e = classifyOutboundError(err);
    p.log.warn(`"${r.d.name}" (${r.origin}): ${e.type}: ${e.message}`);
    return clientError(client, out, e.status, client === 'anthropic' ? 'api_error' : 'server_error', `ccproxy could not reach deployment "${r.d.name}" (${r.origin}): ${e.message}`, { error_type: e.type, deployment: r.d.name, upstream: r.origin });
  }
  const requestId = up.headers['x-request-id'] ?? up.headers['request-id'];
  const idHeader: Record<string, string> = typeof requestId === 'string' ? { [client === 'anthropic' ? 'request-id' : 'x-request-id']: requestId } : {};
  if (up.statusCode >= 400) {
    const text = await up.body.text().catch(() => '');
    const retryAfter = up.headers['retry-after'];
    const provider = `${r.d.name} (${FORMAT_NAMES[target]})`;
    const e = client === 'anthropic' ? anthropicError(up.statusCode, text, typeof retryAfter === 'string' ? retryAfter : undefined, provider) : openaiError(up.statusCode, text, typeof retryAfter === 'string' ? retryAfter : undefined, provider);
    return out.json(e.status, { ...e.headers, ...idHeader }, JSON.stringify(e.body));
  }

  const model = plan.hub.model;
  if (!plan.stream) {
    let answer: unknown;
    try {
      answer = await up.body.json();
    } catch (err) {
      if (out.signal.aborted) return;
      return clientError(client, out, 502, 'api_error', `deployment "${r.d.name}" answered with invalid JSON: ${(err as Error).message}`);
    }
    const message = (target === 'anthropic' ? answer : target === 'openai' ? fromOpenAIResponse(answer as never, model) : fromGeminiResponse(answer as never, model)) as AnthropicMessage;
    warnUnknownStop(p, r, message.stop_reason);
    const body = client === 'anthropic' ? message : client === 'chat' ? toChatResponse(message, model) : toResponsesResponse(message, model, plan.customTools);
    return out.json(200, idHeader, JSON.stringify(body));
  }

  out.open({ ...idHeader, ...(inputEstimate ? { [INPUT_ESTIMATE_HEADER]: ESTIMATE_VALUE } : {}) });
  const pipe = streamPipe(plan, out, model, inputEstimate);
  const parser = createParser({ onEvent: (e) => pipe.data(e.data) });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of up.body) {
      parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
      if (pipe.finished()) break;
    }
    pipe.end();
  } catch (err) {
    if (out.signal.aborted) return;
    p.log.warn(`"${r.d.name}": the stream broke off: ${(err as Error).message}`);
    pipe.fail(`the stream from deployment "${r.d.name}" broke off: ${(err as Error).message}`);
  }
  warnUnknownStop(p, r, pipe.stop());
  out.end();
}

interface Pipe {
  /** One `data:` payload of the provider's stream. */
  data(payload: string): void;
  finished(): boolean;
  /** The provider's stream ended. */
  end(): void;
  /** The provider's stream broke off. */
  fail(message: string): void;
  /** The stop reason, once known (for clients that are not Anthropic's). */
  stop(): string | null;
}

/**
 * The provider's events → Anthropic events → the client's events. An Anthropic client of a translated provider
 * takes the translator's SSE text as it is; other clients take Anthropic events as objects.
 */
function streamPipe(plan: Plan, out: Out, model: string, inputEstimate: number): Pipe {
  if (plan.client === 'anthropic') {
    const m = plan.target === 'openai' ? new OpenAIStreamTranslator(model) : new GeminiStreamTranslator(model);
    if (m instanceof OpenAIStreamTranslator) m.inputEstimate = inputEstimate;
    return {
      data: (d) => out.write(m.data(d)),
      finished: () => m.finished,
      end: () => out.write(m.end()),
      fail: (msg) => out.write(m.fail(msg)),
      stop: () => null,
    };
  }
  let writer: { event(e: Event): unknown; end(): unknown; fail(type: string, message: string): unknown; finished: boolean; stopReason: string | null };
  let sink: (e: Event) => void;
  if (plan.client === 'chat') {
    const w = new ChatStreamWriter(model, plan.includeUsage);
    writer = w;
    sink = (e) => out.write(w.event(e));
  } else {
    const emit = out.event ? out.event.bind(out) : (e: Event) => out.write(responsesSse(e));
    const w = new ResponsesStreamWriter(model, plan.customTools, emit);
    writer = w;
    sink = (e) => w.event(e);
  }
  const finishWriter = () => {
    const tail = writer.end();
    if (typeof tail === 'string') out.write(tail);
  };
  const failWriter = (msg: string) => {
    const tail = writer.fail('api_error', msg);
    if (typeof tail === 'string') out.write(tail);
  };
  if (plan.target === 'anthropic') {
    return {
      data: (d) => {
        let e: Event;
        try {
          e = JSON.parse(d) as Event;
        } catch {
          return;
        }
        sink(e);
      },
      finished: () => writer.finished,
      // An Anthropic stream that ends without message_stop was cut short.
      end: () => {
        if (!writer.finished) failWriter('the stream ended before message_stop');
      },
      fail: failWriter,
      stop: () => writer.stopReason,
    };
  }
  const m = plan.target === 'openai' ? new OpenAIStreamTranslator(model, sink) : new GeminiStreamTranslator(model, sink);
  return {
    data: (d) => void m.data(d),
    finished: () => writer.finished,
    end: () => {
      m.end();
      finishWriter();
    },
    fail: (msg) => {
      m.fail(msg);
      failWriter(msg);
    },
    stop: () => writer.stopReason,
  };
}

function warnUnknownStop(p: GatewayParts, r: Routed, stop: unknown): void {
  if (typeof stop === 'string' && !KNOWN_STOPS.has(stop)) p.log.warn(`"${r.d.name}": stop reason "${stop}" has no Anthropic equivalent; passed on as it is`);
}
