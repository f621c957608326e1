// One proxied HTTP exchange, for every capture point: the request streams to its target untouched, response
// headers are forwarded as soon as they arrive and each chunk as it arrives, while a bounded copy of each
// body goes to the trace pipeline. Capture problems never change or fail the exchange.
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { requestBody, requestStart, responseEnd, type CaptureSettings, type MaybePromise } from '../capture/pipeline.js';
import { redactQuery } from '../capture/redact.js';
import { BodyCopy } from '../flow/body-copy.js';
import type { Logger } from '../log.js';
import type { TraceFields } from '../store/table.js';
import { endToEndRaw } from './hop.js';
import { classifyUpstreamError, errorBody, TimeoutError, type ErrorType } from './upstream-error.js';

/** Where a capture point hands its rows: the trace writer, or nothing. */
export interface TraceSink {
  create(traceId: string, fields: TraceFields): void;
  update(traceId: string, fields: TraceFields): void;
  complete(traceId: string, fields: TraceFields): void;
}

export interface ExchangeContext {
  sink: TraceSink | null;
  capture: CaptureSettings;
  log: Logger;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  agents: { http: http.Agent; https: https.Agent };
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

/** What the row says the client asked for. */
export interface Seen {
  url: string;
  host: string;
  path: string;
  isHttps: boolean;
}

export function keepAliveAgents(): ExchangeContext['agents'] {
  return { http: new http.Agent({ keepAlive: true, maxSockets: 256 }), https: new https.Agent({ keepAlive: true, maxSockets: 256 }) };
}

export const targetName = (t: Target) => `${t.secure ? 'https' : 'http'}://${t.hostHeader}`;

/** SNI carries host names only, never IP addresses (RFC 6066). */
const sniFor = (t: Target) => (t.secure && isIP(t.hostname) === 0 ? t.hostname : undefined);

/**
 * Hands an exchange's rows to the sink in order (create, request body, completion) after the bytes have moved
 * on. Rows whose fields are ready go at once; while one waits for a body to decode, later ones queue behind it.
 * A failure is logged, never felt by the exchange.
 */
function recorder(ctx: ExchangeContext, id: string) {
  let waiting: Promise<void> | null = null;
  const failed = (err: unknown) => ctx.log.warn(`capture of ${id} failed: ${(err as Error).message}`);
  const hand = (op: 'create' | 'update' | 'complete', fields: () => MaybePromise<TraceFields>): Promise<void> | undefined => {
    try {
      const f = fields();
      if (!(f instanceof Promise)) {
        ctx.sink![op](id, f);
        return;
      }
      return f.then((v) => ctx.sink![op](id, v)).catch(failed);
    } catch (err) {
      failed(err);
    }
  };
  return (op: 'create' | 'update' | 'complete', fields: () => MaybePromise<TraceFields>) => {
    if (!ctx.sink) return;
    const p = waiting ? waiting.then(() => hand(op, fields)) : hand(op, fields);
    if (!p) return;
    const mine: Promise<void> = p.then(() => {
      if (waiting === mine) waiting = null;
    });
    waiting = mine;
  };
}

export function proxyExchange(ctx: ExchangeContext, req: IncomingMessage, res: ServerResponse, target: Target, seen: Seen, upstreamName = targetName(target)) {
  const id = randomUUID();
  const start = new Date();
  const t0 = performance.now();
  const record = recorder(ctx, id);
  record('create', () =>
    requestStart(ctx.capture, { method: req.method ?? 'GET', url: seen.url, host: seen.host, path: seen.path, headers: req.headers, clientIp: req.socket.remoteAddress ?? null, isHttps: seen.isHttps, start }),
  );
  const limit = ctx.capture.captureBodies ? ctx.capture.bodyLimit : 0;
  const reqCopy = new BodyCopy(limit);
  const resCopy = new BodyCopy(limit);
  let ttfb: number | null = null;
  let finished = false;
  let upstreamRes: IncomingMessage | null = null;
  // Read when the response arrives: a keep-alive socket goes back to the pool (and away) at its end.
  let serverIp: string | null = null;
  let serverPort: number | null = null;

  // Headers go on as they came (names' case, repeats, order), without the hop-by-hop ones and with our Host.
  const headers = endToEndRaw(req.rawHeaders, target.hostHeader);
  const up = (target.secure ? https : http).request({
    hostname: target.hostname,
    port: target.port,
    method: req.method,
    path: target.path,
    headers,
    agent: target.secure ? ctx.agents.https : ctx.agents.http,
    servername: sniFor(target),
  });

  const done = (error?: { type: ErrorType; message: string }) => {
    if (finished) return;
    finished = true;
    const end = new Date();
    record('complete', () =>
      responseEnd(ctx.capture, { status: upstreamRes?.statusCode ?? null, headers: upstreamRes?.headers ?? {}, copy: upstreamRes ? resCopy : null, start, end, ttfbMs: ttfb, serverIp, serverPort, error }),
    );
    if (ctx.log.debugEnabled) ctx.log.debug(`${req.method} ${redactQuery(seen.url)} → ${upstreamRes?.statusCode ?? error?.type} ${Math.round(performance.now() - t0)} ms`);
  };

  // A connect timeout on a fresh socket; an idle timeout for the whole exchange.
  up.on('socket', (s: Socket) => {
    if (!s.connecting) return;
    const timer = setTimeout(() => up.destroy(new TimeoutError(`no connection within ${ctx.connectTimeoutMs / 1000}s`)), ctx.connectTimeoutMs);
    const clear = () => clearTimeout(timer);
    s.once('connect', clear);
    s.once('close', clear);
  });
  up.setTimeout(ctx.idleTimeoutMs, () => up.destroy(new TimeoutError(`no data for ${ctx.idleTimeoutMs / 1000}s`)));

  relay(req, up, reqCopy, () => record('update', () => requestBody(ctx.capture, req.headers, reqCopy)));

  up.on('response', (ures) => {
    upstreamRes = ures;
    ttfb = performance.now() - t0;
    serverIp = ures.socket?.remoteAddress ?? null;
    serverPort = ures.socket?.remotePort ?? null;
    res.writeHead(ures.statusCode ?? 502, ures.statusMessage, endToEndRaw(ures.rawHeaders));
    relay(ures, res, resCopy, () => done());
    // Headers leave with the first body chunk when it came in the same packet (one write instead of two): the
    // relay's first chunk is delivered on the tick queued just before this one. Otherwise they leave now, so a
    // stream's headers never wait for its first event.
    process.nextTick(() => {
      if (!res.headersSent && !res.destroyed) res.flushHeaders();
    });
    ures.on('error', (err) => {
      done({ type: 'upstream_reset', message: err.message });
      res.destroy(err);
    });
    ures.on('aborted', () => done({ type: 'upstream_reset', message: 'upstream closed the response before its end' }));
  });

  up.on('error', (err) => {
    if (finished) return;
    const e = classifyUpstreamError(err);
    done({ type: e.type, message: e.message });
    if (!res.headersSent) {
      const body = errorBody(upstreamName, e.type, e.message);
      res.writeHead(e.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-ccproxy-error': e.type });
      res.end(body);
    } else {
      res.destroy();
    }
  });

  // The client went away before the response ended: stop the upstream exchange too.
  res.on('close', () => {
    if (!res.writableFinished && !finished) {
      done({ type: 'client_aborted', message: 'the client closed the connection before the response ended' });
      up.destroy();
      upstreamRes?.destroy();
    }
  });
}

/**
 * Moves a body on chunk by chunk while the capture keeps its copy, with backpressure (the source pauses until
 * the destination drains, or goes away). Does what pipe() does here with a third of its listeners. The end is
 * sent once the last chunk has been written: on a TLS socket an end behind a pending write costs an empty write.
 */
function relay(from: IncomingMessage, to: Writable, copy: BodyCopy, onEnd: () => void): void {
  const resume = () => from.resume();
  let pending = 0;
  let ended = false;
  const written = () => {
    if (--pending === 0 && ended) to.end();
  };
  from.on('data', (c: Buffer) => {
    copy.push(c);
    if (to.destroyed) return;
    pending++;
    if (to.write(c, written)) return;
    from.pause();
    to.once('drain', resume);
  });
  from.on('end', () => {
    ended = true;
    if (pending === 0) to.end();
    onEnd();
  });
  // A destination that is gone never drains: the source is read to its end (into the copy only).
  to.once('close', resume);
}

/** WebSocket and other upgrades pass through untouched (no row). */
export function proxyUpgrade(req: IncomingMessage, client: Socket, head: Buffer, target: Target) {
  const up = (target.secure ? https : http).request({
    hostname: target.hostname,
    port: target.port,
    method: req.method,
    path: target.path,
    headers: { ...req.headers, host: target.hostHeader },
    agent: false,
    servername: sniFor(target),
  });
  up.on('upgrade', (ures, usock, uhead) => {
    const lines = [`HTTP/1.1 ${ures.statusCode} ${ures.statusMessage}`];
    for (let i = 0; i < ures.rawHeaders.length; i += 2) lines.push(`${ures.rawHeaders[i]}: ${ures.rawHeaders[i + 1]}`);
    client.write(lines.join('\r\n') + '\r\n\r\n');
    if (uhead.length) client.write(uhead);
    if (head.length) usock.write(head);
    usock.pipe(client).pipe(usock);
    usock.on('error', () => client.destroy());
    client.on('error', () => usock.destroy());
  });
  up.on('response', (ures) => {
    client.end(`HTTP/1.1 ${ures.statusCode} ${ures.statusMessage}\r\ncontent-length: 0\r\n\r\n`);
    ures.resume();
  });
  up.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n'));
  up.end();
}

/** Malformed request lines or headers: 400 (431 for headers too large), an error row, and the listener keeps serving. */
export function rejectMalformed(ctx: Pick<ExchangeContext, 'sink' | 'capture'>, err: NodeJS.ErrnoException, socket: Socket, isHttps = false) {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: tooLarge ? 'request headers too large' : `malformed request: ${err.code ?? err.message}` } });
  socket.end(`HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  recordError(ctx, { clientIp: socket.remoteAddress ?? null, isHttps, type: 'bad_request', message: `${status}: ${err.code ?? ''} ${err.message}`.trim() });
}

/** A row for a failure that never became an exchange (a malformed request, a client refusing our certificate). */
export function recordError(ctx: Pick<ExchangeContext, 'sink' | 'capture'>, e: { clientIp: string | null; isHttps: boolean; type: ErrorType; message: string; host?: string; url?: string; port?: number }) {
  if (!ctx.sink) return;
  const id = randomUUID();
  const now = new Date();
  ctx.sink.create(id, { proxy_direction: ctx.capture.direction, start_time: now, client_ip: e.clientIp, traffic_type: 'other', is_https: e.isHttps, host: e.host ?? null, url: e.url ?? null, server_port: e.port ?? null });
  ctx.sink.complete(id, { end_time: now, duration_ms: 0, error_type: e.type, error_message: e.message });
}
