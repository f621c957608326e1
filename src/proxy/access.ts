// Who may use a listener: only the local user running ccproxy (told by the kernel for loopback connections, see
// peer-owner.ts) or whoever presents general_settings.master_key; and only requests addressed to the listener by
// one of its own names (Host) and not sent by a web page of another origin (Origin), so that no page can reach
// ccproxy through the browser, DNS rebinding included. Checked at the server's door for every request, CONNECT
// and upgrade, before any handler sees it; the peer's owner is looked up once per connection.
import type http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import type { Duplex } from 'node:stream';
import { acceptedPeerOwner, canCheckPeers, isLoopback } from './peer-owner.js';
import { errorBody } from '../error-body.js';

/** LiteLLM's header for its master key (`general_settings.master_key`); never clashes with a provider's own. */
export const MASTER_KEY_HEADER = 'x-litellm-api-key';

export interface AccessPolicy {
  /** general_settings.master_key, or null. */
  masterKey: string | null;
  /** Accept `Authorization: Bearer <master_key>` as well (the gateway, as LiteLLM does). */
  bearer?: boolean;
  /** A forward proxy: absolute-form requests and CONNECT name other hosts by design; only origin-form ones are checked. */
  forward?: boolean;
  /** Other listeners' names (`host:port`) whose pages' requests reach this one through them (the main entry's, for the gateway behind it). */
  originsAlso?: Set<string>;
  /** Warned once when the peer cannot be checked on this system. */
  warn?: (message: string) => void;
}

export interface Refused {
  status: number;
  type: string;
  message: string;
}

const OWNER = process.getuid?.() ?? null;
const PEER_UID = Symbol('ccproxy.peerUid');
type CheckedSocket = Socket & { [PEER_UID]?: number | null };

let warnedUnchecked = false;

/** Whether `key` equals the master key, in constant time. */
function sameKey(key: string | undefined, master: string): boolean {
  if (key === undefined) return false;
  const a = Buffer.from(key);
  const b = Buffer.from(master);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The master key the request presents, if any: x-litellm-api-key, or with `bearer` an Authorization equal to it. */
export function presentsMasterKey(req: http.IncomingMessage, policy: AccessPolicy): boolean | null {
  const master = policy.masterKey;
  if (master === null) return null;
  const header = req.headers[MASTER_KEY_HEADER];
  if (typeof header === 'string') return sameKey(header.trim(), master);
  const auth = req.headers.authorization;
  if (policy.bearer && typeof auth === 'string' && auth.startsWith('Bearer ') && sameKey(auth.slice(7).trim(), master)) return true;
  return false;
}

/** The names this listener answers to: loopback names with its port, and its own address when bound to one or to all. */
export function ownHosts(address: AddressInfo): Set<string> {
  const port = address.port;
  const names = new Set<string>();
  const add = (h: string) => names.add(`${h.includes(':') ? `[${h}]` : h}:${port}`.toLowerCase());
  for (const h of ['127.0.0.1', 'localhost', '::1']) add(h);
  const bound = address.address;
  if (bound === '0.0.0.0' || bound === '::') {
    add(os.hostname());
    for (const list of Object.values(os.networkInterfaces())) for (const i of list ?? []) add(i.address.replace(/%.*$/, ''));
  } else {
    add(bound.startsWith('::ffff:') ? bound.slice(7) : bound);
  }
  return names;
}

function refuse(status: number, type: string, message: string): Refused {
  return { status, type, message };
}

/** Why `req` on `server` is refused, or null when it may pass. */
export function checkRequest(req: http.IncomingMessage, server: http.Server, policy: AccessPolicy, hosts: () => Set<string>): Refused | null {
  const url = req.url ?? '/';
  const proxied = policy.forward && (req.method === 'CONNECT' || !url.startsWith('/'));
  if (!proxied) {
    const host = req.headers.host?.toLowerCase();
    if (host !== undefined && !hosts().has(host)) {
      return refuse(421, 'misdirected_request', `Host "${req.headers.host}" is not this ccproxy listener (it answers to ${[...hosts()].slice(0, 3).join(', ')}); a request naming another host may come from a web page through DNS rebinding`);
    }
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !hosts().has(originHost(origin)) && !policy.originsAlso?.has(originHost(origin))) {
    return refuse(403, 'forbidden', `Origin "${origin}" may not use ccproxy: browser pages of other origins are refused`);
  }
  const key = presentsMasterKey(req, policy);
  if (key === true) return null;
  if (key === false && req.headers[MASTER_KEY_HEADER] !== undefined) return refuse(401, 'authentication_error', `${MASTER_KEY_HEADER}: not the master key (general_settings.master_key)`);
  const socket = req.socket as CheckedSocket;
  const uid = socket[PEER_UID] ?? null;
  if (uid !== null && uid === OWNER) return null;
  const needKey = `send the master key (general_settings.master_key) in the ${MASTER_KEY_HEADER} header`;
  if (uid !== null) {
    return policy.masterKey !== null
      ? refuse(401, 'authentication_error', `this connection comes from uid ${uid}, not ccproxy's owner (uid ${OWNER}): ${needKey}`)
      : refuse(403, 'forbidden', `ccproxy serves only its owner (uid ${OWNER}); this connection comes from uid ${uid}`);
  }
  if (policy.masterKey !== null) return refuse(401, 'authentication_error', `ccproxy cannot tell who owns this connection (from ${socket.remoteAddress}): ${needKey}`);
  if (!isLoopback(socket.remoteAddress)) {
    return refuse(403, 'forbidden', `this connection comes from ${socket.remoteAddress}, not this machine, and no master key is configured: set general_settings.master_key in config.yaml to let other machines in`);
  }
  if (!peerChecks) return null;
  // Loopback, tables readable, but no row: the peer is gone already, or in another network namespace.
  return refuse(403, 'forbidden', `ccproxy serves only its owner (uid ${OWNER}); the owner of this connection could not be found`);
}

function originHost(origin: string): string {
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' || u.protocol === 'https:' ? `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}` : '';
  } catch {
    return '';
  }
}

