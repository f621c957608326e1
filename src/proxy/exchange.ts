// One proxied HTTP exchange, for every capture point: the request streams to its target untouched, response
// headers are forwarded as soon as they arrive and each chunk as it arrives, while a bounded copy of each
// body goes to the trace pipeline. Capture problems never change or fail the exchange.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { recorder, type Recorder } from '../capture/recorder.js';
import { redactQuery } from '../capture/redact.js';
import { seenEnd, seenRequest, seenRequestBody, seenResponse } from '../capture/seen.js';
import type { Capture } from '../capture/stage.js';
import { BodyCopy } from '../flow/body-copy.js';
import { CHUNK_TIMES_MAX, type ConnectionTiming } from '../flow/flow.js';
import { originOf, sniFor, targetName, type ExchangeContext, type Seen, type Target } from './context.js';
import { endToEndRaw, headerObject } from './hop.js';
import { LINK_HEADER, linksOut, linkValue, takeLink } from './link.js';
import { badRequestResponse, garbageAfterRequest, inFlight } from './malformed.js';
import { onUpstreamSocket } from './undici-socket.js';
import { takeConnectionTiming } from './upstream-agent.js';
import { classifyUpstreamError, upstreamErrorBody, type ErrorType } from './upstream-error.js';

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
  private readonly startedAt = Date.now();
  private readonly t0 = performance.now();
  private readonly capture: Capture;
  private readonly record: Recorder;
  private readonly reqCopy: BodyCopy;
  private readonly resCopy: BodyCopy;
  private ttfb: number | null = null;
  private finished = false;
  private status: number | null = null;
  /** The response's headers as they came (name, value, …), as latin1 strings: byte for byte what was sent. */
  private responseHeaders: string[] | null = null;
  private serverIp: string | null = null;
  private serverPort: number | null = null;
  private connection: ConnectionTiming | undefined;
  /** When each response chunk arrived (ms after the start, the first CHUNK_TIMES_MAX), and how many came. */
  private chunkTimes: number[] | null = null;
  private chunkCount = 0;
  private abort: ((err?: Error) => void) | null = null;
  private resume: (() => void) | null = null;
  private copying = false;
  private clientGone = false;
  private pending = 0;
  private ended = false;
  /** The upstream socket the request went out on (told by undici-socket.ts). */
  socket: Socket | null = null;
  /**
   * At the reverse capture, a request a forward capture of this process passed on (map_remote): that flow's id.
   * The exchange is a hop of a flow already recorded: it is relayed, its link passed on, and no row is written.
   */
  private readonly hopOf: string | undefined;

  constructor(
    private readonly ctx: ExchangeContext,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly target: Target,
    private readonly seen: Seen,
    private readonly upstreamName: string,
  ) {
    const limit = ctx.capture.captureBodies ? ctx.capture.bodyLimit : 0;
    this.reqCopy = new BodyCopy(limit);
    this.resCopy = new BodyCopy(limit);
    // A link from this process (link.ts) is the flow's, not part of the request that goes on.
    const { headers, parentId, hopOf } = takeLink(ctx.capture.direction, req.headers);
    this.hopOf = hopOf;
    this.capture = seenRequest(
      ctx.capture,
      { method: req.method ?? 'GET', url: seen.url, host: seen.host, path: seen.path, headers, clientIp: req.socket.remoteAddress ?? null, isHttps: seen.isHttps, start: this.startedAt, originalUrl: seen.originalUrl, parentId },
      this.reqCopy,
    );
    this.record = recorder(this.hopOf === undefined ? ctx : { ...ctx, sink: null }, this.capture);
  }

  /** The request's body has ended (or was cut): its moment for the stages and the sink. */
  private requestEnded(): void {
    this.capture.flow.timing.requestSent = Math.round((performance.now() - this.t0) * 1000) / 1000;
    seenRequestBody(this.capture);
    this.record('requestBody');
  }

  run(): void {
    const { ctx, req, res, seen, target } = this;
    inFlight.set(req.socket, this);
    this.record('requestHeaders');
    req.once('end', () => this.requestEnded());
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
          headers: this.upstreamHeaders(),
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

  /**
   * Headers go on as they came (names' case, repeats, order), without the hop-by-hop ones and with our Host.
   * Expect is answered by our own server (100 Continue), so the upstream gets the body at once. A link header
   * never goes on, except this process's own (link.ts).
   */
  private upstreamHeaders(): string[] {
    const headers = endToEndRaw(this.req.rawHeaders, this.target.hostHeader, NOT_SENT);
    const flow = this.capture.flow;
    flow.linkedOut = linksOut(this.ctx.capture.direction, this.target);
    if (flow.linkedOut) headers.push(LINK_HEADER, linkValue(this.hopOf ?? flow.id));
    return headers;
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
    this.connection = takeConnectionTiming(this.socket);
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
    if (this.chunkCount++ < CHUNK_TIMES_MAX) (this.chunkTimes ??= []).push(Math.round((performance.now() - this.t0) * 1000) / 1000);
    this.resCopy.push(chunk);
    if (this.res.destroyed) return true;
    this.pending++;
    return this.res.write(chunk, this.written);
  }

  /** The end goes out once the last chunk is written: on a TLS socket an end behind a pending write costs an empty write. */
  private readonly written = () => {
    if (--this.pending === 0 && this.ended) this.res.end();
  };

  /**
   * The exchange is recorded before the end goes out: `res.end()` uncorks the socket at once, and a client that has
   * its last byte may be followed by a kill of this process. Recorded first, a completion whose stages are ready
   * is in the crash journal before that byte leaves (TraceWriter.responseEnded).
   */
  onComplete(): void {
    this.ended = true;
    this.done();
    if (this.pending === 0) this.res.end();
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
      const body = upstreamErrorBody(this.upstreamName, e.type, e.message);
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
    // A request read to its end was not cut: its client left while the response was on its way.
    const whole = req.complete;
    if (whole && !cut) return garbageAfterRequest(this.ctx, this.res, err, socket, this.seen.isHttps);
    this.clientGone = true;
    if (this.copying && !whole) this.requestEnded();
    const declared = req.headers['content-length'];
    this.done(
      cut
        ? whole
          ? { type: 'client_aborted', message: 'the client closed the connection before the response ended' }
          : { type: 'client_aborted', message: `the client closed the connection in the middle of the request body${this.copying ? ` (${this.reqCopy.size}${declared ? ` of ${declared}` : ''} bytes received)` : ''}` }
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
    const { ctx, status } = this;
    const raw = this.responseHeaders;
    seenResponse(this.capture, { status, headers: raw ? headerObject(raw) : null, copy: raw ? this.resCopy : null, ttfbMs: this.ttfb, serverIp: this.serverIp, serverPort: this.serverPort, connection: this.connection, chunks: this.chunkTimes ?? undefined, chunkCount: this.chunkCount });
    seenEnd(this.capture, Date.now(), error);
    this.record('responseEnd');
    if (ctx.log.debugEnabled) ctx.log.debug(`${this.req.method} ${redactQuery(this.seen.url)}${this.seen.originalUrl ? ` (mapped from ${redactQuery(this.seen.originalUrl)})` : ''} → ${error?.type ?? status} ${Math.round(performance.now() - this.t0)} ms`);
  }
}

const NOT_SENT = ['expect', LINK_HEADER];



const latin1 = (raw: readonly Buffer[]): string[] => raw.map((b) => b.toString('latin1'));

// Which upstream socket carried a request (for server_ip and server_port).
onUpstreamSocket((handler, socket) => {
  if (handler instanceof Exchange) handler.socket = socket;
});

