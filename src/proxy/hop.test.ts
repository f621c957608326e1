import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { BodyCopy } from '../flow/body-copy.js';
import { endToEnd, endToEndRaw, headerObject } from './hop.js';

test('hop-by-hop headers are dropped, including those the Connection header names', () => {
  const out = endToEnd({
    connection: 'close, x-hop',
    'keep-alive': 'timeout=5',
    'proxy-authorization': 'Basic x',
    'transfer-encoding': 'chunked',
    te: 'trailers',
    upgrade: 'h2c',
    'x-hop': '1',
    'x-api-key': 'k',
    'content-type': 'application/json',
  });
  assert.deepEqual(out, { 'x-api-key': 'k', 'content-type': 'application/json' });
});

test('on raw headers: the same headers dropped, case and repeats kept, Host replaced', () => {
  const raw = ['Host', 'localhost:4000', 'Connection', 'close, X-Hop', 'Keep-Alive', 'timeout=5', 'X-Hop', '1', 'Proxy-Authorization', 'Basic x', 'Transfer-Encoding', 'chunked', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Api-Key', 'k'];
  assert.deepEqual(endToEndRaw(raw, 'api.example:443'), ['Host', 'api.example:443', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Api-Key', 'k']);
  assert.deepEqual(endToEndRaw(['Content-Type', 'text/plain', 'TE', 'trailers']), ['Content-Type', 'text/plain']);
  assert.deepEqual(endToEndRaw(['Expect', '100-continue', 'X-A', '1'], undefined, ['expect']), ['X-A', '1']);
});

test('headerObject joins repeated headers exactly as Node does for message.headers', async () => {
  // A response with every kind of repeat, parsed by node:http itself, is the reference.
  const head = [
    'HTTP/1.1 200 OK',
    'Content-Type: application/json',
    'content-type: text/plain',
    'Set-Cookie: a=1',
    'set-cookie: b=2',
    'X-Multi: one',
    'x-multi: two',
    'Cookie: c=1',
    'cookie: d=2',
    'Server: first',
    'Server: second',
    'Content-Length: 0',
  ].join('\r\n');
  const server = net.createServer((s) => s.once('data', () => s.end(`${head}\r\n\r\n`)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', agent: false }, resolve).on('error', reject));
    res.resume();
    assert.deepEqual({ ...headerObject(res.rawHeaders) }, { ...res.headers });
    assert.deepEqual(headerObject(res.rawHeaders)['set-cookie'], ['a=1', 'b=2']);
    assert.equal(headerObject(res.rawHeaders)['x-multi'], 'one, two');
  } finally {
    server.close();
  }
});

test('BodyCopy keeps up to its limit and counts everything', () => {
  const c = new BodyCopy(5);
  c.push(Buffer.from('abc'));
  c.push(Buffer.from('defgh'));
  c.push(Buffer.from('ij'));
  assert.equal(c.bytes().toString(), 'abcde');
  assert.equal(c.size, 10);
  assert.equal(c.truncated, true);
  const none = new BodyCopy(0);
  none.push(Buffer.from('xyz'));
  assert.deepEqual([none.bytes().length, none.size, none.truncated], [0, 3, true]);
  const exact = new BodyCopy(3);
  exact.push(Buffer.from('xyz'));
  assert.equal(exact.truncated, false);
});
