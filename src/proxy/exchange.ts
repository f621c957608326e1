// One proxied HTTP exchange, for every capture point: the request streams to its target untouched, response
// headers are forwarded as soon as they arrive and each chunk as it arrives, while a bounded copy of each
// body goes to the trace pipeline. Capture problems never change or fail the exchange.
import { randomUUID } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { requestBody, requestStart, responseEnd, type CaptureSettings, type MaybePromise } from '../capture/pipeline.js';
import { redactQuery } from '../capture/redact.js';
import { BodyCopy } from '../flow/body-copy.js';
import type { WsMessage } from '../flow/websocket.js';
import type { Logger } from '../log.js';
import type { TraceFields } from '../store/table.js';
import { endToEndRaw, headerObject } from './hop.js';
import { classifyUpstreamError, errorBody, type ErrorType } from './upstream-error.js';

/** Where a capture point hands its rows: the trace writer, or nothing. */
export interface TraceSink {
  create(traceId: string, fields: TraceFields): void;
  update(traceId: string, fields: TraceFields): void;
  complete(traceId: string, fields: TraceFields): void;
  /** One message of an upgraded (WebSocket) connection whose upgrade is the trace `traceId`. */
  wsMessage?(traceId: string, message: WsMessage): void;
}

export interface ExchangeContext {
  sink: TraceSink | null;
  capture: CaptureSettings;
  log: Logger;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Keep-alive pools to the upstreams, one per origin. */
  upstream: Dispatcher;
  /** Upgraded connections (and upgrades waiting for their answer), cut when the listener has closed. */
  upgrades?: Set<{ cut(): void }>;
}

/** Where the request goes. */
export interface Target {
  secure: boolean;
  hostname: string;
  port: number;
  /** Path and query as sent upstream. */
  path: string;
  /** The Host header upstream. */
  hostHeader: string;
}

/** What the row says about where the request went. */
export interface Seen {
  url: string;
  host: string;
  path: string;
  isHttps: boolean;
  /** The URL the client asked for, when map_remote sent the request to `url` instead. */
  originalUrl?: string;
}

/**
 * The upstream client: undici's keep-alive pools (one per origin), whose dispatch API hands over the response's
 * raw headers and each body chunk with backpressure, for less CPU per exchange than node:http's client.
 * A connection must open within the connect timeout; headers, and then each body chunk, must come within the
 * idle timeout.
 */
function upstreamAgent(connectTimeoutMs: number, idleTimeoutMs: number): Agent {
  return new Agent({ connections: 256, connect: { timeout: connectTimeoutMs }, headersTimeout: idleTimeoutMs, bodyTimeout: idleTimeoutMs });
}

/** A listener's exchange context: its settings, and upstream pools made with its timeouts. */
export function exchangeContext(o: Omit<ExchangeContext, 'upstream'>): ExchangeContext {
  return { ...o, upstream: upstreamAgent(o.connectTimeoutMs, o.idleTimeoutMs), upgrades: new Set() };
}

export const targetName = (t: Target) => `${t.secure ? 'https' : 'http'}://${t.hostHeader}`;

const originOf = (t: Target) => `${t.secure ? 'https' : 'http'}://${isIP(t.hostname) === 6 ? `[${t.hostname}]` : t.hostname}:${t.port}`;

/** SNI carries host names only, never IP addresses (RFC 6066). */
export const sniFor = (t: Target) => (t.secure && isIP(t.hostname) === 0 ? t.hostname : undefined);

/**
 * Hands an exchange's rows to the sink in order (create, request body, completion; the messages of an upgraded
 * connection before its completion) after the bytes have moved on. Rows whose fields are ready go at once; while
 * one waits for a body to decode, later ones queue behind it. A failure is logged, never felt by the exchange.
 */