const peerChecks = OWNER !== null && canCheckPeers();

/** A refusal as an HTTP response on a socket (CONNECT, upgrade), closing it. */
function writeRefusal(socket: Duplex, r: Refused): void {
  const body = errorBody(r.type, r.message);
  socket.on('error', () => {});
  socket.end(`HTTP/1.1 ${r.status} ${statusText(r.status)}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

const statusText = (s: number) => ({ 401: 'Unauthorized', 403: 'Forbidden', 421: 'Misdirected Request' })[s] ?? 'Forbidden';

/**
 * Puts `policy` at the door of `server`: every connection's peer owner is read as it is accepted, and every
 * request, CONNECT and upgrade is checked before the server's own handlers see it.
 */
export function guard(server: http.Server, policy: AccessPolicy): void {
  if (!peerChecks && !warnedUnchecked && policy.masterKey === null) {
    warnedUnchecked = true;
    policy.warn?.(`this system does not tell which user owns a local connection (no /proc/net/tcp): any local user can use ccproxy; set general_settings.master_key to require a key`);
  }
  server.on('connection', (socket: CheckedSocket) => {
    socket[PEER_UID] = peerChecks ? acceptedPeerOwner(socket) : null;
  });
  let hosts: Set<string> | null = null;
  const ownNames = () => (hosts ??= ownHosts(server.address() as AddressInfo));
  const emit = server.emit.bind(server);
  server.emit = ((event: string, ...args: unknown[]) => {
    if (event === 'request' || event === 'connect' || event === 'upgrade') {
      const req = args[0] as http.IncomingMessage;
      const refused = checkRequest(req, server, policy, ownNames);
      if (refused) {
        if (event === 'request') {
          const res = args[1] as http.ServerResponse;
          const body = errorBody(refused.type, refused.message);
          req.resume();
          res.writeHead(refused.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        } else {
          writeRefusal(args[1] as Duplex, refused);
        }
        return true;
      }
    }
    return emit(event, ...args);
  }) as typeof server.emit;
}
