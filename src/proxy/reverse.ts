// The reverse capture point (proxy_direction 0): every request goes to one upstream URL (http or https), with
// method, path, query and headers preserved and Host set for the upstream.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { exchangeContext, proxyExchange, rejectMalformed, type ExchangeContext, type Target } from './exchange.js';
import type { AccessPolicy } from './access.js';
import { createListener, cutUpgrades, listen, type RunningProxy } from './listen.js';
import { relayUpgrade } from './websocket.js';

export interface ReverseProxyOptions extends Omit<ExchangeContext, 'upstream'> {
  upstream: URL;
  host: string;
  port: number;
  /** Who may use it besides the owner (the master key); the owner alone when absent. */
  access?: AccessPolicy;
}

export async function startReverseProxy(o: ReverseProxyOptions): Promise<RunningProxy> {
  const ctx: ExchangeContext = exchangeContext(o);
  const secure = o.upstream.protocol === 'https:';
  const base = o.upstream.pathname.replace(/\/$/, '');
  const upstreamName = o.upstream.origin + base;
  const targetFor = (path: string): Target => ({
    secure,
    hostname: o.upstream.hostname.replace(/^\[|\]$/g, ''),
    port: Number(o.upstream.port) || (secure ? 443 : 80),
    path: base + path,
    hostHeader: o.upstream.host,
  });
  const seenFor = (req: IncomingMessage) => {
    const path = req.url ?? '/';
    const hostHeader = req.headers.host ?? `${o.host}:${o.port}`;
    const seenHost = hostHeader.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    return { url: `http://${hostHeader}${path}`, host: seenHost, path, isHttps: false };
  };
  const server = createListener((req, res) => proxyExchange(ctx, req, res, targetFor(req.url ?? '/'), seenFor(req), upstreamName));
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => relayUpgrade(ctx, req, socket, head, targetFor(req.url ?? '/'), seenFor(req), upstreamName));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => rejectMalformed(ctx, err, socket));
  return listen(
    server,
    o.host,
    o.port,
    () => {},
    () => cutUpgrades(ctx),
    () => void ctx.upstream.destroy(),
    o.access,
  );
}
