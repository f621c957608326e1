// Reverse capture end to end: real clients (curl, node:http, the Anthropic SDK) through `ccproxy mitm start`
// to a stand-in provider; the rows are checked column by column.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once, type EventEmitter } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { fingerprint } from '../src/capture/redact.js';
import { startCapture, type RunningCapture } from './helpers/proxy.js';
import { StandIn } from './helpers/standin.js';

const exec = promisify(execFile);

/** A raw request through node:http: the bytes exactly as the proxy delivered them, no decoding. */
function raw(url: string, opts: http.RequestOptions, body?: string | Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
      res.on('close', () => (res.complete ? undefined : reject(new Error('response cut short'))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('reverse capture (ccproxy mitm start --mode reverse)', () => {
  let provider: StandIn;
  let cap: RunningCapture;
  before(async () => {
    provider = await new StandIn().start();
    cap = await startCapture(['--upstream', provider.url]);
  });
  after(async () => {
    assert.equal(await cap?.stop(), 0, 'Ctrl-C stops it cleanly');
    await provider?.close();
  });

  test('curl: the request arrives as sent, the response comes back, the row has every column', async () => {
    const { stdout } = await exec('curl', ['-sS', '-H', 'content-type: application/json', '-H', 'x-claude-code-session-id: sess-header', '-H', 'anthropic-version: 2023-06-01', '--data', '{"model":"claude-x","max_tokens":5}', `${cap.url}/v1/messages?beta=true`]);
    assert.equal(JSON.parse(stdout).content[0].text, 'Hello from the stand-in');
    const sent = provider.seen.at(-1)!;
    assert.equal(sent.url, '/v1/messages?beta=true');
    assert.equal(sent.headers.host, `127.0.0.1:${provider.port}`, 'Host is the upstream');
    assert.equal(sent.headers['anthropic-version'], '2023-06-01');
    const [r] = await cap.rows(`session_id = 'sess-header'`);
    assert.ok(r, 'row written');
    assert.equal(r.proxy_direction, 0);
    assert.equal(r.method, 'POST');
    assert.equal(r.url, `${cap.url}/v1/messages?beta=true`);
    assert.equal(r.host, '127.0.0.1');
    assert.equal(r.path, '/v1/messages?beta=true');
    assert.equal(r.traffic_type, 'llm', 'localhost host, but an LLM API path');
    assert.equal(r.status_code, 200);
    assert.equal(r.request_body.toString(), '{"model":"claude-x","max_tokens":5}');
    assert.equal(r.request_body_size, 35);
    assert.equal(r.request_content_type, 'application/json');
    assert.equal(r.response_content_type, 'application/json');
    assert.equal(JSON.parse(r.response_body.toString()).id, 'msg_1');
    assert.equal(r.response_headers['request-id'], 'req_standin');
    assert.equal(r.request_headers['anthropic-version'], '2023-06-01');
    assert.equal(r.client_ip, '127.0.0.1');
    assert.equal(r.server_ip, '127.0.0.1');
    assert.equal(r.server_port, provider.port);
    assert.equal(r.is_https, false);
    assert.ok(r.duration_ms >= 0 && r.ttfb_ms >= 0 && r.ttfb_ms <= r.duration_ms);
    assert.ok(r.end_time >= r.start_time);
    assert.equal(r.error_type, null);
  });

  for (const enc of ['gzip', 'br', 'zstd'] as const) {
    test(`a ${enc} response: the client gets the original bytes, the row the decoded body`, async () => {
      const res = await raw(`${cap.url}/v1/messages`, { method: 'POST', headers: { 'x-test-encoding': enc, 'content-type': 'application/json', 'x-claude-code-session-id': `enc-${enc}` } }, '{"model":"m"}');
      assert.equal(res.headers['content-encoding'], enc);
      if (enc === 'gzip') assert.equal(JSON.parse(zlib.gunzipSync(res.body).toString()).id, 'msg_1');
      if (enc === 'br') assert.equal(JSON.parse(zlib.brotliDecompressSync(res.body).toString()).id, 'msg_1');
      const [r] = await cap.rows(`session_id = 'enc-${enc}'`);
      assert.equal(r.response_body_size, res.body.length, 'size on the wire');
      assert.match(r.response_body.toString(), enc === 'zstd' ? /hello from zstd/ : /"id":"msg_1"/);
    });
  }

  test('a gzip-compressed request body is stored decoded', async () => {
    const body = zlib.gzipSync(JSON.stringify({ model: 'm', metadata: { user_id: 'user_abc_account_def_session_gz-legacy' } }));
    await raw(`${cap.url}/v1/messages`, { method: 'POST', headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' } }, body);
    assert.ok(provider.seen.at(-1)!.body.equals(body), 'the provider got the compressed bytes');
    const [r] = await cap.rows(`session_id = 'gz-legacy'`);
    assert.equal(JSON.parse(r.request_body.toString()).model, 'm');
    assert.equal(r.request_body_size, body.length);
  });

  test('session ids: the JSON-encoded user_id of current Claude Code; the header wins over the body', async () => {
    const userId = JSON.stringify({ device_id: 'dev', account_uuid: 'acc', session_id: 'json-session' });
    await raw(`${cap.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' } }, JSON.stringify({ model: 'm', metadata: { user_id: userId } }));
    await raw(`${cap.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-claude-code-session-id': 'hdr-wins' } }, JSON.stringify({ model: 'm', metadata: { user_id: userId } }));
    assert.equal((await cap.rows(`session_id = 'json-session'`)).length, 1);
    assert.equal((await cap.rows(`session_id = 'hdr-wins'`)).length, 1);
  });

  test('credentials are stored as fingerprints: headers, JSON token fields, form bodies', async () => {
    await raw(`${cap.url}/oauth/token`, { method: 'POST', headers: { authorization: 'Bearer sk-ant-oat01-SECRET', 'x-api-key': 'sk-ant-api03-SECRET', cookie: 'sid=SECRET', 'content-type': 'application/x-www-form-urlencoded', 'x-claude-code-session-id': 'redact' } }, 'grant_type=refresh_token&refresh_token=rt-SECRET');
    assert.equal(provider.seen.at(-1)!.headers.authorization, 'Bearer sk-ant-oat01-SECRET', 'the provider gets the real credentials');
    const [r] = await cap.rows(`session_id = 'redact'`);
    assert.equal(r.request_headers.authorization, `Bearer ${fingerprint('sk-ant-oat01-SECRET')}`);
    assert.equal(r.request_headers['x-api-key'], fingerprint('sk-ant-api03-SECRET'));
    assert.equal(r.request_headers.cookie, fingerprint('sid=SECRET'));
    const gemini = await raw(`${cap.url}/v1beta/models/gemini-2.5-pro:generateContent?key=AIzaSECRET`, { method: 'POST', headers: { 'x-claude-code-session-id': 'redact-gemini' } }, '{}');
    assert.equal(gemini.status, 200);
    assert.ok(provider.seen.at(-1)!.url.endsWith('?key=AIzaSECRET'), 'the provider gets the real key');
    const [g] = await cap.rows(`session_id = 'redact-gemini'`);
    assert.doesNotMatch(g.url + g.path, /SECRET/);
    assert.equal(g.traffic_type, 'llm');
    const stored = JSON.stringify(r) + r.request_body.toString() + r.response_body.toString();
    assert.doesNotMatch(stored, /SECRET|at-secret-1|rt-secret-2/);
    assert.equal(JSON.parse(r.response_body.toString()).access_token, fingerprint('at-secret-1'));
  });

  test('the Anthropic SDK streams through event by event: event 1 reaches the client before event 2 is sent', async () => {
    const client = new Anthropic({ baseURL: cap.url, apiKey: 'sk-ant-test', defaultHeaders: { 'x-claude-code-session-id': 'sdk-stream' } });
    const release = provider.armGate();
    const stream = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const types: string[] = [];
    let sentWhenFirstArrived = -1;
    for await (const ev of stream) {
      types.push(ev.type);
      if (types.length === 1) {
        sentWhenFirstArrived = provider.eventsSent;
        release();
      }
    }
    assert.equal(sentWhenFirstArrived, 1, 'the provider had sent only event 1 when the client received it');
    assert.deepEqual(types, ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    const [r] = await cap.rows(`session_id = 'sdk-stream'`);
    assert.equal(r.response_content_type, 'text/event-stream');
    assert.equal((r.response_body.toString().match(/^event: /gm) ?? []).length, 7);
    assert.equal(r.request_headers.authorization, `Bearer ${fingerprint('sk-ant-test')}`, 'this SDK sends its key as a Bearer token');
  });

  test('provider errors come back unchanged', async () => {
    const res = await raw(`${cap.url}/error`, { method: 'POST', headers: { 'x-claude-code-session-id': 'err-529' } }, '{}');
    assert.equal(res.status, 529);
    assert.equal(JSON.parse(res.body.toString()).error.type, 'overloaded_error');
    const [r] = await cap.rows(`session_id = 'err-529'`);
    assert.equal(r.status_code, 529);
    assert.equal(r.error_type, null);
  });

  test('a client that disconnects mid-stream aborts the upstream request; the row says client_aborted', async () => {
    const release = provider.armGate();
    const req = http.request(`${cap.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-claude-code-session-id': 'aborted' } });
    req.end(JSON.stringify({ model: 'm', stream: true }));
    const res = await new Promise<http.IncomingMessage>((r) => req.on('response', r));
    await new Promise((r) => res.once('data', r));
    req.destroy();
    await provider.firstEventSent;
    const [r] = await cap.rows(`session_id = 'aborted'`);
    release();
    assert.equal(r.error_type, 'client_aborted');
    assert.equal(r.status_code, 200);
    for (let i = 0; i < 100 && !provider.seen.at(-1)!.aborted; i++) await new Promise((x) => setTimeout(x, 20));
    assert.equal(provider.seen.at(-1)!.aborted, true, 'the upstream exchange was cut too');
  });

  test('an upstream that resets mid-response: the client is cut, the row says upstream_reset', async () => {
    const res = await raw(`${cap.url}/reset`, { method: 'GET', headers: { 'x-claude-code-session-id': 'reset' } }).catch((e) => e);
    assert.ok(res instanceof Error || res.body.length > 0);
    const [r] = await cap.rows(`session_id = 'reset'`);
    assert.equal(r.error_type, 'upstream_reset');
  });

  test('malformed requests get 400, oversized headers 431, and the proxy keeps serving', async () => {
    const send = (text: string) =>
      new Promise<string>((resolve) => {
        const s = net.connect(cap.port, '127.0.0.1', () => s.write(text));
        let out = '';
        s.on('data', (d) => (out += d));
        s.on('close', () => resolve(out));
        s.on('error', () => resolve(out));
      });
    assert.match(await send('THIS IS NOT HTTP\r\n\r\n'), /^HTTP\/1\.1 400 Bad Request/);
    assert.match(await send(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), /^HTTP\/1\.1 431 /);
    const ok = await raw(`${cap.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' } }, '{}');
    assert.equal(ok.status, 200);
    const rows = await cap.rows(`error_type = 'bad_request'`, 2);
    assert.equal(rows.length, 2);
  });
});

describe('reverse capture: unreachable upstream, redact off, bodies off, body limit', () => {
  test('an unreachable upstream gets 502 with a JSON body naming it, and an error row', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const cap = await startCapture(['--upstream', `http://127.0.0.1:${port}`]);
    try {
      const res = await raw(`${cap.url}/v1/messages`, { method: 'POST', headers: { 'x-claude-code-session-id': 'down' } }, '{}');
      assert.equal(res.status, 502);
      const body = JSON.parse(res.body.toString());
      assert.equal(body.error.upstream, `http://127.0.0.1:${port}`);
      assert.equal(body.error.error_type, 'connect_failed');
      const [r] = await cap.rows(`session_id = 'down'`);
      assert.equal(r.status_code, null);
      assert.equal(r.error_type, 'connect_failed');
      assert.match(r.error_message, /ECONNREFUSED/);
    } finally {
      await cap.stop();
    }
  });

  test('a request that cannot be sent on as it is (OPTIONS *) gets 400 naming the upstream, and a bad_request row', async () => {
    const down = net.createServer((c) => c.destroy());
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
    const upstream = `http://127.0.0.1:${(down.address() as net.AddressInfo).port}`;
    const cap = await startCapture(['--upstream', upstream]);
    try {
      const res = await raw(cap.url, { method: 'OPTIONS', path: '*', headers: { 'x-claude-code-session-id': 'star' } });
      assert.equal(res.status, 400);
      const body = JSON.parse(res.body.toString());
      assert.equal(body.error.error_type, 'bad_request');
      assert.equal(body.error.upstream, upstream);
      const [r] = await cap.rows(`session_id = 'star'`);
      assert.equal(r.error_type, 'bad_request');
      assert.equal(r.status_code, null);
      assert.equal(r.method, 'OPTIONS');
    } finally {
      await cap.stop();
      down.close();
    }
  });

  test('an upstream that sends 103 Early Hints before its answer: the client gets the answer, the row its status', async () => {
    const hints = net.createServer((c) =>
      c.once('data', () => c.end('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok')),
    );
    await new Promise<void>((r) => hints.listen(0, '127.0.0.1', r));
    const cap = await startCapture(['--upstream', `http://127.0.0.1:${(hints.address() as net.AddressInfo).port}`]);
    try {
      const res = await raw(`${cap.url}/hints`, { headers: { 'x-claude-code-session-id': 'hints' } });
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), 'ok');
      const [r] = await cap.rows(`session_id = 'hints'`);
      assert.equal(r.status_code, 200);
      assert.equal(r.error_type, null);
      assert.equal(r.response_headers['content-type'], 'text/plain');
    } finally {
      await cap.stop();
      hints.close();
    }
  });

  test('redact: false stores raw values; capture_bodies: false keeps sizes only; max_body_size truncates', async () => {
    const provider = await new StandIn().start();
    const cap = await startCapture(['--upstream', provider.url], 'ccproxy:\n  mitm:\n    redact: false\n    capture_bodies: false\n');
    const cap2 = await startCapture(['--upstream', provider.url], 'ccproxy:\n  mitm:\n    max_body_size: 1024\n');
    try {
      await raw(`${cap.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'raw-key', 'x-claude-code-session-id': 'raw' } }, '{"model":"m"}');
      const [r] = await cap.rows(`session_id = 'raw'`);
      assert.equal(r.request_headers['x-api-key'], 'raw-key');
      assert.equal(r.request_body, null);
      assert.equal(r.response_body, null);
      assert.equal(r.request_body_size, 13);
      assert.ok(r.response_body_size > 0);
      // A 5 MB upload streams through; the row keeps 1 KB of it and the full size.
      const big = Buffer.alloc(5 * 1024 * 1024, 'x');
      await raw(`${cap2.url}/upload`, { method: 'POST', headers: { 'x-claude-code-session-id': 'big' } }, big);
      assert.equal(provider.seen.at(-1)!.body.length, big.length, 'the provider got all of it');
      const [b] = await cap2.rows(`session_id = 'big'`);
      assert.equal(b.request_body_size, big.length);
      assert.equal(b.request_body.length, 1024);
      assert.equal(b.request_body_truncated, true);
      assert.equal(b.response_body_truncated, false);
    } finally {
      await cap.stop();
      await cap2.stop();
      await provider.close();
    }
  });
});

describe('reverse capture: HTTPS upstream, timeouts, upgrades, settings', () => {
  test('an https upstream is verified against NODE_EXTRA_CA_CERTS and reached', async () => {
    const caDir = (await import('./helpers/pg.js')).tempConfigDir();
    const { loadOrCreateCA } = await import('../src/proxy/tls/ca.js');
    const ca = await loadOrCreateCA(caDir.dir);
    const provider = await new StandIn(await ca.pemFor('localhost')).start();
    const cap = await startCapture(['--upstream', `https://localhost:${provider.port}`], undefined, { NODE_EXTRA_CA_CERTS: ca.certPath });
    try {
      const res = await raw(`${cap.url}/v1/messages`, { method: 'POST', headers: { 'x-claude-code-session-id': 'https-up' } }, '{}');
      assert.equal(res.status, 200);
      assert.equal(provider.seen.at(-1)!.headers.host, `localhost:${provider.port}`);
      const [r] = await cap.rows(`session_id = 'https-up'`);
      assert.equal(r.status_code, 200);
    } finally {
      await cap.stop();
      await provider.close();
      caDir.remove();
    }
  });

  test('idle_timeout: a silent upstream gets 504 and a timeout row; other upgrades pass through byte for byte', async () => {
    const provider = await new StandIn().start();
    const cap = await startCapture(['--upstream', provider.url], 'ccproxy:\n  mitm:\n    idle_timeout: 0.3\n');
    try {
      const res = await raw(`${cap.url}/hang`, { method: 'GET', headers: { 'x-claude-code-session-id': 'hang' } });
      assert.equal(res.status, 504);
      assert.equal(JSON.parse(res.body.toString()).error.error_type, 'timeout');
      const [r] = await cap.rows(`session_id = 'hang'`);
      assert.equal(r.error_type, 'timeout');
      assert.match(r.error_message, /no data for 0\.3s/);

      const echoed = await new Promise<string>((resolve, reject) => {
        const req = http.request(`${cap.url}/ws`, { headers: { connection: 'Upgrade', upgrade: 'x-echo' } });
        req.on('upgrade', (res, socket) => {
          assert.equal(res.statusCode, 101);
          socket.write('hello over the upgrade');
          socket.once('data', (d) => {
            resolve(d.toString());
            socket.destroy();
          });
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(echoed, 'hello over the upgrade');
      assert.equal(provider.seen.at(-1)!.url, '/ws');
    } finally {
      await cap.stop();
      await provider.close();
    }
  });

  test('CCPROXY_MITM_* variables override ccproxy.yaml; a port in use names the port and its source', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const { runCli } = await import('./helpers/cli.js');
    const { tempConfigDir } = await import('./helpers/pg.js');
    const cfg = tempConfigDir();
    try {
      const r = await runCli(['mitm', 'start'], { CCPROXY_CONFIG_DIR: cfg.dir, CCPROXY_MITM_PORT: String(port), CCPROXY_MITM_UPSTREAM: 'http://127.0.0.1:9' });
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`^ccproxy: port ${port} on 127\\.0\\.0\\.1 is in use \\(from CCPROXY_MITM_PORT\\); choose another with --port`));
      const bad = await runCli(['mitm', 'start'], { CCPROXY_CONFIG_DIR: cfg.dir, CCPROXY_MITM_MODE: 'sideways' });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /CCPROXY_MITM_MODE="sideways": expected reverse or forward/);
      const up = await runCli(['mitm', 'start', '--upstream', 'ftp://x'], { CCPROXY_CONFIG_DIR: cfg.dir });
      assert.equal(up.code, 2);
      assert.match(up.stderr, /invalid upstream "ftp:\/\/x" \(from --upstream\): expected an http:\/\/ or https:\/\/ URL/);
    } finally {
      blocker.close();
      cfg.remove();
    }
  });
});

describe('reverse capture while the database is down', { skip: await (await import('./helpers/pg.js')).serverSkip() }, () => {
  test('the proxy keeps serving; the traces reach the table once the database is back', async () => {
    const { Relay } = await import('./helpers/relay.js');
    const { createTempDatabase } = await import('./helpers/pg.js');
    const provider = await new StandIn().start();
    const target = await createTempDatabase();
    const relay = await Relay.before(target.url);
    const viaRelay = relay.url(target.url);
    await relay.stop(); // the database is unreachable from the start
    const cap = await startCapture(['--upstream', provider.url], undefined, { CCPROXY_DATABASE_URL: viaRelay });
    try {
      for (let i = 0; i < 20; i++) {
        const res = await raw(`${cap.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-claude-code-session-id': 'db-down' } }, '{"model":"m"}');
        assert.equal(res.status, 200, 'served while the database is down');
      }
      assert.ok(cap.stderr.some((l) => /spill file/.test(l)), `the outage is logged: ${cap.stderr.join('\n')}`);
      await relay.start(relay.port);
      const pg = (await import('pg')).default;
      const c = new pg.Client(target.url);
      await c.connect();
      let n = 0;
      for (let i = 0; i < 200 && n < 20; i++) {
        await new Promise((r) => setTimeout(r, 50));
        n = (await c.query(`SELECT count(*)::int AS n FROM "CCProxy_HttpTraces" WHERE session_id = 'db-down' AND status_code = 200`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n;
      }
      await c.end();
      assert.equal(n, 20, 'every trace arrived after the outage');
    } finally {
      await cap.stop();
      await relay.stop();
      await provider.close();
      await target.drop();
    }
  });
});

describe('reverse capture: large bodies stream through with backpressure, both ways', () => {
  const SIZE = 64 * 1024 * 1024;
  const CHUNK = Buffer.alloc(256 * 1024, 'ccproxy ');
  const sha = () => createHash('sha256');
  const expected = (() => {
    const h = sha();
    for (let n = 0; n < SIZE; n += CHUNK.length) h.update(CHUNK);
    return h.digest('hex');
  })();
  let upstream: http.Server;
  let cap: RunningCapture;
  /** Bytes the client had sent when the upstream started reading, and what the upstream wrote before the client read. */
  const seen = { clientSent: 0, sentWhenRead: -1, upstreamWritten: 0, writtenWhenRead: -1, uploadSha: '', uploadBytes: 0 };

  /** Writes SIZE bytes, waiting for each drain, counting as it goes. */
  async function writeAll(w: NodeJS.WritableStream & { write(c: Buffer): boolean }, count: (n: number) => void) {
    for (let n = 0; n < SIZE; n += CHUNK.length) {
      count(CHUNK.length);
      if (!w.write(CHUNK)) await once(w as unknown as EventEmitter, 'drain');
    }
    w.end();
  }

  before(async () => {
    upstream = http.createServer((req, res) => {
      if (req.url === '/upload') {
        // The upstream reads nothing for a while: a proxy with backpressure stops taking the client's bytes.
        req.pause();
        setTimeout(() => {
          seen.sentWhenRead = seen.clientSent;
          const h = sha();
          req.on('data', (c: Buffer) => {
            h.update(c);
            seen.uploadBytes += c.length;
          });
          req.on('end', () => {
            seen.uploadSha = h.digest('hex');
            res.end('ok');
          });
          req.resume();
        }, 1500);
      } else {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE });
        void writeAll(res, (n) => (seen.upstreamWritten += n));
      }
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    cap = await startCapture(['--upstream', `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}`], 'ccproxy:\n  mitm:\n    max_body_size: 65536\n');
  });
  after(async () => {
    await cap?.stop();
    upstream?.closeAllConnections();
    await new Promise((r) => upstream?.close(r));
  });

  test('a 64 MB upload: the proxy holds back the client while the upstream does not read; every byte arrives', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(`${cap.url}/upload`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': SIZE, 'x-claude-code-session-id': 'big-upload' } }, resolve);
      req.on('error', reject);
      void writeAll(req, (n) => (seen.clientSent += n));
    });
    res.resume();
    await once(res, 'end');
    assert.equal(res.statusCode, 200);
    assert.ok(seen.sentWhenRead >= 0 && seen.sentWhenRead < SIZE / 2, `the client had sent ${seen.sentWhenRead} of ${SIZE} bytes before the upstream read any`);
    assert.equal(seen.uploadBytes, SIZE);
    assert.equal(seen.uploadSha, expected, 'the upstream got the bytes as sent');
    const [r] = await cap.rows(`session_id = 'big-upload'`);
    assert.equal(r.request_body_size, SIZE, 'the full size is recorded');
    assert.equal(r.request_body.length, 65536, 'the copy stops at max_body_size');
    assert.equal(r.request_body_truncated, true);
  });

  test('a 64 MB download: the proxy holds back the upstream while the client does not read; every byte arrives', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(`${cap.url}/download`, { headers: { 'x-claude-code-session-id': 'big-download' } }, resolve);
      req.on('error', reject);
      req.end();
    });
    res.pause();
    await new Promise((r) => setTimeout(r, 1500));
    seen.writtenWhenRead = seen.upstreamWritten;
    const h = sha();
    let got = 0;
    res.on('data', (c: Buffer) => {
      h.update(c);
      got += c.length;
    });
    res.resume();
    await once(res, 'end');
    assert.ok(seen.writtenWhenRead < SIZE / 2, `the upstream had written ${seen.writtenWhenRead} of ${SIZE} bytes before the client read any`);
    assert.equal(got, SIZE);
    assert.equal(h.digest('hex'), expected, 'the client got the bytes as sent');
    const [r] = await cap.rows(`session_id = 'big-download'`);
    assert.equal(r.response_body_size, SIZE);
    assert.equal(r.response_body.length, 65536);
    assert.equal(r.response_body_truncated, true);
  });
});
