// The link from a provider-side flow to the client's flow that caused it, carried through the gateway on one
// internal header — pairing by session and time fails when a client sends two calls at once. The header only
// travels between parts of this process: a capture adds it only on its way to a gateway running here (the reverse
// capture; the forward capture when map_remote sends a request there, or to the reverse capture in front of it),
// the gateway passes it on only through a forward capture running here that will intercept the request (and strip
// the header before the provider), and a capture point takes only a link this process wrote (it carries a secret
// of the process) and drops any it receives. It never reaches a provider. A request that reaches the reverse
// capture with a link is a hop of a flow already captured (a mapped request): the reverse capture passes it and
// its link on to the gateway and records no second row of it.
import { randomBytes } from 'node:crypto';
import { unbracket } from '../host-name.js';

export const LINK_HEADER = 'x-ccproxy-parent-trace';

/** Known only inside this process: a link without it was not written here, and is dropped. */
const SECRET = randomBytes(16).toString('hex');

/** The link header's value naming `traceId`. */
export const linkValue = (traceId: string): string => `${traceId} ${SECRET}`;

/** The trace a link header names when this process wrote it; undefined when absent, forged or another's. */
export function readLink(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const i = v.lastIndexOf(' ');
  return i > 0 && v.slice(i + 1) === SECRET ? v.slice(0, i) : undefined;
}

/**
 * What a capture point takes from a request's link header: the request's headers without it, the flow that
 * caused it (`parentId`, at the forward capture) or, at the reverse capture, the flow a forward capture of this
 * process recorded it as (`hopOf`: the exchange is relayed with that link and not recorded again).
 */
export function takeLink<H extends Record<string, unknown>>(direction: 'reverse' | 'forward', headers: H): { headers: H; parentId?: string; hopOf?: string } {
  const link = headers[LINK_HEADER] as string | string[] | undefined;
  if (link === undefined) return { headers };
  const rest = { ...headers };
  delete rest[LINK_HEADER];
  const linked = readLink(link);
  return direction === 'forward' ? { headers: rest, parentId: linked } : { headers: rest, hopOf: linked };
}

const gateways = new Set<string>();
const forwards = new Map<string, (host: string) => boolean>();
/** The reverse captures of this process, by port: the hosts they listen on. */
const reverses = new Map<number, string>();

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

const LOOPBACK = /^(127\.|::1$|localhost$)/;
const WILDCARD = new Set(['0.0.0.0', '::']);

/** A reverse capture listening at `url` in this process; returns its unregistration. */
export function registerReverseCapture(url: string): () => void {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  reverses.set(port, unbracket(u.hostname).toLowerCase());
  return () => reverses.delete(port);
}

/** Whether a request to hostname:port goes to a reverse capture of this process (a mapped request's hop). */
export function isReverseCapture(hostname: string, port: number): boolean {
  const listening = reverses.get(port);
  if (listening === undefined) return false;
  const host = unbracket(hostname).toLowerCase();
  return host === listening || (LOOPBACK.test(host) && (LOOPBACK.test(listening) || WILDCARD.has(listening)));
}

/**
 * Whether a capture's request goes on to a part of this process that links what it causes to the flow sending it:
 * a gateway (from either capture), or the reverse capture in front of one (from the forward capture, by map_remote).
 */
export function linksOut(direction: 'reverse' | 'forward', target: { hostname: string; port: number }): boolean {
  return isGateway(target.hostname, target.port) || (direction === 'forward' && isReverseCapture(target.hostname, target.port));
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
