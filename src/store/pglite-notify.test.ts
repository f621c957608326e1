import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NotificationScanner } from './pglite-notify.js';

/** A backend message: type, length (itself included), body. */
const msg = (type: string, body: Buffer) => {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const notification = (channel: string, payload: string) => {
  const pid = Buffer.alloc(4);
  pid.writeInt32BE(42);
  return msg('A', Buffer.concat([pid, Buffer.from(`${channel}\0${payload}\0`)]));
};

test('notifications are picked out of a backend stream, whatever the chunk boundaries', () => {
  const a = notification('ccproxy_traces', '{"ops":3}');
  const b = notification('ccproxy_traces', 'x'.repeat(300));
  const stream = Buffer.concat([msg('C', Buffer.from('SELECT 1\0')), a, msg('D', Buffer.alloc(1000, 7)), b, msg('Z', Buffer.from('I'))]);
  for (const size of [1, 2, 3, 5, 7, 64, stream.length]) {
    const scan = new NotificationScanner();
    for (let i = 0; i < stream.length; i += size) scan.feed(stream.subarray(i, i + size));
    assert.deepEqual(scan.found, [a, b], `chunks of ${size}`);
  }
});

test('a stream without notifications yields none; a DataRow holding the letter A is not one', () => {
  const scan = new NotificationScanner();
  scan.feed(Buffer.concat([msg('D', Buffer.from('AAAA\0\0\0\x05AAAAA')), msg('Z', Buffer.from('I'))]));
  assert.deepEqual(scan.found, []);
});
