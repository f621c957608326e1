import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import { test } from 'node:test';
import { acceptedPeerOwner, acceptQueue, canCheckPeers, isLoopback, ownerInTable, peerOwner, tableAddress, TCP_TABLES } from './peer-owner.js';

const linux = canCheckPeers() ? false : 'no /proc/net/tcp on this system';

/** A loopback connection on `host`: the server's side of it (whose peer is the client socket of this process). */
async function connection(host: string): Promise<{ accepted: net.Socket; close(): void }> {
  const server = net.createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const client = net.connect((server.address() as net.AddressInfo).port, host);
  const [socket] = (await accepted) as [net.Socket];
  return {
    accepted: socket,
    close: () => {
      client.destroy();
      socket.destroy();
      server.close();
    },
  };
}

test('addresses as the kernel prints them (this machine’s byte order)', () => {
  const le = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  assert.equal(tableAddress('127.0.0.1', false), le ? '0100007F' : '7F000001');
  assert.equal(tableAddress('::1', true), le ? '00000000000000000000000001000000' : '00000000000000000000000000000001');
  assert.equal(tableAddress('::ffff:127.0.0.1', true), le ? '0000000000000000FFFF00000100007F' : '00000000000000000000FFFF7F000001');
  assert.equal(tableAddress('::ffff:127.0.0.1', false), tableAddress('127.0.0.1', false));
});

test('loopback addresses', () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopback(a), a);
  for (const a of ['10.0.0.1', '::ffff:10.0.0.1', 'fe80::1', undefined]) assert.ok(!isLoopback(a), String(a));
});

test('the owner of a connection of this process, from the real /proc/net/tcp', { skip: linux }, async () => {
  const c = await connection('127.0.0.1');
  try {
    assert.equal(peerOwner(c.accepted), process.getuid!());
    const table = readFileSync(TCP_TABLES.v4, 'latin1');
    const s = c.accepted;
    assert.equal(ownerInTable(table, { address: s.remoteAddress!, port: s.remotePort! }, { address: s.localAddress!, port: s.localPort! }, false), process.getuid!());
    // Our own end is a row too, but the other way round: looking for it as the peer finds the accepted socket.
    assert.equal(ownerInTable(table, { address: s.localAddress!, port: s.localPort! }, { address: s.remoteAddress!, port: s.remotePort! }, false), process.getuid!());
    assert.equal(ownerInTable(table, { address: '127.0.0.1', port: 1 }, { address: '127.0.0.1', port: 2 }, false), null);
  } finally {
    c.close();
  }
});

test('the owner of an IPv6 loopback connection, from /proc/net/tcp6', { skip: linux }, async () => {
  const c = await connection('::1').catch(() => null);
  if (!c) return; // IPv6 disabled here
  try {
    assert.equal(c.accepted.remoteAddress, '::1');
    assert.equal(peerOwner(c.accepted), process.getuid!());
  } finally {
    c.close();
  }
});

test('an IPv4 client of a dual-stack server (an IPv4-mapped address)', { skip: linux }, async () => {
  const server = net.createServer();
  server.listen(0, '::');
  await once(server, 'listening').catch(() => null);
  if (!server.listening) return;
  const accepted = once(server, 'connection');
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const [socket] = (await accepted) as [net.Socket];
  try {
    assert.equal(socket.remoteAddress, '::ffff:127.0.0.1');
    assert.equal(peerOwner(socket), process.getuid!());
  } finally {
    client.destroy();
    socket.destroy();
    server.close();
  }
});

test('a peer that is not on loopback cannot be told', () => {
  assert.equal(peerOwner({ remoteAddress: '10.1.2.3', remotePort: 5, localAddress: '10.1.2.4', localPort: 6 } as net.Socket), null);
});

test('a listener\'s accept queue, from its row in the table', () => {
  const uid = process.getuid?.() ?? 0;
  const head = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  const row = (local: string, queued: number, owner: number) =>
    `   0: ${local} 00000000:0000 0A 00000000:${queued.toString(16).toUpperCase().padStart(8, '0')} 00:00000000 00000000 ${String(owner).padStart(5)}        0 12345 1 0000000000000000 100 0 0 10 0\n`;
  const port = 0x1f90;
  const own = `${tableAddress('127.0.0.1', false)}:1F90`;
  assert.equal(acceptQueue(head + row(own, 0x1c, uid), '127.0.0.1', port, false), 28);
  assert.equal(acceptQueue(head + row('00000000:1F90', 3, uid), '127.0.0.1', port, false), 3, 'a listener on every address');
  assert.equal(acceptQueue(head + row(own, 5, uid + 1), '127.0.0.1', port, false), 0, 'another user\'s listener');
  assert.equal(acceptQueue(head + row(own, 5, uid), '127.0.0.1', port + 1, false), 0, 'another port');
});

test('a burst of accepted connections: every peer\'s owner, tables shared only by those already waiting', { skip: linux }, async () => {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const owners: (number | null)[] = [];
  server.on('connection', (s: net.Socket) => owners.push(acceptedPeerOwner(s)));
  const clients = Array.from({ length: 300 }, () => net.connect((server.address() as net.AddressInfo).port, '127.0.0.1').on('error', () => {}));
  try {
    while (owners.length < clients.length) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(new Set(owners), new Set([process.getuid!()]));
  } finally {
    for (const c of clients) c.destroy();
    server.close();
  }
});