export function recorder(ctx: Pick<ExchangeContext, 'sink' | 'log'>, id: string) {
  let waiting: Promise<void> | null = null;
  const failed = (err: unknown) => ctx.log.warn(`capture of ${id} failed: ${(err as Error).message}`);
  const hand = <T>(value: () => MaybePromise<T>, apply: (v: T) => void): Promise<void> | undefined => {
    try {
      const v = value();
      if (!(v instanceof Promise)) {
        apply(v);
        return;
      }
      return v.then(apply).catch(failed);
    } catch (err) {
      failed(err);
    }
  };
  const enqueue = <T>(value: () => MaybePromise<T>, apply: (v: T) => void) => {
    const p = waiting ? waiting.then(() => hand(value, apply)) : hand(value, apply);
    if (!p) return;
    const mine: Promise<void> = p.then(() => {
      if (waiting === mine) waiting = null;
    });
    waiting = mine;
  };
  const record = (op: 'create' | 'update' | 'complete', fields: () => MaybePromise<TraceFields>) => {
    if (ctx.sink) enqueue(fields, (f) => ctx.sink![op](id, f));
  };
  /** One message of an upgraded connection (its payload may still be inflating). */
  record.message = (m: MaybePromise<WsMessage>) => {
    if (ctx.sink?.wsMessage) enqueue(() => m, (v) => ctx.sink!.wsMessage!(id, v));
  };
  return record;
}

export function proxyExchange(ctx: ExchangeContext, req: IncomingMessage, res: ServerResponse, target: Target, seen: Seen, upstreamName = targetName(target)): void {
  new Exchange(ctx, req, res, target, seen, upstreamName).run();
}

/**
 * One exchange, as the handler undici calls: the request body streams from the client (undici reads it, with
 * backpressure) while a copy is kept; the response's headers are forwarded as they arrive, then each chunk, and
 * undici stops reading the upstream while the client is slow. It uses undici's first handler API (onConnect,
 * onHeaders, onData…), still supported in undici 7: it hands over the raw header bytes without parsing them into
 * an object, and the request keeps this very object as its handler (see the socket subscriber below).
 */
class Exchange implements Dispatcher.DispatchHandler {
  private readonly id = randomUUID();
  private readonly startedAt = new Date();
  private readonly t0 = performance.now();
  private readonly record: ReturnType<typeof recorder>;
  private readonly reqCopy: BodyCopy;
  private readonly resCopy: BodyCopy;
  private ttfb: number | null = null;
  private finished = false;
  private status: number | null = null;
  /** The response's headers as they came (name, value, …), as latin1 strings: byte for byte what was sent. */
  private responseHeaders: string[] | null = null;
  private serverIp: string | null = null;
  private serverPort: number | null = null;
  private abort: ((err?: Error) => void) | null = null;
  private resume: (() => void) | null = null;
  private copying = false;
  private clientGone = false;
  private pending = 0;
  private ended = false;
  /** The upstream socket the request went out on (see the diagnostics subscriber below). */
  socket: Socket | null = null;

  constructor(
    private readonly ctx: ExchangeContext,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly target: Target,
    private readonly seen: Seen,
    private readonly upstreamName: string,
  ) {
    this.record = recorder(ctx, this.id);
    const limit = ctx.capture.captureBodies ? ctx.capture.bodyLimit : 0;
    this.reqCopy = new BodyCopy(limit);
    this.resCopy = new BodyCopy(limit);
  }

