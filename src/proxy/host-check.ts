// Loopback listeners answer only requests addressed to them. A web page can make a browser send requests to
// 127.0.0.1 (a simple cross-origin POST needs no preflight) or, by DNS rebinding, under its own name: a Host that is
// not one of the listener's own names, or an Origin from another site, is refused before anything is forwarded.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** The names every loopback listener answers to, besides the address the connection arrived on. */
export const OWN_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** `name` (lower case, IPv6 in brackets) and port of a Host value; null when it cannot be read. */
export function splitHost(value: string): { name: string; port: number | null } | null {
  const v = value.trim().toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]/\s@]+)(?::(\d{1,5}))?$/.exec(v);
  if (!m) return null;
  return { name: m[1]!.replace(/\.$/, ''), port: m[2] === undefined ? null : Number(m[2]) };
}

function addressName(address: string | undefined): string | null {
  if (!address) return null;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a.includes(':') ? `[${a}]` : a;
}

/** Why this request is not for this listener (a sentence for the client), or null when it is. */
export function foreignReason(req: IncomingMessage, extraNames: readonly string[] = []): string | null {
  const localPort = req.socket.localPort;
  const own = new Set([...OWN_NAMES, ...extraNames.map((n) => n.toLowerCase())]);
  const local = addressName(req.socket.localAddress);
  if (local) own.add(local);
  const isOwn = (value: string, defaultPort: number): boolean => {
    const h = splitHost(value);
    return h !== null && own.has(h.name) && (h.port ?? defaultPort) === localPort;
  };
  const host = req.headers.host;
  // HTTP/1.0 clients may send no Host; browsers always do.
  if (host !== undefined && !isOwn(host, 80)) {
    return `Host "${host}" is not this ccproxy listener (127.0.0.1, localhost or [::1] with port ${localPort}): refused, as a web page reaching it by DNS rebinding would be`;
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let ok = false;
    try {
      const u = new URL(origin);
      // Any port: a page served from this machine is local software, and the main port passes Origin on to the
      // gateway unchanged. A page from elsewhere, or under a rebound name, has another name.
      ok = (u.protocol === 'http:' || u.protocol === 'https:') && own.has(splitHost(u.host)?.name ?? '');
    } catch {
      ok = false;
    }
    if (!ok) return `Origin "${origin}" is another site: ccproxy does not serve cross-origin requests from web pages`;
  }
  return null;
}

function errorJson(message: string): string {
  return JSON.stringify({ type: 'error', error: { type: 'permission_error', message } });
}

/** Answers 403 and returns true when the request is foreign; the connection is closed after the answer. */
export function refuseForeign(req: IncomingMessage, res: ServerResponse, extraNames: readonly string[] = []): boolean {
  const reason = foreignReason(req, extraNames);
  if (reason === null) return false;
  req.resume();
  const body = errorJson(reason);
  res.writeHead(403, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
  return true;
}

/** The same for an upgrade request, answered on the raw socket. */
export function refuseForeignUpgrade(req: IncomingMessage, socket: Duplex, extraNames: readonly string[] = []): boolean {
  const reason = foreignReason(req, extraNames);
  if (reason === null) return false;
  const body = errorJson(reason);
  socket.on('error', () => {});
  socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  return true;
}
