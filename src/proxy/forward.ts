// The forward capture point (proxy_direction 1): an HTTP proxy. Absolute-form requests (http://…) are
// forwarded; CONNECT tunnels carrying TLS are intercepted with a leaf certificate from the local CA, so every
// HTTPS exchange is seen and recorded; plain HTTP inside a tunnel is recorded too. Excluded hosts pass blind, and
// so do other payloads (neither TLS nor HTTP) to other machines; to this machine's own ports they are refused.
// Upstream TLS is verified against Node's default trust (system roots plus NODE_EXTRA_CA_CERTS). map_remote sends
// clients' requests elsewhere; the upstream connection is made per request, once it has been read, so the host a
// client asked for need not exist.
import type { IncomingMessage } from 'node:http';
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { isLocalAddress, parseConnectTarget } from './connect-target.js';
import type { CertificateAuthority } from './tls/ca.js';
import { exchangeContext, type CaptureOptions, type ExchangeContext, type Seen, type Target } from './context.js';
import { proxyExchange } from './exchange.js';
import { badRequestResponse, rejectMalformed } from './malformed.js';
import { recordError } from './record-error.js';
import type { AccessPolicy } from './access.js';
import { createListener, cutUpgrades, listen, type RunningProxy } from './listen.js';
import { MapRemote, type MapRemoteEntry } from './map-remote.js';
import { registerForwardCapture } from './link.js';
import { relayUpgrade } from './websocket.js';
import { unbracket } from '../host-name.js';
import { errorBody } from '../error-body.js';
import { describeClientTlsAbort, describeClientTlsError, isConnectionLoss, NOT_TLS } from './tls/client-errors.js';

export interface ForwardProxyOptions extends CaptureOptions {
  host: string;
  port: number;
  /** Who may use it besides the owner (the master key); the owner alone when absent. */
  access?: AccessPolicy;
  ca: CertificateAuthority;
  /** Exact names and `*.suffix` patterns tunnelled without interception or a row. */
  excludedHosts: string[];
  /** ccproxy.mitm.map_remote: where clients' requests go instead of where they asked. */
  mapRemote?: readonly MapRemoteEntry[];
  /**
   * The Proxy-Authorization value the gateway's own provider calls carry: requests and tunnels that present it
   * are never mapped (they already go where config.yaml says; mapping them could loop).
   */
  unmappedProxyAuthorization?: string | null;
}

/** Where an intercepted TLS connection was going, by the CONNECT line. */
interface TunnelTarget {
  host: string;
  port: number;
  /** TLS intercepted (https), or plain HTTP read inside the tunnel (http). */
  secure?: boolean;
  /** Its requests go through map_remote (false for the gateway's own calls). */
  mappable?: boolean;
}

/** Where one request goes, and what its row says about it. */
export interface Routed {
  target: Target;
  seen: Seen;
}

const TLS_HANDSHAKE = 0x16;
/** The start of an HTTP/1 request line (a method, a space, a target): plain HTTP inside a tunnel, read and recorded. */
const HTTP_REQUEST_START = /^[A-Z]{3,10} [^\s]/;

export function isExcluded(host: string, patterns: readonly string[]): boolean {
  const h = host.toLowerCase();
  return patterns.some((p) => {
    const q = p.toLowerCase();
    return q.startsWith('*.') ? h.endsWith(q.slice(1)) || h === q.slice(2) : h === q;
  });
}

