import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitHost } from './host-check.js';

test('Host values split into name and port; what cannot be a host is null', () => {
  assert.deepEqual(splitHost('127.0.0.1:4000'), { name: '127.0.0.1', port: 4000 });
  assert.deepEqual(splitHost('LocalHost.'), { name: 'localhost', port: null });
  assert.deepEqual(splitHost('[::1]:8081'), { name: '[::1]', port: 8081 });
  assert.deepEqual(splitHost('evil.example:4000'), { name: 'evil.example', port: 4000 });
  for (const bad of ['', 'a b', 'user@127.0.0.1', '127.0.0.1:4000/x', '::1', '[::1', '127.0.0.1:123456']) assert.equal(splitHost(bad), null, bad);
});
