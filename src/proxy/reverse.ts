// The reverse capture point (proxy_direction 0): every request goes to one upstream URL (http or https), with
// method, path, query and headers preserved and Host set for the upstream.
import type { Socket } from 'node:net';
import { exchangeContext, proxyExchange, proxyUpgrade, rejectMalformed, type ExchangeContext, type Target } from './exchange.js';
import { createListener, listen, type RunningProxy } from './listen.js';

export interface ReverseProxyOptions extends Omit<ExchangeContext, 'upstream'> {
  upstream: URL;
  host: string;
  port: number;
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
  const server = createListener((req, res) => {
    const path = req.url ?? '/';
    const hostHeader = req.headers.host ?? `${o.host}:${o.port}`;
    const seenHost = hostHeader.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    proxyExchange(ctx, req, res, targetFor(path), { url: `http://${hostHeader}${path}`, host: seenHost, path, isHttps: false }, upstreamName);
  });
  server.on('upgrade', (req, socket: Socket, head: Buffer) => proxyUpgrade(req, socket, head, targetFor(req.url ?? '/')));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => rejectMalformed(ctx, err, socket));
  return listen(server, o.host, o.port, () => {
    void ctx.upstream.destroy();
  });
}
