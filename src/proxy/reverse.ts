// The reverse capture point (proxy_direction 0): every request goes to one upstream URL, streamed both ways
// untouched — response headers forwarded as soon as they arrive, each chunk as it arrives — while a bounded
// copy of each body goes to the trace pipeline. Capture problems never change or fail the exchange.
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { requestBody, requestStart, responseEnd, type CaptureSettings } from '../capture/pipeline.js';
import { BodyCopy } from '../flow/body-copy.js';
import type { Logger } from '../log.js';
import type { TraceFields } from '../store/table.js';
import { endToEnd } from './hop.js';
import { classifyUpstreamError, errorBody, TimeoutError, type ErrorType } from './upstream-error.js';

/** Where a capture point hands its rows: the trace writer, or nothing. */
export interface TraceSink {
  create(traceId: string, fields: TraceFields): void;
  complete(traceId: string, fields: TraceFields): void;
}

export interface ReverseProxyOptions {
  upstream: URL;
  host: string;
  port: number;
  sink: TraceSink | null;
  capture: CaptureSettings;
  log: Logger;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
}

export interface RunningProxy {
  server: http.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Node's default; requests past it get 431. */
const MAX_HEADER_BYTES = 16 * 1024;

export async function startReverseProxy(o: ReverseProxyOptions): Promise<RunningProxy> {
  const secure = o.upstream.protocol === 'https:';
  const agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 256 }) : new http.Agent({ keepAlive: true, maxSockets: 256 });
  const upstreamName = o.upstream.origin + (o.upstream.pathname === '/' ? '' : o.upstream.pathname);
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES, noDelay: true, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) =>
    handle(req, res),
  );

  function record(id: string, fields: () => Promise<TraceFields> | TraceFields, op: 'create' | 'complete') {
    if (!o.sink) return;
    // The pipeline runs after the bytes have moved on; a failure here is logged, never felt by the exchange.
    Promise.resolve()
      .then(fields)
      .then((f) => (op === 'create' ? o.sink!.create(id, f) : o.sink!.complete(id, f)))
      .catch((err) => o.log.warn(`capture of ${id} failed: ${(err as Error).message}`));
  }

  function handle(req: IncomingMessage, res: ServerResponse) {
    const id = randomUUID();
    const start = new Date();
    const t0 = performance.now();
    const path = req.url ?? '/';
    const hostHeader = req.headers.host ?? `${o.host}:${o.port}`;
    const seenHost = hostHeader.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    record(id, () => requestStart(o.capture, { method: req.method ?? 'GET', url: `http://${hostHeader}${path}`, host: seenHost, path, headers: req.headers, clientIp: req.socket.remoteAddress ?? null, isHttps: false, start }), 'create');

    const reqCopy = new BodyCopy(o.capture.captureBodies ? o.capture.bodyLimit : 0);
    const resCopy = new BodyCopy(o.capture.captureBodies ? o.capture.bodyLimit : 0);
    let ttfb: number | null = null;
    let finished = false;
    let upstreamRes: IncomingMessage | null = null;
    // Read when the response arrives: a keep-alive socket goes back to the pool (and away) at its end.
    let serverIp: string | null = null;
    let serverPort: number | null = null;

    const headers = endToEnd(req.headers);
    headers.host = o.upstream.host;
    const basePath = o.upstream.pathname.replace(/\/$/, '');
    const up = (secure ? https : http).request({
      protocol: o.upstream.protocol,
      hostname: o.upstream.hostname.replace(/^\[|\]$/g, ''),
      port: o.upstream.port || (secure ? 443 : 80),
      method: req.method,
      path: basePath + path,
      headers,
      agent,
      servername: secure ? o.upstream.hostname : undefined,
    });

    const done = (error?: { type: ErrorType; message: string }) => {
      if (finished) return;
      finished = true;
      const end = new Date();
      record(
        id,
        () =>
          responseEnd(o.capture, {
            status: upstreamRes?.statusCode ?? null,
            headers: upstreamRes?.headers ?? {},
            copy: upstreamRes ? resCopy : null,
            start,
            end,
            ttfbMs: ttfb,
            serverIp,
            serverPort,
            error,
          }),
        'complete',
      );
      if (o.log.debugEnabled) o.log.debug(`${req.method} ${path} → ${upstreamRes?.statusCode ?? error?.type} ${Math.round(performance.now() - t0)} ms`);
    };

    // Connect timeout on a fresh socket; idle timeout for the whole exchange.
    up.on('socket', (s: Socket) => {
      if (!s.connecting) return;
      const timer = setTimeout(() => up.destroy(new TimeoutError(`no connection within ${o.connectTimeoutMs / 1000}s`)), o.connectTimeoutMs);
      s.once('connect', () => clearTimeout(timer));
      s.once('secureConnect', () => clearTimeout(timer));
      s.once('close', () => clearTimeout(timer));
    });
    up.setTimeout(o.idleTimeoutMs, () => up.destroy(new TimeoutError(`no data for ${o.idleTimeoutMs / 1000}s`)));

    req.on('data', (c: Buffer) => reqCopy.push(c));
    req.on('end', () => record(id, () => requestBody(o.capture, req.headers, reqCopy), 'complete'));
    req.pipe(up);

    up.on('response', (ures) => {
      upstreamRes = ures;
      ttfb = performance.now() - t0;
      serverIp = ures.socket?.remoteAddress ?? null;
      serverPort = ures.socket?.remotePort ?? null;
      res.writeHead(ures.statusCode ?? 502, ures.statusMessage, endToEnd(ures.headers) as http.OutgoingHttpHeaders);
      res.flushHeaders();
      ures.on('data', (c: Buffer) => resCopy.push(c));
      ures.pipe(res);
      ures.on('end', () => done());
      ures.on('error', (err) => {
        res.destroy(err);
        done({ type: 'upstream_reset', message: err.message });
      });
      ures.on('aborted', () => done({ type: 'upstream_reset', message: 'upstream closed the response before its end' }));
    });

    up.on('error', (err) => {
      const e = classifyUpstreamError(err);
      if (finished) return;
      if (!res.headersSent) {
        const body = errorBody(upstreamName, e.type, e.message);
        res.writeHead(e.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-ccproxy-error': e.type });
        res.end(body);
      } else {
        res.destroy();
      }
      done({ type: e.type, message: e.message });
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

  // WebSocket and other upgrades pass through untouched (no row).
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const headers = { ...req.headers, host: o.upstream.host };
    const up = (secure ? https : http).request({ hostname: o.upstream.hostname, port: o.upstream.port || (secure ? 443 : 80), method: req.method, path: req.url, headers, agent: false });
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
  });

  // Malformed request lines or headers: 400 (431 for headers too large), a row, and the proxy keeps serving.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || (err.code === 'ECONNRESET')) {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: tooLarge ? 'request headers too large' : `malformed request: ${err.code ?? err.message}` } });
    socket.end(`HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    if (o.sink) {
      const id = randomUUID();
      const now = new Date();
      o.sink.create(id, { proxy_direction: o.capture.direction, start_time: now, client_ip: socket.remoteAddress ?? null, traffic_type: 'other', is_https: false });
      o.sink.complete(id, { end_time: now, duration_ms: 0, error_type: 'bad_request', error_message: `${status}: ${err.code ?? ''} ${err.message}`.trim() });
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        agent.destroy();
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}
