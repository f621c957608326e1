// Starting and stopping a capture listener: bind, report the address, and a shutdown that never hangs.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError } from '../errors.js';
import { guard, type AccessPolicy } from './access.js';
import type { CaptureOptions, ExchangeContext } from './context.js';

export interface RunningProxy {
  server: http.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Node's default; requests past it get 431. */
export const MAX_HEADER_BYTES = 16 * 1024;
/**
 * How long a connection may take to send a request's headers (from its opening, or the end of its previous
 * response): past it, 408 and the connection is closed, so connections that never send anything (or send headers
 * a byte a minute) do not pile up. Node's usual value, which `requestTimeout: 0` would otherwise turn off.
 */
export const HEADERS_TIMEOUT_MS = 60_000;

/** An HTTP server as every capture listener needs it: Node's header limit (431 past it), no Nagle delay, no
 * request timeout — an LLM request may legitimately take minutes — but a time limit on the headers. */
export function createListener(handler: http.RequestListener): http.Server {
  return http.createServer({ maxHeaderSize: MAX_HEADER_BYTES, noDelay: true, requestTimeout: 0, headersTimeout: HEADERS_TIMEOUT_MS }, handler);
}

/** How long streams still running at shutdown get to end before they are cut. */
const CLOSE_GRACE_MS = 2_000;

/** While closing, how often connections whose last response has ended are looked for and closed. */
const IDLE_SWEEP_MS = 25;

/**
 * `onClose` runs as closing starts; `cutAll` when the grace period is over (for sockets the server does not track);
 * `onClosed` once no connection is left (the upstream pool of exchanges still running must outlive them).
 * Every listener serves only its owner and its own names (access.ts); `access` adds the master key and the
 * listener's kind.
 */
export async function listen(
  server: http.Server,
  host: string,
  port: number,
  onClose: () => void,
  cutAll: () => void = () => {},
  onClosed: () => void = () => {},
  access: AccessPolicy = { masterKey: null },
): Promise<RunningProxy> {
  guard(server, access);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  // Responses not yet begun when closing starts say `Connection: close`, so no client sends another request on a
  // connection that is about to go; connections whose response has ended are closed as soon as they are idle.
  const unanswered = new Set<http.ServerResponse>();
  let closing = false;
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (closing) res.shouldKeepAlive = false;
    unanswered.add(res);
    res.once('close', () => unanswered.delete(res));
  });
  return {
    server,
    port: actual,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const res of unanswered) if (!res.headersSent) res.shouldKeepAlive = false;
        let done = false;
        server.close(() => {
          done = true;
          clearInterval(sweep);
          onClosed();
          resolve();
        });
        server.closeIdleConnections();
        const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
        sweep.unref();
        onClose();
        setTimeout(() => {
          clearInterval(sweep);
          if (done) return;
          server.closeAllConnections();
          cutAll();
          onClosed();
          setTimeout(resolve, 200).unref();
        }, CLOSE_GRACE_MS).unref();
      }),
  };
}

/** Upgraded connections still open when the grace period is over are cut (their rows say so). */
export function cutUpgrades(ctx: ExchangeContext): void {
  for (const u of [...(ctx.upgrades ?? [])]) u.cut();
}

export interface ListenSettings {
  host: string;
  port: number;
  /** Where the port came from (`--port`, `CCPROXY_MITM_PORT`, a file and key, the default). */
  portSource: string;
  /** How to choose another port, and another address. */
  portHint: string;
  hostHint: string;
}

/** Listens, turning "in use", "no such address" and "not allowed" into one message naming the port and its setting. */
export async function listenOrExplain<T>(start: () => Promise<T>, at: ListenSettings): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new UserError(`port ${at.port} on ${at.host} is in use (from ${at.portSource}); choose another with ${at.portHint}`);
    if (e.code === 'EADDRNOTAVAIL') throw new UserError(`cannot listen on ${at.host}: no such local address (${at.hostHint})`);
    if (e.code === 'EACCES') throw new UserError(`not allowed to listen on port ${at.port} (from ${at.portSource}); choose another with ${at.portHint}`);
    throw err;
  }
}