  run(): void {
    const { ctx, req, res, seen, target } = this;
    inFlight.set(req.socket, this);
    this.record('create', () =>
      requestStart(ctx.capture, { method: req.method ?? 'GET', url: seen.url, host: seen.host, path: seen.path, headers: req.headers, clientIp: req.socket.remoteAddress ?? null, isHttps: seen.isHttps, start: this.startedAt, originalUrl: seen.originalUrl }),
    );
    req.once('end', () => this.record('update', () => requestBody(ctx.capture, req.headers, this.reqCopy)));
    // A request without a body is passed on without one (no chunked encoding added to a GET).
    const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
    if (!hasBody) req.resume();
    res.on('drain', () => this.resume?.());
    // The client went away before the response ended: stop the upstream exchange too.
    res.on('close', () => {
      if (res.writableFinished || this.finished) return;
      this.clientGone = true;
      this.done({ type: 'client_aborted', message: 'the client closed the connection before the response ended' });
      this.abort?.(new Error('the client went away'));
    });
    try {
      ctx.upstream.dispatch(
        {
          origin: originOf(target),
          path: target.path,
          method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
          // Headers go on as they came (names' case, repeats, order), without the hop-by-hop ones and with our
          // Host. Expect is answered by our own server (100 Continue), so the upstream gets the body at once.
          headers: endToEndRaw(req.rawHeaders, target.hostHeader, EXPECT),
          body: hasBody ? req : null,
          // undici takes a server name per request (its types leave it out); without one it derives it from Host.
          servername: sniFor(target),
        } as Dispatcher.DispatchOptions,
        this,
      );
    } catch (err) {
      this.onError(err as Error);
    }
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.clientGone) return abort(new Error('the client went away'));
    this.abort = abort;
    // undici attaches its own reader right after this: both see every chunk.
    this.copyRequestBody();
  }

  /** Keeps a copy of the request body as it streams (read to its end here if undici never takes it). */
  private copyRequestBody(): void {
    if (this.copying) return;
    this.copying = true;
    this.req.on('data', (c: Buffer) => this.reqCopy.push(c));
  }

  onHeaders(statusCode: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    if (this.clientGone) return false;
    // Informational responses (103 Early Hints, say) are not passed on: the final response follows them.
    if (statusCode < 200) return true;
    const { res } = this;
    this.status = statusCode;
    const headers = latin1(raw);
    this.responseHeaders = headers;
    this.resume = resume;
    this.ttfb = performance.now() - this.t0;
    // Read now: a keep-alive socket goes back to the pool (and may close) once the response ends.
    this.serverIp = this.socket?.remoteAddress ?? null;
    this.serverPort = this.socket?.remotePort ?? null;
    if (res.destroyed) return false;
    res.writeHead(statusCode, statusText, endToEndRaw(headers));
    // Headers leave with the first body chunk when it came in the same packet (one write instead of two).
    // Otherwise they leave now, so a stream's headers never wait for its first event.
    process.nextTick(() => {
      if (!res.headersSent && !res.destroyed) res.flushHeaders();
    });
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.resCopy.push(chunk);
    if (this.res.destroyed) return true;
    this.pending++;
    return this.res.write(chunk, this.written);
  }

  /** The end goes out once the last chunk is written: on a TLS socket an end behind a pending write costs an empty write. */
  private readonly written = () => {
    if (--this.pending === 0 && this.ended) this.res.end();
  };

  onComplete(): void {
    this.ended = true;
    if (this.pending === 0) this.res.end();
    this.done();
  }

  onError(err: Error): void {
    if (this.finished) return;
    const { res } = this;
    // A client that left mid-upload fails the upstream request too: that is the client's doing.
    if (this.clientGone || res.destroyed || res.socket?.destroyed) {
      this.done({ type: 'client_aborted', message: 'the client closed the connection before the response ended' });
      return;
    }
    const e = classifyUpstreamError(err, { connectMs: this.ctx.connectTimeoutMs, idleMs: this.ctx.idleTimeoutMs });
    this.done({ type: e.type, message: e.message });
    // The request body is still read to its end, for the row, when undici never took it.
    if (!this.copying && !this.req.readableEnded) {
      this.copyRequestBody();
      this.req.resume();
    }
    if (!res.headersSent && this.status === null) {
      const body = errorBody(this.upstreamName, e.type, e.message);
      res.writeHead(e.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-ccproxy-error': e.type });
      res.end(body);
    } else {
      res.destroy();
    }
  }

  /**
   * The client's request turned out malformed after it was handed on (a bad chunk size, say), or its body was cut
   * short: this exchange's row says so (the request's one row), the upstream request is cut, and the client gets
   * 400 when nothing of the answer has gone out yet.
   */
  malformed(err: NodeJS.ErrnoException, socket: Socket): void {
    const { req, res } = this;
    if (this.finished) return void socket.destroy(); // the row is written; the rest of the body is not ours to judge
    const cut = err.code === 'HPE_INVALID_EOF_STATE' || err.code === 'ECONNRESET' || !socket.writable;
    this.clientGone = true;
    if (this.copying) this.record('update', () => requestBody(this.ctx.capture, req.headers, this.reqCopy));
    const declared = req.headers['content-length'];
    this.done(
      cut
        ? { type: 'client_aborted', message: `the client closed the connection in the middle of the request body${this.copying ? ` (${this.reqCopy.size}${declared ? ` of ${declared}` : ''} bytes received)` : ''}` }
        : { type: 'bad_request', message: `400: ${err.code ?? ''} ${err.message}`.trim() },
    );
    this.abort?.(new Error('the request was malformed'));
    if (cut || res.headersSent) socket.destroy();
    else socket.end(badRequestResponse(400, `malformed request: ${err.code ?? err.message}`));
  }

  /** The connection is free for its next request once this one's body has been read to its end. */
  private release(): void {
    const { req } = this;
    const free = () => {
      if (inFlight.get(req.socket) === this) inFlight.delete(req.socket);
    };
    if (req.complete || req.destroyed) free();
    else {
      req.once('end', free);
      req.once('close', free);
    }
  }

  private done(error?: { type: ErrorType; message: string }): void {
    if (this.finished) return;
    this.finished = true;
    this.release();
    const end = new Date();
    const { ctx, startedAt: start, status } = this;
    const raw = this.responseHeaders;
    this.record('complete', () =>
      responseEnd(ctx.capture, { status, headers: raw ? headerObject(raw) : {}, copy: raw ? this.resCopy : null, start, end, ttfbMs: this.ttfb, serverIp: this.serverIp, serverPort: this.serverPort, error }),
    );
    if (ctx.log.debugEnabled) ctx.log.debug(`${this.req.method} ${redactQuery(this.seen.url)}${this.seen.originalUrl ? ` (mapped from ${redactQuery(this.seen.originalUrl)})` : ''} → ${error?.type ?? status} ${Math.round(performance.now() - this.t0)} ms`);
  }
}

