// The viewer's HTTP server: loopback only, the project's access guard at the door (only this user's connections,
// only requests naming this listener as Host, no other origin: proxy/access.ts), then a signed-in browser: the
// token of a printed link is spent for an http-only SameSite=Strict cookie and the browser is sent to the clean
// URL. Signed in, /api/* is the JSON API (api.ts) and everything else the built page (static.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { guard } from '../proxy/access.js';
import { handleApi, type ApiContext } from './api.js';
import { ApiError, sendError, sendPage } from './respond.js';
import { DEFAULT_WEB_DIR, serveStatic } from './static.js';
import { cookieName, readCookie, Tokens } from './tokens.js';

export interface ViewerOptions extends Omit<ApiContext, 'tokens'> {
  /** 0: a free port. */
  port: number;
  /** Where the built page lives (dist/web). */
  webDir?: string;
  log: Logger;
}

export interface RunningViewer {
  port: number;
  /** `http://127.0.0.1:<port>/`, without a token: what status shows. */
  url: string;
  /** A new link that signs a browser in once, within a minute. */
  link(): string;
  close(): Promise<void>;
}

const isApi = (p: string) => p === '/api' || p.startsWith('/api/');

export async function startViewer(o: ViewerOptions): Promise<RunningViewer> {
  const tokens = new Tokens();
  const ctx: ApiContext = { ...o, tokens };
  const webDir = o.webDir ?? DEFAULT_WEB_DIR;
  let port = 0;
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      o.log.warn(`viewer: ${req.method} ${req.url?.split('?')[0]}: ${(err as Error).message}`);
      if (!res.headersSent) sendError(res, new ApiError(500, 'internal_error', (err as Error).message));
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // The guard lets a request without Host through (HTTP/1.0); the viewer wants its own name, always.
    if (!req.headers.host) return sendError(res, new ApiError(421, 'misdirected_request', 'a request to the viewer must name it in its Host header'));
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const name = cookieName(port);
    const token = url.searchParams.get('token');
    if (token !== null) {
      const cookie = tokens.redeem(token);
      if (cookie === null) {
        return isApi(url.pathname)
          ? sendError(res, new ApiError(403, 'forbidden', 'this viewer link has expired or was used already: run ccproxy ui for a new one'))
          : sendPage(res, 403, 'This link has expired or was used already', 'A viewer link works once, within a minute. Run ccproxy ui for a new one.');
      }
      url.searchParams.delete('token');
      res.writeHead(303, { location: url.pathname + url.search, 'set-cookie': `${name}=${cookie}; HttpOnly; SameSite=Strict; Path=/`, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
      res.end();
      return;
    }
    if (!tokens.signedIn(readCookie(req.headers.cookie, name))) {
      return isApi(url.pathname)
        ? sendError(res, new ApiError(401, 'authentication_error', 'not signed in: open the link ccproxy ui prints'))
        : sendPage(res, 401, 'Not signed in', 'Open the link that ccproxy ui prints: it signs this browser in.');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendError(res, new ApiError(405, 'method_not_allowed', `${req.method}: the viewer only reads (GET)`));
    }
    if (isApi(url.pathname)) return handleApi(req, res, url, ctx);
    serveStatic(req, res, url.pathname, webDir);
  }

  guard(server, { masterKey: null, warn: (m) => o.log.warn(m) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}/`;
  return {
    port,
    url: base,
    link: () => `${base}?token=${tokens.issue()}`,
    close: () =>
      new Promise<void>((resolve) => {
        o.live?.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
