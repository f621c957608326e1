// The link from a forward flow to the reverse flow that caused it, carried through the gateway on one internal
// header — pairing by session and time fails when a client sends two calls at once. The header only travels
// between parts of this process: the reverse capture adds it only on its way to a gateway running here, the
// gateway passes it on only through a forward capture running here that will intercept the request (and strip
// the header before the provider), and every capture point drops any it receives. It never reaches a provider.
import { unbracket } from '../host-name.js';

export const LINK_HEADER = 'x-ccproxy-parent-trace';

const gateways = new Set<string>();
const forwards = new Map<string, (host: string) => boolean>();

const keyOf = (u: URL) => `${unbracket(u.hostname).toLowerCase()}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;

/** A gateway listening at `url` in this process; returns its unregistration. */
export function registerGateway(url: string): () => void {
  const key = keyOf(new URL(url));
  gateways.add(key);
  return () => gateways.delete(key);
}

/** Whether a request to hostname:port goes to a gateway of this process (then the reverse capture links it). */
export function isGateway(hostname: string, port: number): boolean {
  return gateways.size > 0 && gateways.has(`${unbracket(hostname).toLowerCase()}:${port}`);
}

/** A forward capture listening at `url` in this process, which intercepts the hosts `intercepts` accepts. */
export function registerForwardCapture(url: string, intercepts: (host: string) => boolean): () => void {
  const key = keyOf(new URL(url));
  forwards.set(key, intercepts);
  return () => forwards.delete(key);
}

/**
 * Takes the link header out of a gateway's outgoing headers, and puts it back only when the request goes through
 * a forward capture of this process that will intercept it (and strip it): never straight to a provider, never
 * into a tunnel ccproxy does not open.
 */
export function carryLink(headers: Record<string, string | string[]>, target: URL, proxy: URL | null): void {
  const link = headers[LINK_HEADER];
  if (link === undefined) return;
  delete headers[LINK_HEADER];
  const intercepts = proxy ? forwards.get(keyOf(proxy)) : undefined;
  if (intercepts?.(target.hostname)) headers[LINK_HEADER] = Array.isArray(link) ? link[0]! : link;
}
