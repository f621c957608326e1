import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import http from 'node:http';
import { test } from 'node:test';
import pg from 'pg';
import { configFor, createTempDatabase, serverSkip, tempConfigDir } from '../../test/helpers/pg.js';
import { silentLogger } from '../log.js';
import { captureOptions, openCapture } from './capture-point.js';

test('captureOptions: the direction each point records and the settings it keeps', () => {
  const cfg = tempConfigDir();
  try {
    const mitm = { ...configFor(cfg.dir).config.ccproxy.mitm, max_body_size: 0, connect_timeout: 3, idle_timeout: 7 };
    const rev = captureOptions(mitm, 'reverse', null, silentLogger);
    const fwd = captureOptions(mitm, 'forward', null, silentLogger);
    assert.equal(rev.capture.direction, 'reverse');
    assert.equal(fwd.capture.direction, 'forward');
    assert.equal(rev.capture.bodyLimit, 64 * 1024 * 1024, 'max_body_size 0: the ceiling');
    assert.equal(rev.connectTimeoutMs, 3000);
    assert.equal(rev.idleTimeoutMs, 7000);
    assert.deepEqual(rev.capture.redactHeaders, mitm.redact_headers);
  } finally {
    cfg.remove();
  }
});

test('one capture: a reverse point records into the store; a port in use is explained; close drains', { skip: await serverSkip() }, async (t) => {
  const cfg = tempConfigDir();
  const db = await createTempDatabase();
  const upstream = http.createServer((_req, res) => res.end('{"ok":true}'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const taken = createServer().listen(0, '127.0.0.1');
  await once(taken, 'listening');
  try {
    const loaded = configFor(cfg.dir, db.url);
    const mitm = loaded.config.ccproxy.mitm;
    const capture = await openCapture(loaded, mitm, silentLogger, false);
    t.after(() => capture.close()); // a failed assertion must not leave the writer running
    assert.equal(capture.ca, null, 'no CA unless asked for');
    const at = { host: '127.0.0.1', port: 0, portSource: '--port', portHint: '--port', hostHint: '--host' };
    const point = await capture.startReverse({ at, log: silentLogger, upstream: new URL(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`) });
    let pointClosed = false;
    t.after(() => (pointClosed ? undefined : point.close()));
    const busy = (taken.address() as AddressInfo).port;
    await assert.rejects(capture.startReverse({ at: { ...at, port: busy }, log: silentLogger, upstream: new URL('http://127.0.0.1:9') }), (e: Error) =>
      new RegExp(`^port ${busy} on 127\\.0\\.0\\.1 is in use \\(from --port\\); choose another with --port$`).test(e.message),
    );
    await assert.rejects(capture.startForward({ at, log: silentLogger }), /needs the CA/);
    const res = await fetch(`${point.url}/v1/messages`, { method: 'POST', body: '{}' });
    assert.equal(await res.text(), '{"ok":true}');
    await point.close();
    pointClosed = true;
    const counters = await capture.close();
    assert.ok(counters.written >= 1, JSON.stringify(counters));
    const client = new pg.Client(db.url);
    await client.connect();
    const { rows } = await client.query(`SELECT proxy_direction AS d, status_code AS s FROM "CCProxy_HttpTraces"`);
    await client.end();
    assert.deepEqual(rows, [{ d: 0, s: 200 }]);
  } finally {
    upstream.close();
    taken.close();
    await db.drop();
    cfg.remove();
  }
});