export async function startForwardProxy(o: ForwardProxyOptions): Promise<RunningProxy> {
  const ctx: ExchangeContext = exchangeContext(o);
  const mapRemote = new MapRemote(o.mapRemote ?? []);
  const ownAuth = o.unmappedProxyAuthorization ?? null;
  for (const e of o.mapRemote ?? []) o.log.info(`map_remote: ${e.from} → ${e.to}`);
  /** Whether a request (or CONNECT) goes through map_remote: not when it carries the gateway's credentials. */
  const mappable = (req: IncomingMessage) => mapRemote.size > 0 && (ownAuth === null || req.headers['proxy-authorization'] !== ownAuth);
  /**
   * Where a request goes: where the client asked (`asked`), or where map_remote sends it instead, with the Host
   * header naming the new target. The row's url, host, path and is_https say where it went; original_url what
   * was asked. The one place targets are computed, for exchanges and upgrades alike.
   */
  const route = (asked: Target, mapped: boolean): Routed => {
    const url = `${asked.secure ? 'https' : 'http'}://${asked.hostHeader}${asked.path}`;
    const to = mapped ? mapRemote.map(url) : null;
    if (!to) return { target: asked, seen: { url, host: asked.hostname, path: asked.path, isHttps: asked.secure } };
    const secure = to.protocol === 'https:';
    const target: Target = { secure, hostname: unbracket(to.hostname), port: Number(to.port) || (secure ? 443 : 80), path: to.pathname + to.search, hostHeader: to.host };
    return { target, seen: { url: to.href, host: target.hostname, path: target.path, isHttps: secure, originalUrl: url } };
  };
  /** An absolute-form request's target, as the client asked (ws:// is http://). */
  const absolute = (url: URL): Target => ({ secure: false, hostname: unbracket(url.hostname), port: Number(url.port) || 80, path: url.pathname + url.search, hostHeader: url.host });
  /** A request inside an intercepted tunnel: the connection the CONNECT asked for, the Host header the client sent. */
  const tunnelled = (req: IncomingMessage, t: TunnelTarget): Routed =>
    route({ secure: t.secure !== false, hostname: t.host, port: t.port, path: req.url ?? '/', hostHeader: req.headers.host ?? (t.port === (t.secure === false ? 80 : 443) ? t.host : `${t.host}:${t.port}`) }, t.mappable ?? false);
  const tunnels = new WeakMap<Socket, TunnelTarget>();
  /** CONNECT sockets leave the HTTP server's books: tracked here so shutdown can cut them. */
  const open = new Set<Socket>();

  // Plain HTTP, absolute-form: GET http://host/path HTTP/1.1.
  const server = createListener((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
      if (url.protocol !== 'http:') throw new Error('not http');
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(errorBody('invalid_request_error', 'this is a forward proxy: send absolute-form requests (http://host/path) or CONNECT'));
      return;
    }
    const { target, seen } = route(absolute(url), mappable(req));
    proxyExchange(ctx, req, res, target, seen);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => rejectMalformed(ctx, err, socket));
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    try {
      const { target, seen } = route(absolute(new URL(req.url ?? '')), mappable(req));
      relayUpgrade(ctx, req, socket, head, target, seen);
    } catch {
      socket.on('error', () => {});
      socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n');
    }
  });

  // Intercepted TLS connections (and plain HTTP in a tunnel) are served by an inner HTTP server that knows where each was going.
  const inner = createListener((req, res) => {
    const { target, seen } = tunnelled(req, tunnels.get(req.socket as Socket)!);
    proxyExchange(ctx, req, res, target, seen);
  });
  inner.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => rejectMalformed(ctx, err, socket, socket instanceof tls.TLSSocket));
  inner.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const { target, seen } = tunnelled(req, tunnels.get(socket)!);
    relayUpgrade(ctx, req, socket, head, target, seen);
  });

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    client.on('error', () => {});
    open.add(client);
    client.once('close', () => open.delete(client));
    const parsed = parseConnectTarget(req.url ?? '');
    if ('error' in parsed) {
      recordError(ctx, { clientIp: client.remoteAddress ?? null, isHttps: false, type: 'bad_request', message: `400: ${parsed.error}`, url: (req.url ?? '').slice(0, 2048), method: 'CONNECT' });
      client.end(badRequestResponse(400, parsed.error));
      return;
    }
    const target: TunnelTarget = { ...parsed, mappable: mappable(req) };
    client.write(CONNECT_ESTABLISHED);
    if (head.length > 0) client.unshift(head);
    if (isExcluded(target.host, o.excludedHosts)) return blindTunnel(client, target);
    client.once('readable', () => {
      const first = client.read() as Buffer | null;
      if (first === null) return client.destroy();
      client.unshift(first);
      if (first[0] === TLS_HANDSHAKE) return void intercept(client, target);
      if (HTTP_REQUEST_START.test(first.toString('latin1', 0, 24))) {
        tunnels.set(client, { ...target, secure: false });
        return void inner.emit('connection', client);
      }
      opaqueTunnel(client, target);
    });
  });

  async function intercept(client: Socket, target: TunnelTarget) {
    let sni: string | null = null;
    const clientIp = client.remoteAddress ?? null; // read now: a socket that failed its handshake forgets it
    let secureContext: tls.SecureContext;
    try {
      // Issued up front: a client that sends no SNI (an IP target) gets the CONNECT target's certificate.
      secureContext = await o.ca.contextFor(target.host);
    } catch (err) {
      o.log.warn(`cannot issue a certificate for ${target.host}: ${(err as Error).message}`);
      return client.destroy();
    }
    const tlsSocket = new tls.TLSSocket(client, {
      isServer: true,
      secureContext,
      ALPNProtocols: ['http/1.1'],
      SNICallback: (servername, cb) => {
        sni = servername;
        if (servername.toLowerCase() === target.host.toLowerCase()) return cb(null, secureContext);
        o.ca.contextFor(servername).then(
          (c) => cb(null, c),
          (err: Error) => cb(err),
        );
      },
    });
    let settled = false;
    tlsSocket.once('secure', () => {
      settled = true;
      tunnels.set(tlsSocket, target);
      inner.emit('connection', tlsSocket);
    });
    /** A handshake that did not finish: a row names the host, so a user can see which program does not trust the CA. */
    const failed = (type: 'client_tls_rejected' | 'client_aborted' | 'bad_request', message: (host: string) => string) => {
      if (settled) return;
      settled = true;
      const host = sni ?? target.host;
      recordError(ctx, { clientIp, isHttps: true, type, message: message(host), host, url: `https://${host}${target.port === 443 ? '' : `:${target.port}`}/`, port: target.port });
      tlsSocket.destroy();
    };
    // Whether ccproxy's side of the handshake (its certificate) went out: more than the CONNECT answer written.
    const certificateSent = () => client.bytesWritten > CONNECT_ESTABLISHED.length;
    tlsSocket.on('error', (err: NodeJS.ErrnoException) => {
      // A client that rejects the certificate says so with an alert; one that resets or closes went away.
      if (isConnectionLoss(err)) failed('client_aborted', (host) => describeClientTlsAbort(host, 'reset', certificateSent(), o.ca.certPath));
      else if (NOT_TLS.has(err.code ?? '')) failed('bad_request', (host) => `the client's bytes after CONNECT to ${host} began like TLS but are not a TLS handshake (${err.code})`);
      else failed('client_tls_rejected', (host) => describeClientTlsError(err, host, o.ca.certPath));
    });
    const closed = () => failed('client_aborted', (host) => describeClientTlsAbort(host, 'closed', certificateSent(), o.ca.certPath));
    tlsSocket.once('end', closed);
    tlsSocket.once('close', closed);
  }

  /**
   * A tunnel whose payload is neither TLS nor HTTP cannot be recorded. To another machine it passes blind, as any
   * HTTP proxy's would. To this machine's own ports (a database, ccproxy's own listeners) it is refused: ccproxy
   * would relay, unrecorded and as its own user, a connection to a local service; `excluded_hosts` lets one through.
   */
  function opaqueTunnel(client: Socket, target: TunnelTarget) {
    const refuse = (address: string) => {
      const message = `a CONNECT tunnel to ${target.host}:${target.port}${address !== target.host ? ` (${address})` : ''}, a port of this machine, carried neither TLS nor HTTP: ccproxy does not relay what it cannot record to local services (add ${target.host} to ccproxy.mitm.excluded_hosts to tunnel it blind)`;
      recordError(ctx, { clientIp: client.remoteAddress ?? null, isHttps: false, type: 'tunnel_refused', message, host: target.host, url: `${target.host}:${target.port}`, port: target.port, method: 'CONNECT' });
      client.destroy();
    };
    if (isLocalAddress(target.host)) return refuse(target.host);
    blindTunnel(client, target, (address) => (isLocalAddress(address) ? (refuse(address), false) : true));
  }

  /** Relays bytes both ways, untouched; `allow`, given the address the name resolved to, may still refuse. */
  function blindTunnel(client: Socket, target: TunnelTarget, allow: (address: string) => boolean = () => true) {
    const upstream = net.connect(target.port, target.host);
    upstream.setNoDelay(true);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.once('connect', () => {
      if (!allow(upstream.remoteAddress ?? '')) return upstream.destroy();
      client.pipe(upstream).pipe(client);
    });
  }


  const running = await listen(
    server,
    o.host,
    o.port,
    () => {
      inner.closeIdleConnections();
    },
    () => {
      cutUpgrades(ctx);
      inner.closeAllConnections();
      for (const s of open) s.destroy();
    },
    () => void ctx.upstream.destroy(),
    { masterKey: null, ...o.access, forward: true },
  );
  // A gateway of this process may send its requests' link to the reverse capture through here (link.ts).
  const unregister = registerForwardCapture(running.url, (host) => !isExcluded(host, o.excludedHosts));
  const close = running.close;
  running.close = () => {
    unregister();
    return close();
  };
  return running;
}

const CONNECT_ESTABLISHED = 'HTTP/1.1 200 Connection Established\r\n\r\n';
