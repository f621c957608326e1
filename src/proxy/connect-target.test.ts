import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLocalAddress, parseConnectTarget } from './connect-target.js';

test('CONNECT targets: a host (name, IPv4, [IPv6]) and a port from 1 to 65535', () => {
  assert.deepEqual(parseConnectTarget('api.anthropic.com:443'), { host: 'api.anthropic.com', port: 443 });
  assert.deepEqual(parseConnectTarget('127.0.0.1:8443'), { host: '127.0.0.1', port: 8443 });
  assert.deepEqual(parseConnectTarget('[::1]:65535'), { host: '::1', port: 65535 });
  assert.deepEqual(parseConnectTarget('my_host.internal:1'), { host: 'my_host.internal', port: 1 });
  for (const [bad, why] of [
    [':0', /no host/],
    ['example.com:0', /port must be a number from 1 to 65535/],
    ['example.com:65536', /port must be/],
    ['example.com:', /port must be/],
    ['example.com:+443', /port must be/],
    ['example.com', /no port/],
    ['', /no port/],
    ['[::1]', /not a host and a port/],
    ['[example.com]:443', /not a host name/],
    ['::1:443', /not a host and a port/],
    ['exa mple.com:443', /not a host name/],
    ['-bad.example:443', /not a host name/],
    ['a/b:443', /not a host name/],
    [`${'a'.repeat(300)}:443`, /not a host name/],
  ] as const) {
    const r = parseConnectTarget(bad);
    assert.ok('error' in r, `${bad} is refused`);
    assert.match(r.error, why, bad);
    assert.match(r.error, /expected host:port/);
  }
});

test('local addresses: loopback, unspecified, localhost names, this machine\'s interfaces', () => {
  for (const h of ['localhost', 'LOCALHOST', 'app.localhost', '127.0.0.1', '127.1.2.3', '0.0.0.0', '::1', '[::1]', '::', '::ffff:127.0.0.1']) assert.ok(isLocalAddress(h), h);
  for (const h of ['api.anthropic.com', '8.8.8.8', '2001:db8::1', 'localhost.example.com']) assert.ok(!isLocalAddress(h), h);
});
