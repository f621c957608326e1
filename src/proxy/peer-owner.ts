// Which local user owns the other end of a loopback TCP connection, read from the kernel's socket tables
// (/proc/net/tcp, /proc/net/tcp6): the peer's socket is the row whose local end is our remote end and whose
// remote end is our local end, and that row names its owner's uid. Looked up once per connection, never cached
// beyond the connections that were already waiting to be accepted when a table was read.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import net from 'node:net';

export const TCP_TABLES = { v4: '/proc/net/tcp', v6: '/proc/net/tcp6' } as const;

/** The kernel prints addresses as 32-bit words in host byte order; ports big-endian. */
const LITTLE_ENDIAN = endianness() === 'LE';

/** Whether this system has the tables at all (Linux); elsewhere the peer cannot be checked this way. */
export function canCheckPeers(tables = TCP_TABLES): boolean {
  try {
    readFileSync(tables.v4, 'latin1');
    return true;
  } catch {
    return false;
  }
}

/** Whether an address is the machine's own (127.0.0.0/8, ::1, and their IPv4-mapped form). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || (net.isIPv4(a) && a.startsWith('127.'));
}

function word(bytes: number[]): string {
  const ordered = LITTLE_ENDIAN ? [...bytes].reverse() : bytes;
  return ordered.map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

/** An address as the kernel's table prints it: 8 hex digits for IPv4, 32 for IPv6. */
export function tableAddress(address: string, v6: boolean): string {
  const mapped = address.startsWith('::ffff:') && net.isIPv4(address.slice(7));
  if (!v6) return word((mapped ? address.slice(7) : address).split('.').map(Number));
  if (mapped || net.isIPv4(address)) return '0000000000000000' + word([0, 0, 0xff, 0xff]) + word((mapped ? address.slice(7) : address).split('.').map(Number));
  const bytes = ipv6Bytes(address);
  let out = '';
  for (let i = 0; i < 16; i += 4) out += word(bytes.slice(i, i + 4));
  return out;
}

function ipv6Bytes(address: string): number[] {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(':').filter((g) => g !== '') : []);
  const h = part(head);
  const t = part(tail);
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

const hexPort = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');

/** The uid in the row whose local end is `peer` and remote end is `own`, or null when the table has none. */
export function ownerInTable(table: string, peer: { address: string; port: number }, own: { address: string; port: number }, v6: boolean): number | null {
  const needle = ` ${tableAddress(peer.address, v6)}:${hexPort(peer.port)} ${tableAddress(own.address, v6)}:${hexPort(own.port)} `;
  const at = table.indexOf(needle);
  if (at < 0) return null;
  // Row: sl local rem st tx_queue:rx_queue tr:tm->when retrnsmt uid …; the needle ends after rem.
  const fields = table.slice(at + needle.length, table.indexOf('\n', at)).trim().split(/\s+/);
  const uid = Number(fields[4]);
  return Number.isInteger(uid) ? uid : null;
}

/**
 * The uid owning the peer of `socket`, or null when it cannot be told (not loopback, no table, no row). The peer
 * may hold an IPv4 socket while ours is IPv6 (an IPv4-mapped address), or an IPv6 one speaking to a mapped
 * address, so both tables are looked in.
 */
export function peerOwner(socket: net.Socket, tables = TCP_TABLES): number | null {
  return ownerIn(socket, (v6) => readTable(v6 ? tables.v6 : tables.v4));
}

function readTable(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

function ownerIn(socket: net.Socket, table: (v6: boolean) => string | null): number | null {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (!remoteAddress || !remotePort || !localAddress || !localPort || !isLoopback(remoteAddress)) return null;
  const peer = { address: remoteAddress, port: remotePort };
  const own = { address: localAddress, port: localPort };
  const v4Possible = net.isIPv4(remoteAddress) || remoteAddress.startsWith('::ffff:');
  const order: boolean[] = v4Possible ? [false, true] : [true];
  for (const v6 of order) {
    const t = table(v6);
    const uid = t === null ? null : ownerInTable(t, peer, own, v6);
    if (uid !== null) return uid;
  }
  return null;
}

/** Per listening port: the table read last for it, and how many connections were then waiting to be accepted. */
const waiting = new Map<number, { v6: boolean; table: string; left: number }>();

/**
 * peerOwner for a connection a listener has just accepted, called once for each, in the order they are accepted.
 * Each read of a table costs time in proportion to every TCP socket on the machine (some 20 ms for 5,000 here), so
 * a burst of thousands of connections reading one each held the event loop, and everyone else, for a minute. The
 * listening socket's row says how many connections were waiting in its accept queue when the table was read; the
 * kernel hands them over in order, so the next that many accepted were already there, and the same read holds
 * their peers' rows: they use it. Any other connection (or one whose row it lacks) gets a read of its own.
 */
export function acceptedPeerOwner(socket: net.Socket, tables = TCP_TABLES): number | null {
  const port = socket.localPort;
  if (!port) {
    waiting.clear(); // an accept that cannot be counted: no read is shared any more
    return peerOwner(socket, tables);
  }
  const batch = waiting.get(port);
  if (batch && batch.left-- > 0) {
    const uid = ownerIn(socket, (v6) => (v6 === batch.v6 ? batch.table : null));
    if (uid !== null) return uid;
  }
  waiting.delete(port);
  return ownerIn(socket, (v6) => {
    const table = readTable(v6 ? tables.v6 : tables.v4);
    const queued = table === null ? 0 : acceptQueue(table, socket.localAddress ?? '', port, v6);
    if (queued > 0) waiting.set(port, { v6, table: table!, left: queued });
    return table;
  });
}

/** How many connections the listener on `address`:`port` (or on every address) of this process had waiting to be accepted. */
export function acceptQueue(table: string, address: string, port: number, v6: boolean): number {
  const any = v6 ? '0'.repeat(32) : '0'.repeat(8);
  const uid = process.getuid?.();
  for (const local of [tableAddress(address, v6), any]) {
    const needle = ` ${local}:${hexPort(port)} ${any}:0000 0A `;
    const at = table.indexOf(needle);
    if (at < 0) continue;
    // After the state: tx_queue:rx_queue (for a listener, rx_queue is its accept queue) tr:tm->when retrnsmt uid …
    const fields = table.slice(at + needle.length, table.indexOf('\n', at)).trim().split(/\s+/);
    if (Number(fields[3]) !== uid) return 0;
    const queued = parseInt(fields[0]?.split(':')[1] ?? '', 16);
    return Number.isInteger(queued) ? queued : 0;
  }
  return 0;
}

/**
 * For a server that speaks something other than HTTP (the embedded database's PostgreSQL port): connections of
 * other users are closed before its own connection handlers see them (a burst shares one read of the socket
 * table, as acceptedPeerOwner does for HTTP listeners). Returns false when this cannot be checked.
 */
export function closeOthersConnections(server: net.Server): boolean {
  const owner = process.getuid?.();
  if (owner === undefined || !canCheckPeers()) return false;
  const handlers = server.listeners('connection') as ((s: net.Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: net.Socket) => {
    if ((isLoopback(socket.remoteAddress) ? acceptedPeerOwner(socket) : null) !== owner) {
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    for (const h of handlers) h.call(server, socket);
  });
  return true;
}
