// Starting and stopping a capture listener: bind, report the address, and a shutdown that never hangs.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RunningProxy {
  server: http.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Node's default; requests past it get 431. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** An HTTP server as every capture listener needs it: Node's header limit (431 past it), no Nagle delay, and no
 * request timeout — an LLM request may legitimately take minutes. */
export function createListener(handler: http.RequestListener): http.Server {
  return http.createServer({ maxHeaderSize: MAX_HEADER_BYTES, noDelay: true, requestTimeout: 0 }, handler);
}

/** How long streams still running at shutdown get to end before they are cut. */
const CLOSE_GRACE_MS = 2_000;

/** `onClose` runs as closing starts; `cutAll` when the grace period is over (for sockets the server does not track). */
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
        setTimeout(() => {
          server.closeAllConnections();
          cutAll();
          setTimeout(resolve, 200).unref();
        }, CLOSE_GRACE_MS).unref();
      }),
  };
}