const EXPECT = ['expect'];

/** The exchange each client connection is serving, so a parse error after its headers lands on that exchange's row. */
const inFlight = new WeakMap<Socket, Exchange>();

const latin1 = (raw: readonly Buffer[]): string[] => raw.map((b) => b.toString('latin1'));

/**
 * Which upstream socket carried a request: undici announces each request it writes, with its socket, on a
 * diagnostics channel; the request holds its handler under a symbol described "handler". Should a later undici
 * change that, server_ip and server_port stay NULL (the capture tests check they are filled).
 */
let handlerKey: symbol | undefined;
diagnostics.subscribe('undici:client:sendHeaders', (message) => {
  const { request, socket } = message as { request: object; socket: Socket };
  handlerKey ??= Object.getOwnPropertySymbols(request).find((s) => s.description === 'handler');
  const handler = handlerKey && (request as Record<symbol, unknown>)[handlerKey];
  if (handler instanceof Exchange) handler.socket = socket;
});

/** Malformed request lines or headers: 400 (431 for headers too large), an error row, and the listener keeps serving. */
export function rejectMalformed(ctx: Pick<ExchangeContext, 'sink' | 'capture'>, err: NodeJS.ErrnoException, socket: Socket, isHttps = false) {
  const exchange = inFlight.get(socket);
  if (exchange) return exchange.malformed(err, socket);
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  socket.end(badRequestResponse(status, tooLarge ? 'request headers too large' : `malformed request: ${err.code ?? err.message}`));
  recordError(ctx, { clientIp: socket.remoteAddress ?? null, isHttps, type: 'bad_request', message: `${status}: ${err.code ?? ''} ${err.message}`.trim() });
}

/** A whole 400 (or 431) answer written on a raw socket, closing the connection; its JSON body says why. */
export function badRequestResponse(status: 400 | 431, message: string): string {
  const body = JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } });
  return `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/** A row for a failure that never became an exchange (a malformed request, a client refusing our certificate). */
export function recordError(ctx: Pick<ExchangeContext, 'sink' | 'capture'>, e: { clientIp: string | null; isHttps: boolean; type: ErrorType; message: string; host?: string; url?: string; port?: number; method?: string }) {
  if (!ctx.sink) return;
  const id = randomUUID();
  const now = new Date();
  ctx.sink.create(id, { proxy_direction: ctx.capture.direction, start_time: now, client_ip: e.clientIp, traffic_type: 'other', is_https: e.isHttps, host: e.host ?? null, url: e.url ?? null, server_port: e.port ?? null, method: e.method ?? null });
  ctx.sink.complete(id, { end_time: now, duration_ms: 0, error_type: e.type, error_message: e.message });
}
