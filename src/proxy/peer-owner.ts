// Who is at the other end of a loopback connection. ccproxy attaches the owner's credentials (a deployment's
// api_key, an oat_sources token) to what it forwards, so another user of the machine must not be served: on
// Linux the kernel lists every TCP socket with its owner's uid in /proc/net/tcp and /proc/net/tcp6, and the peer's
// socket is the one whose local address is our remote one. Checked once per connection, as it is accepted.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';

const TABLES = { 4: '/proc/net/tcp', 6: '/proc/net/tcp6' } as const;

/** An address and port as /proc/net/tcp{,6} print them: each 32-bit word in host (little-endian) order, in hex. */
export function procAddress(address: string, port: number): string {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  if (net.isIPv4(address)) return `${wordHex(address.split('.').map(Number))}:${hexPort}`;
  const bytes = ipv6Bytes(address);
  let out = '';
  for (let i = 0; i < 16; i += 4) out += wordHex(bytes.slice(i, i + 4));
  return `${out}:${hexPort}`;
}

function wordHex(bytes: number[]): string {
  return [...bytes].reverse().map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
}

function ipv6Bytes(address: string): number[] {
  let a = address.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4) {
    const p = v4[1]!.split('.').map(Number);
    a = `${a.slice(0, -v4[1]!.length)}${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const [head, tail] = a.includes('::') ? a.split('::') as [string, string] : [a, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const n = parseInt(g || '0', 16);
    return [n >> 8, n & 0xff];
  });
}

/** Where to look for the peer's socket: its address as the peer's own table prints it (v4 or v6, mapped or not). */
function candidates(peer: string, peerPort: number, local: string, localPort: number): { table: 4 | 6; key: string; rem: string }[] {
  const out: { table: 4 | 6; key: string; rem: string }[] = [];
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;
  const p4 = mapped.exec(peer)?.[1] ?? (net.isIPv4(peer) ? peer : null);
  const l4 = mapped.exec(local)?.[1] ?? (net.isIPv4(local) ? local : null);
  if (p4 && l4) out.push({ table: 4, key: procAddress(p4, peerPort), rem: procAddress(l4, localPort) });
  if (net.isIPv6(peer) && net.isIPv6(local)) out.push({ table: 6, key: procAddress(peer, peerPort), rem: procAddress(local, localPort) });
  else if (p4 && l4) out.push({ table: 6, key: procAddress(`::ffff:${p4}`, peerPort), rem: procAddress(`::ffff:${l4}`, localPort) });
  return out;
}

/** The uid in the table's line whose local address is `key` and remote address `rem`, or null. */
export function findUid(table: string, key: string, rem: string): number | null {
  let at = table.indexOf(` ${key} ${rem} `);
  if (at < 0) return null;
  const end = table.indexOf('\n', at);
  const fields = table.slice(at, end < 0 ? undefined : end).trim().split(/\s+/);
  // local, remote, st, tx:rx, tr:when, retrnsmt, uid
  const uid = Number(fields[6]);
  return Number.isInteger(uid) ? uid : null;
}

/** Whether this machine can say who owns a loopback connection. */
export function canCheckPeers(): boolean {
  try {
    readFileSync(TABLES[4], { encoding: 'utf8', flag: 'r' }).slice(0, 1);
    return true;
  } catch {
    return false;
  }
}

/**
 * The uid owning the other end of `socket`; null when it is not on this machine's loopback or cannot be found
 * (the tables are missing, or the peer has already gone).
 */
export function peerUid(socket: Duplex & { remoteAddress?: string; remotePort?: number; localAddress?: string; localPort?: number }): number | null {
  const { remoteAddress: peer, remotePort: peerPort, localAddress: local, localPort } = socket;
  if (!peer || !peerPort || !local || !localPort) return null;
  for (const c of candidates(peer, peerPort, local, localPort)) {
    let text: string;
    try {
      text = readFileSync(TABLES[c.table], 'utf8');
    } catch {
      continue;
    }
    const uid = findUid(text, c.key, c.rem);
    if (uid !== null) return uid;
  }
  return null;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.replace(/^::ffff:/i, '');
  return a === '::1' || (net.isIPv4(a) && a.startsWith('127.'));
}

const REFUSED = Symbol('ccproxy.refusedPeer');

/** True for a connection of another user, already answered 403 and closing: serve nothing on it. */
export function refusedPeer(socket: object): boolean {
  return (socket as { [REFUSED]?: boolean })[REFUSED] === true;
}

/**
 * Makes `server` answer loopback connections of other users with one 403 and nothing else. Runs before the HTTP
 * parser sees a byte; the request, upgrade and CONNECT handlers skip sockets marked refused. Returns false when
 * this machine cannot tell (no /proc/net/tcp, or no uids): the caller says so.
 */
export function serveOwnerOnly(server: net.Server): boolean {
  const owner = process.getuid?.();
  if (owner === undefined || !canCheckPeers()) return false;
  server.prependListener('connection', (socket: net.Socket) => {
    // Only loopback peers can be looked up; a listener on another address is the user's explicit choice.
    if (!isLoopback(socket.remoteAddress)) return;
    const uid = peerUid(socket);
    if (uid === owner) return;
    (socket as unknown as { [REFUSED]: boolean })[REFUSED] = true;
    const message =
      uid === null
        ? `ccproxy serves only its owner (uid ${owner}) and cannot tell which user this connection comes from`
        : `ccproxy serves only its owner (uid ${owner}); this connection comes from uid ${uid}, which may not use the owner's credentials`;
    const body = JSON.stringify({ type: 'error', error: { type: 'permission_error', message } });
    socket.on('error', () => {});
    socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  return true;
}

/**
 * For a server that speaks something other than HTTP (the embedded database's PostgreSQL port): connections of
 * other users are closed before its own connection handlers see them. Returns false when this cannot be checked.
 */
export function closeOthersConnections(server: net.Server, onRefused: (uid: number | null) => void = () => {}): boolean {
  const owner = process.getuid?.();
  if (owner === undefined || !canCheckPeers()) return false;
  const handlers = server.listeners('connection') as ((s: net.Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: net.Socket) => {
    const uid = isLoopback(socket.remoteAddress) ? peerUid(socket) : null;
    if (uid !== owner) {
      socket.on('error', () => {});
      socket.destroy();
      onRefused(uid);
      return;
    }
    for (const h of handlers) h.call(server, socket);
  });
  return true;
}
