// Opening the Responses WebSocket to a deployment as the gateway's HTTP calls reach it: the same trusted CAs and,
// when HTTPS_PROXY (HTTP_PROXY for ws://) applies, through that proxy with CONNECT — so the daemon's forward
// capture intercepts and records it like any HTTPS exchange. An upgrade the provider refuses is reported with its
// status, headers and body, so the client can be told exactly what the provider said.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import WebSocket from 'ws';
import type { WsUpstreamSettings } from './upstream.js';
import { unbracket } from '../host-name.js';
import { carryLink } from '../proxy/link.js';

/** A refused upgrade's body is read up to this much (it is an error message). */
const MAX_REFUSAL_BODY = 64 * 1024;
/** The largest message relayed (the `ws` default, 100 MiB: a Responses request carries the whole conversation). */
export const MAX_WS_MESSAGE = 100 * 1024 * 1024;

export type UpstreamSocket =
  | { kind: 'open'; ws: WebSocket; headers: http.IncomingHttpHeaders }
  | { kind: 'refused'; status: number; headers: http.IncomingHttpHeaders; body: Buffer }
  | { kind: 'failed'; message: string };

/** Connects to `url` (ws: or wss:) with `headers`; resolves once the upgrade is answered either way, or failed. */
export function connectUpstream(url: URL, headers: Record<string, string | string[]>, s: WsUpstreamSettings): Promise<UpstreamSocket> {
  return new Promise((resolve) => {
    const proxy = s.proxyFor(url);
    // The client's link goes on only through a forward capture of this process that will intercept the connection.
    carryLink(headers, url, proxy);
    const secure = url.protocol === 'wss:';
    const ws = new WebSocket(url, {
      headers: headers as Record<string, string>,
      perMessageDeflate: true,
      maxPayload: MAX_WS_MESSAGE,
      handshakeTimeout: s.connectTimeoutMs,
      ...(s.ca ? { ca: s.ca } : {}),
      ...(proxy ? { createConnection: viaProxy(proxy, url, secure, s) } : {}),
    } as WebSocket.ClientOptions);
    let settled = false;
    const settle = (v: UpstreamSocket) => {
      if (!settled) {
        settled = true;
        resolve(v);
      }
    };
    ws.on('error', (err) => settle({ kind: 'failed', message: err.message }));
    ws.on('upgrade', (res) => {
      ws.once('open', () => settle({ kind: 'open', ws, headers: res.headers }));
    });
    ws.on('unexpected-response', (req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_REFUSAL_BODY) chunks.push(c.subarray(0, MAX_REFUSAL_BODY - size));
        size += c.length;
      });
      const done = () => {
        settle({ kind: 'refused', status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) });
        req.destroy();
      };
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
  });
}

type Created = (err: Error | null, socket?: Duplex) => void;

/** A createConnection for `ws`: a CONNECT tunnel through `proxy`, then TLS to the target for wss:. */
function viaProxy(proxy: URL, target: URL, secure: boolean, s: WsUpstreamSettings) {
  return (_opts: unknown, created: Created): undefined => {
    const port = target.port || (secure ? '443' : '80');
    const authority = `${target.hostname}:${port}`;
    const auth = proxy.username ? { 'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` } : {};
    const request = (proxy.protocol === 'https:' ? https : http).request({
      host: unbracket(proxy.hostname),
      port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...auth },
      timeout: s.connectTimeoutMs,
      ...(s.ca ? { ca: s.ca } : {}),
    });
    request.once('timeout', () => request.destroy(new Error(`the proxy ${proxy.host} did not answer CONNECT ${authority} within ${s.connectTimeoutMs / 1000}s`)));
    request.once('error', (err) => created(err));
    request.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        created(new Error(`the proxy ${proxy.host} refused CONNECT ${authority}: ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
        return;
      }
      if (!secure) return created(null, socket);
      const host = unbracket(target.hostname);
      const t = tls.connect({ socket, host, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'], ...(s.ca ? { ca: s.ca } : {}) });
      t.once('secureConnect', () => created(null, t));
      t.once('error', (err) => created(err));
    });
    request.end();
    return undefined;
  };
}
