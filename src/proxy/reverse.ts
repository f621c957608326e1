// The reverse capture point (proxy_direction 0): every request goes to one upstream URL (http or https), with
// method, path, query and headers preserved and Host set for the upstream.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { keepAliveAgents, proxyExchange, proxyUpgrade, rejectMalformed, type ExchangeContext, type Target } from './exchange.js';

export interface ReverseProxyOptions extends Omit<ExchangeContext, 'agents'> {
  upstream: URL;
  host: string;
  port: number;
}

export interface RunningProxy {
  server: http.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Node's default; requests past it get 431. */
export const MAX_HEADER_BYTES = 16 * 1024;

export async function startReverseProxy(o: ReverseProxyOptions): Promise<RunningProxy> {
  const ctx: ExchangeContext = { ...o, agents: keepAliveAgents() };
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
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES, noDelay: true, requestTimeout: 0 }, (req, res) => {
    const path = req.url ?? '/';
    const hostHeader = req.headers.host ?? `${o.host}:${o.port}`;
    const seenHost = hostHeader.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    proxyExchange(ctx, req, res, targetFor(path), { url: `http://${hostHeader}${path}`, host: seenHost, path, isHttps: false }, upstreamName);
  });
  server.on('upgrade', (req, socket: Socket, head: Buffer) => proxyUpgrade(req, socket, head, targetFor(req.url ?? '/')));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => rejectMalformed(ctx, err, socket));
  return listen(server, o.host, o.port, () => {
    ctx.agents.http.destroy();
    ctx.agents.https.destroy();
  });
}

/** How long streams still running at shutdown get to end before they are cut. */
const CLOSE_GRACE_MS = 2_000;

export async function listen(server: http.Server, host: string, port: number, onClose: () => void, cutAll: () => void = () => {}): Promise<RunningProxy> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    port: actual,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        onClose();
        // Streams and tunnels still running get a moment to end, then are cut; close never waits longer.
        setTimeout(() => {
          server.closeAllConnections();
          cutAll();
          setTimeout(resolve, 200).unref();
        }, CLOSE_GRACE_MS).unref();
      }),
  };
}
