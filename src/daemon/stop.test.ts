// After a stop: which ports of the stopped process are worth reporting as held by another program.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { stillOpen } from './stop.js';

test('stillOpen: a configured port that accepts is reported; a port the system chose is not, whoever holds it now', async () => {
  const other = net.createServer();
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  const port = (other.address() as net.AddressInfo).port;
  try {
    const url = `http://127.0.0.1:${port}`;
    assert.deepEqual(await stillOpen({ components: { reverse: { url, port, pinned: true } } }), [port]);
    assert.deepEqual(await stillOpen({ components: { reverse: { url, port } } }), [port], 'a state file without the field: checked');
    assert.deepEqual(await stillOpen({ components: { gateway: { url, port, pinned: false } } }), []);
  } finally {
    await new Promise((r) => other.close(r));
  }
  assert.deepEqual(await stillOpen({ components: { reverse: { url: `http://127.0.0.1:${port}`, port, pinned: true } } }), [], 'free again');
});
