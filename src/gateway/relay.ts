// Sending a request on to the provider and streaming its answer back untouched: headers at once, each chunk (each
// SSE event) as it arrives, provider errors as they are. A refused oat_sources token is read again and the request
// retried once; a provider the gateway (or the forward capture) cannot reach gets a 502/504 naming the deployment.
import type http from 'node:http';
import type { Readable } from 'node:stream';
import { endToEnd } from '../proxy/hop.js';
import { carryLink } from '../proxy/link.js';
import type { Deployment } from './config.js';
import { setOatHeaders, type CredentialChoice } from './credentials.js';
import type { GatewayParts } from './dispatch.js';
import { sendError } from './http-io.js';
import { Failover, type Send } from './router/exchange.js';
import { classifyOutboundError } from './upstream.js';

export interface Outbound {
  origin: string;
  /** Path and query. */
  path: string;
  method: string;
  headers: Record<string, string | string[]>;
  /** A routed request's rewritten body, or a passed-through request's own stream (no retry then). */
  body: Buffer | Readable | null;
  d: Deployment;
  choice: CredentialChoice;
  /** The router's attempt (it may throw Failover: the router then answers the client), else the dispatcher. */
  send?: Send;
}

export async function forward(p: GatewayParts, res: http.ServerResponse, o: Outbound): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const target = new URL(o.origin);
  carryLink(o.headers, target, p.upstream.ws.proxyFor(target));
  const request = { origin: o.origin, path: o.path, method: o.method as 'POST', headers: o.headers, body: o.body, signal: abort.signal };
  const send = () => (o.send ? o.send(request) : p.upstream.dispatcher.request(request));
  let up: Awaited<ReturnType<typeof send>>;
  try {
    up = await send();
    // An oat_sources token the provider refuses: read the source again and, if the token changed, retry once.
    if (up.statusCode === 401 && o.choice.kind === 'oat' && (o.body === null || Buffer.isBuffer(o.body))) {
      const refused = await up.body.arrayBuffer();
      let fresh: string | null = null;
      try {
        fresh = await p.oat.refresh(o.choice.oatSource!, o.choice.oatToken!);
      } catch (err) {
        p.log.warn(`${(err as Error).message}`);
      }
      if (fresh && fresh !== o.choice.oatToken) {
        p.log.info(`oat_sources.${o.choice.oatSource!.provider}: the provider refused the cached token; retrying with a fresh one`);
        setOatHeaders(o.headers, o.d, fresh, o.choice.oatSource!);
        up = await send();
      } else {
        res.writeHead(401, endToEnd(up.headers as http.IncomingHttpHeaders) as http.OutgoingHttpHeaders);
        res.end(Buffer.from(refused));
        return;
      }
    }
  } catch (err) {
    if (err instanceof Failover) throw err;
    if (abort.signal.aborted) return;
    const e = classifyOutboundError(err);
    return unreachable(p, res, o, e.status, e.type, e.message);
  }
  // The forward capture could not reach the provider (its 502/504 carries x-ccproxy-error): say so as the gateway
  // does for its own network failures, naming the deployment.
  const captureError = up.headers['x-ccproxy-error'];
  if (typeof captureError === 'string' && up.statusCode >= 502) {
    const text = await up.body.text().catch(() => '');
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
    } catch {
      /* not JSON: keep the text */
    }
    return unreachable(p, res, o, up.statusCode, captureError, message);
  }
  res.writeHead(up.statusCode, endToEnd(up.headers as http.IncomingHttpHeaders) as http.OutgoingHttpHeaders);
  // Headers leave with the first chunk when it is already here, else on the next turn: a stream's headers never
  // wait for its first event.
  setImmediate(() => {
    if (!res.headersSent && !res.destroyed) res.flushHeaders();
  });
  const body = up.body;
  body.on('error', (err) => {
    if (!abort.signal.aborted) p.log.warn(`"${o.d.name}": the response broke off: ${err.message}`);
    res.destroy();
  });
  body.pipe(res);
}

/** The deployment could not be reached (by the gateway, or by the forward capture on its behalf): 502/504 naming it. */
function unreachable(p: GatewayParts, res: http.ServerResponse, o: Outbound, status: number, type: string, message: string): void {
  p.log.warn(`"${o.d.name}" (${o.origin}): ${type}: ${message}`);
  sendError(res, status, 'proxy_error', `ccproxy could not reach deployment "${o.d.name}" (${o.origin}): ${message}`, { error_type: type, deployment: o.d.name, upstream: o.origin });
}
