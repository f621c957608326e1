// The reverse capture point (proxy_direction 0): every request goes to one upstream URL (http or https), with
// method, path, query and headers preserved and Host set for the upstream.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP, type AddressInfo, type Socket } from 'node:net';
import { exchangeContext, type CaptureOptions, type ExchangeContext, type Seen, type Target } from './context.js';
import { proxyExchange } from './exchange.js';
import { badRequestResponse, rejectMalformed } from './malformed.js';
import { recordError } from './record-error.js';
import type { AccessPolicy } from './access.js';
import { parseConnectTarget } from './connect-target.js';
import { createListener, cutUpgrades, listen, type RunningProxy } from './listen.js';
import { registerReverseCapture } from './link.js';
import { relayUpgrade } from './websocket.js';
import { unbracket } from '../host-name.js';
import { errorBody } from '../error-body.js';

export interface ReverseProxyOptions extends CaptureOptions {
  upstream: URL;
  host: string;
  port: number;
  /** Who may use it besides the owner (the master key); the owner alone when absent. */
  access?: AccessPolicy;
}

/** Where a request is going, or why it is refused. */
type Routing = { target: Target; seen: Seen } | { refused: string; url: string; host: string };

/** Names every loopback listener answers to, whatever address it was given. */
const LOOPBACK_NAMES = new Set(['localhost', '::1']);
const isLoopback = (host: string) => LOOPBACK_NAMES.has(host) || host.endsWith('.localhost') || (isIP(host) === 4 && host.startsWith('127.'));

export async function startReverseProxy(o: ReverseProxyOptions): Promise<RunningProxy> {
  const ctx: ExchangeContext = exchangeContext(o);
  const secure = o.upstream.protocol === 'https:';
  const base = o.upstream.pathname.replace(/\/$/, '');
  const upstreamName = o.upstream.origin + base;
  const targetFor = (path: string): Target => ({
    secure,
    hostname: unbracket(o.upstream.hostname),
    port: Number(o.upstream.port) || (secure ? 443 : 80),
    path: base + path,
    hostHeader: o.upstream.host,
  });
  const listenHost = unbracket(o.host).toLowerCase();
  /** An absolute-form target naming this listener: plain http, a loopback name or the listen address, our port. */
  const namesUs = (url: URL) => {
    const host = unbracket(url.hostname).toLowerCase();
    const port = Number(url.port) || 80;
    return url.protocol === 'http:' && (isLoopback(host) || host === listenHost) && port === (server.address() as AddressInfo).port;
  };
  /**
   * Origin-form (`/v1/messages`) goes upstream with its path; the row's url is the Host header's authority and the
   * path. Absolute-form (`http://host/path`, RFC 9112 3.2.2) naming this listener is taken as its origin-form;
   * naming another host, it is a request for a forward proxy sent to the wrong port: refused rather than sent to
   * the gateway, which is not where its sender wants it to go.
   */
  const route = (req: IncomingMessage): Routing => {
    const asked = req.url ?? '/';
    if (asked.startsWith('/') || asked === '*') {
      const hostHeader = req.headers.host ?? `${o.host}:${o.port}`;
      const seenHost = unbracket(hostHeader.replace(/:\d+$/, ''));
      return { target: targetFor(asked), seen: { url: `http://${hostHeader}${asked}`, host: seenHost, path: asked, isHttps: false } };
    }
    let url: URL;
    try {
      url = new URL(asked);
    } catch {
      return { refused: `the request target ${JSON.stringify(asked.slice(0, 200))} is neither a path nor a URL`, url: asked.slice(0, 2048), host: '' };
    }
    const host = unbracket(url.hostname);
    if (!namesUs(url)) {
      return {
        refused: `this is ccproxy's main port, which sends every request to ${upstreamName}; it does not forward requests for ${url.origin} (use the forward capture port as HTTP(S)_PROXY for that)`,
        url: url.href,
        host,
      };
    }
    const path = url.pathname + url.search;
    return { target: targetFor(path), seen: { url: `http://${url.host}${path}`, host, path, isHttps: false } };
  };
  const refuse = (req: IncomingMessage, r: Extract<Routing, { refused: string }>) =>
    recordError(ctx, { clientIp: req.socket.remoteAddress ?? null, isHttps: false, type: 'bad_request', message: `400: ${r.refused}`, host: r.host || undefined, url: r.url, method: req.method });
  const server = createListener((req, res: ServerResponse) => {
    const r = route(req);
    if ('refused' in r) {
      refuse(req, r);
      const body = errorBody('invalid_request_error', r.refused);
      res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
      return res.end(body);
    }
    proxyExchange(ctx, req, res, r.target, r.seen, upstreamName);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const r = route(req);
    if (!('refused' in r)) return relayUpgrade(ctx, req, socket, head, r.target, r.seen, upstreamName);
    refuse(req, r);
    socket.on('error', () => {});
    socket.end(badRequestResponse(400, r.refused));
  });
  // A CONNECT is meant for a forward proxy (HTTPS_PROXY set to this port): refused as absolute-form for another host
  // is, where Node would close the connection without a word.
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    const asked = (req.url ?? '').slice(0, 2048);
    const t = parseConnectTarget(asked);
    const refused = `this is ccproxy's main port, which sends every request to ${upstreamName}; it does not open tunnels (CONNECT ${JSON.stringify(asked.slice(0, 200))}): use the forward capture port as HTTPS_PROXY for that`;
    refuse(req, { refused, url: asked, host: 'host' in t ? t.host : '' });
    socket.on('error', () => {});
    socket.end(badRequestResponse(400, refused));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => rejectMalformed(ctx, err, socket));
  const running = await listen(
    server,
    o.host,
    o.port,
    () => {},
    () => cutUpgrades(ctx),
    () => void ctx.upstream.destroy(),
    o.access,
  );
  // A forward capture of this process that map_remote sends here links its flow on (link.ts).
  const unregister = registerReverseCapture(running.url);
  const close = running.close;
  running.close = () => {
    unregister();
    return close();
  };
  return running;
}
