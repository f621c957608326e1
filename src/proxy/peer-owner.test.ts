import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { canCheckPeers, findUid, isLoopback, peerUid, procAddress } from './peer-owner.js';

test('addresses are written as the kernel prints them', () => {
  assert.equal(procAddress('127.0.0.1', 0x6448), '0100007F:6448');
  assert.equal(procAddress('::1', 4369), '00000000000000000000000001000000:1111');
  assert.equal(procAddress('::ffff:127.0.0.1', 80), '0000000000000000FFFF00000100007F:0050');
  const table = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   1: 0100007F:D2F0 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 7376 1\n';
  assert.equal(findUid(table, '0100007F:D2F0', '0100007F:1F90'), 1000);
  assert.equal(findUid(table, '0100007F:1F90', '0100007F:D2F0'), null);
  assert.ok(isLoopback('127.0.0.5') && isLoopback('::1') && isLoopback('::ffff:127.0.0.1') && !isLoopback('10.0.0.1'));
});

test('the owner of a real loopback connection is found, over IPv4 and IPv6', { skip: !canCheckPeers() && 'no /proc/net/tcp here' }, async () => {
  for (const host of ['127.0.0.1', '::1']) {
    const server = net.createServer();
    server.listen(0, host);
    await once(server, 'listening');
    const accepted = once(server, 'connection');
    const client = net.connect((server.address() as net.AddressInfo).port, host);
    const [socket] = (await accepted) as [net.Socket];
    assert.equal(peerUid(socket), process.getuid!(), host);
    client.destroy();
    socket.destroy();
    server.close();
  }
});
