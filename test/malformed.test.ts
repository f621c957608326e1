// Malformed and hostile input on both capture ports: each case gets one row as documented, and a normal request
// right after it still succeeds. (The first cases of the corpus: rows that used to misreport.)
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { startCapture, type RunningCapture } from './helpers/proxy.js';

/** Writes raw bytes to a port; what came back once the connection closed. */
function send(port: number, bytes: string | Buffer, halfClose = false): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => (halfClose ? s.end(bytes) : s.write(bytes)));
    let out = '';
    s.on('data', (d) => (out += d));
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
  });
}

const followUp = (url: string) =>
  new Promise<number>((resolve, reject) => {
    const req = http.request(`${url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end('{}');
  });

describe('malformed input on the main (reverse) port', () => {
  // An upstream that reads each body and answers 200; requests cut on the way are its daily bread.
  const provider = http.createServer((req, res) => {
    req.on('error', () => {});
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  let cap: RunningCapture;
  before(async () => {
    await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
    cap = await startCapture(['--upstream', `http://127.0.0.1:${(provider.address() as net.AddressInfo).port}`]);
  });
  after(async () => {
    assert.equal(await cap?.stop(), 0);
    provider.closeAllConnections();
    provider.close();
  });

  test('a bad chunk size: 400 and one bad_request row, the request\'s own', async () => {
    const out = await send(cap.port, `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${cap.port}\r\nx-claude-code-session-id: badchunk\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`);
    assert.match(out, /^HTTP\/1\.1 400 /);
    assert.equal(await followUp(cap.url), 200);
    const rows = await cap.rows(`session_id = 'badchunk' OR error_message LIKE '%CHUNK%'`);
    assert.equal(rows.length, 1, JSON.stringify(rows.map((r) => r.error_type)));
    assert.equal(rows[0].error_type, 'bad_request');
    assert.equal(rows[0].url, `http://127.0.0.1:${cap.port}/v1/messages`);
  });

  test('a body cut midway: one client_aborted row', async () => {
    await send(cap.port, `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${cap.port}\r\nx-claude-code-session-id: cutbody\r\nContent-Length: 1000\r\n\r\nabc`, true);
    assert.equal(await followUp(cap.url), 200);
    await new Promise((r) => setTimeout(r, 300));
    const rows = await cap.rows(`session_id = 'cutbody' OR error_message LIKE '%EOF%'`);
    assert.equal(rows.length, 1, JSON.stringify(rows.map((r) => r.error_type)));
    assert.equal(rows[0].error_type, 'client_aborted');
    assert.match(rows[0].error_message, /in the middle of the request body/);
  });

  test('absolute-form for another host: 400 and a row with the URL asked for; naming the main port itself, served', async () => {
    // Under another Host the access guard refuses it first (421, as it would a DNS-rebound page), before any row.
    const foreign = await send(cap.port, 'POST http://evil.example/v1/messages HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
    assert.match(foreign, /^HTTP\/1\.1 421 /);
    const out = await send(cap.port, `POST http://evil.example/v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${cap.port}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
    assert.match(out, /^HTTP\/1\.1 400 [^]*does not forward requests for http:\/\/evil\.example/);
    const [r] = await cap.rows(`url = 'http://evil.example/v1/messages'`);
    assert.equal(r.error_type, 'bad_request');
    const own = await send(cap.port, `POST http://localhost:${cap.port}/v1/messages?own=1 HTTP/1.1\r\nHost: localhost:${cap.port}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
    assert.match(own, /^HTTP\/1\.1 200 /);
    const [o] = await cap.rows(`url = 'http://localhost:${cap.port}/v1/messages?own=1'`);
    assert.equal(o.status_code, 200);
  });
});

describe('malformed input on the forward port', () => {
  let cap: RunningCapture;
  let hello: Buffer;
  before(async () => {
    cap = await startCapture(['--mode', 'forward']);
    hello = await new Promise<Buffer>((resolve) => {
      const srv = net.createServer((s) => s.once('data', (d: Buffer) => (resolve(d), s.destroy(), srv.close())));
      srv.listen(0, '127.0.0.1', () => tls.connect({ port: (srv.address() as net.AddressInfo).port, host: '127.0.0.1', servername: 'abort.example' }).on('error', () => {}));
    });
  });
  after(async () => {
    assert.equal(await cap?.stop(), 0);
  });

  test('CONNECT :0 and other invalid targets: 400 naming what is wrong, a bad_request row', async () => {
    for (const t of [':0', 'example.com:0', 'example.com', '-x.example:443']) {
      const out = await send(cap.port, `CONNECT ${t} HTTP/1.1\r\nHost: x\r\n\r\n`);
      assert.match(out, /^HTTP\/1\.1 400 [^]*expected host:port/, t);
    }
    const rows = await cap.rows(`method = 'CONNECT' AND error_type = 'bad_request'`, 4);
    assert.equal(rows.length, 4);
  });

  test('a TLS client that resets mid-handshake is client_aborted, not client_tls_rejected', async () => {
    await new Promise<void>((resolve) => {
      const s = net.connect(cap.port, '127.0.0.1', () => s.write('CONNECT abort.example:443 HTTP/1.1\r\nHost: abort.example:443\r\n\r\n'));
      s.once('data', () => {
        s.write(hello.subarray(0, 40));
        setTimeout(() => (s.resetAndDestroy(), resolve()), 100);
      });
      s.on('error', () => {});
    });
    const [r] = await cap.rows(`host = 'abort.example'`);
    assert.equal(r.error_type, 'client_aborted');
    assert.match(r.error_message, /reset the connection during the TLS handshake for abort\.example/);
  });
});
