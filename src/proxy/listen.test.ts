import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { test } from 'node:test';
import { createListener, HEADERS_TIMEOUT_MS } from './listen.js';

test('a capture listener has no request timeout but limits the time to send headers', async () => {
  const server = createListener((_req, res) => res.end('ok'));
  assert.equal(server.requestTimeout, 0);
  assert.equal(server.headersTimeout, HEADERS_TIMEOUT_MS);
  // The same limit, shortened: a connection that sends nothing, or half a header, gets 408 and is closed.
  server.headersTimeout = 300;
  (server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval = 100;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const port = (server.address() as AddressInfo).port;
    const silent = net.connect(port, '127.0.0.1');
    const partial = net.connect(port, '127.0.0.1', () => partial.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: '));
    const answers = await Promise.all(
      [silent, partial].map(async (s) => {
        let got = '';
        s.on('data', (d) => (got += d));
        await once(s, 'close');
        return got.split('\r\n')[0];
      }),
    );
    assert.deepEqual(answers, ['HTTP/1.1 408 Request Timeout', 'HTTP/1.1 408 Request Timeout']);
  } finally {
    server.close();
  }
});
