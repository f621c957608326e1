// Malformed and hostile input on both capture ports: each case gets the row the README documents (or none, where
// no request ever took shape), and a normal request right after it still succeeds. The first cases are rows that
// used to misreport; then the corpus proper: random bytes, an HTTP/2 preface, request smuggling shapes, oversized
// heads, CONNECT where it does not belong, a ClientHello without SNI, uploads and downloads that stall or stop,
// thousands of idle connections, WebSocket peers sending garbage.
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { encodeFrame, OP_TEXT } from '../src/proxy/ws-frames.js';
import { loadOrCreateCA } from '../src/proxy/tls/ca.js';
import { tempConfigDir } from './helpers/pg.js';
import { startCapture, type RunningCapture } from './helpers/proxy.js';

/** Writes raw bytes to a port; what came back once the connection closed (or was reset). */
function send(port: number, bytes: string | Buffer, halfClose = false): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => (halfClose ? s.end(bytes) : s.write(bytes)));
    let out = '';
    s.on('data', (d) => (out += d));
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
  });
}

/** A normal request on the main port, its row tagged with `tag` as session id; its status. */
const followUp = (url: string, tag = 'follow-up') =>
  new Promise<number>((resolve, reject) => {
    const req = http.request(`${url}/v1/messages`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'x-claude-code-session-id': tag } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end('{}');
  });

/** The same through the forward port, as absolute-form to `upstreamPort`. */
const forwardFollowUp = (proxyPort: number, upstreamPort: number, tag: string) =>
  new Promise<number>((resolve, reject) => {
    const target = `127.0.0.1:${upstreamPort}`;
    const req = http.request(
      { host: '127.0.0.1', port: proxyPort, method: 'POST', path: `http://${target}/v1/messages`, agent: false, headers: { host: target, 'content-type': 'application/json', 'x-claude-code-session-id': tag } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });

/** The trace ids in the table now: what a case leaves is every row not among them. */
async function traceIds(cap: RunningCapture): Promise<string[]> {
  const { rows } = await cap.db.pool.query('SELECT trace_id FROM "CCProxy_HttpTraces"');
  return rows.map((r: { trace_id: string }) => r.trace_id);
}

/**
 * The rows a case left, besides its follow-up's: the follow-up's row (session `tag`) is waited for first, so every
 * row the case produced before it is written (the writer keeps order); then the others are polled until `n`.
 */
async function caseRows(cap: RunningCapture, before: string[], tag: string, n: number): Promise<any[]> {
  await cap.rows(`session_id = '${tag}'`);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await cap.db.pool.query(
      'SELECT * FROM "CCProxy_HttpTraces" WHERE end_time IS NOT NULL AND NOT (trace_id = ANY($1::text[])) AND session_id IS DISTINCT FROM $2 ORDER BY start_time',
      [before, tag],
    );
    if (rows.length >= n || Date.now() > deadline) return rows;
    await sleep(50);
  }
}

const types = (rows: any[]) => JSON.stringify(rows.map((r) => [r.error_type, r.error_message]));

/** The capture process's resident memory, in MiB. */
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
/** How many connections to loopback `port` a process has accepted and holds (rows of the kernel's table with a file: an inode). */
function acceptedOn(port: number): number {
  const own = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  return readFileSync('/proc/net/tcp', 'latin1')
    .split('\n')
    .slice(1)
    .filter((line) => {
      const f = line.trim().split(/\s+/);
      return f.length > 9 && `${f[1]} `.endsWith(own) && f[3] !== '0A' && f[9] !== '0'; // not the listening socket
    }).length;
}

/** Starts `s` on a loopback port; its port. */
async function listenLocal(s: net.Server): Promise<number> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as net.AddressInfo).port;
}

/** A port nothing listens on (one that was just freed). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await listenLocal(s);
  await new Promise((r) => s.close(r));
  return port;
}

const MASK = Buffer.from([0x11, 0x22, 0x33, 0x44]);
const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const upgradeRequest = (target: string, host: string, tag: string) =>
  `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${WS_KEY}\r\nx-claude-code-session-id: ${tag}\r\n\r\n`;

/** 64 KB of random bytes that open with a frame header of reserved opcode `opcode`, so the first frame is already malformed. */
function garbageFrames(opcode: number): Buffer {
  const b = randomBytes(64 * 1024);
  b[0] = 0x80 | opcode;
  return b;
}

/** Upgrades a raw socket through `port` and sends `garbage` after the 101; resolves once the proxy ended the connection. */
async function garbageAfterUpgrade(port: number, request: string, garbage: Buffer | null): Promise<string> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  s.write(request);
  const [first] = (await once(s, 'data')) as [Buffer];
  let out = first.toString('latin1');
  s.on('data', (d: Buffer) => (out += d.toString('latin1')));
  const closed = s.closed ? Promise.resolve() : once(s, 'close');
  if (garbage) s.write(Buffer.concat([encodeFrame(OP_TEXT, Buffer.from('fine'), { mask: MASK }), garbage]));
  await closed;
  return out;
}

/**
 * The upstream every case talks to: reads each body and answers `{}`; `/big` streams 200 MB with backpressure
 * (counting what it could write); every request path it saw is kept, to show what never reached it. WebSocket
 * upgrades get an echo, except `/ws-garbage`, which answers 101 and then sends garbage frames.
 */
function provider() {
  const seen: string[] = [];
  const big = { sent: 0, closed: false };
  const BIG = 200 * 1024 * 1024;
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    req.on('error', () => {});
    if (req.url === '/big') {
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG });
      res.on('close', () => (big.closed = true));
      const pump = () => {
        while (big.sent < BIG && !res.destroyed) {
          big.sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    seen.push(req.url ?? '');
    socket.on('error', () => {});
    if (req.url === '/ws-garbage') {
      wss.handleUpgrade(req, socket, head, () => socket.write(garbageFrames(3)));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => {});
      ws.on('message', (data, binary) => ws.send(data, { binary }));
    });
  });
  return { server, seen, big };
}

describe('malformed input on the main (reverse) port', () => {
  // An upstream that reads each body and answers 200; requests cut on the way are its daily bread.
  const up = provider();
  let cap: RunningCapture;
  before(async () => {
    cap = await startCapture(['--upstream', `http://127.0.0.1:${await listenLocal(up.server)}`]);
  });
  after(async () => {
    assert.equal(await cap?.stop(), 0);
    up.server.closeAllConnections();
    up.server.close();
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

  test('garbage pipelined after a complete request: that request is served and its row is clean; the garbage gets its own 400 and bad_request row', async () => {
    const body = '{"x":1}';
    const out = await send(cap.port, `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${cap.port}\r\nx-claude-code-session-id: pipelined\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}\x00\x01 not http at all\r\n\r\n`);
    assert.match(out, /^HTTP\/1\.1 200 [\s\S]*HTTP\/1\.1 400 /, 'the request answered, then the garbage');
    const before = await traceIds(cap);
    assert.equal(await followUp(cap.url, 'after-pipelined'), 200);
    const [row] = await cap.rows(`session_id = 'pipelined'`);
    assert.equal(row.status_code, 200);
    assert.equal(row.error_type, null, 'the complete request is not blamed for what came after it');
    const bad = await cap.db.pool.query(`SELECT error_type, error_message FROM "CCProxy_HttpTraces" WHERE error_type = 'bad_request' AND client_ip IS NOT NULL AND start_time >= $1 ORDER BY start_time`, [row.start_time]);
    assert.equal(bad.rows.length, 1, JSON.stringify(bad.rows));
    assert.ok(before.length > 0);
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

  test('64 KB of random bytes: 400, one bad_request row (a malformed request line), and the next request is served', async () => {
    const before = await traceIds(cap);
    const out = await send(cap.port, randomBytes(64 * 1024));
    assert.match(out, /^HTTP\/1\.1 400 /);
    assert.equal(await followUp(cap.url, 'after-random'), 200);
    const rows = await caseRows(cap, before, 'after-random', 1);
    assert.equal(rows.length, 1, types(rows));
    assert.equal(rows[0].error_type, 'bad_request');
    assert.match(rows[0].error_message, /^400: HPE_/);
  });

  test('an HTTP/2 preface: 400, one bad_request row, served after', async () => {
    const before = await traceIds(cap);
    const out = await send(cap.port, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 400 [^]*HPE_PAUSED_H2_UPGRADE/);
    assert.equal(await followUp(cap.url, 'after-h2'), 200);
    const rows = await caseRows(cap, before, 'after-h2', 1);
    assert.equal(rows.length, 1, types(rows));
    assert.equal(rows[0].error_type, 'bad_request');
  });

  test('request smuggling shapes (CL with TE either way round, two Content-Lengths, obs-fold): 400 each, nothing reaches the upstream', async () => {
    const host = `Host: 127.0.0.1:${cap.port}\r\n`;
    const smuggled = `GET /smuggled HTTP/1.1\r\n${host}\r\n`;
    const shapes: [string, string, RegExp][] = [
      ['cl-te', `POST /v1/cl-te HTTP/1.1\r\n${host}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`, /HPE_INVALID_TRANSFER_ENCODING/],
      ['te-cl', `POST /v1/te-cl HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\n${smuggled}`, /HPE_INVALID_CONTENT_LENGTH/],
      ['cl-cl', `POST /v1/cl-cl HTTP/1.1\r\n${host}Content-Length: 0\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`, /HPE_UNEXPECTED_CONTENT_LENGTH/],
      ['fold', `POST /v1/fold HTTP/1.1\r\n${host}x-note: one\r\n two\r\nContent-Length: 0\r\n\r\n${smuggled}`, /HPE_INVALID_HEADER_TOKEN/],
      ['fold-te', `POST /v1/fold-te HTTP/1.1\r\n${host}Transfer-Encoding: identity\r\n chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n${smuggled}`, /HPE_INVALID_HEADER_TOKEN/],
    ];
    for (const [tag, bytes, code] of shapes) {
      const before = await traceIds(cap);
      const out = await send(cap.port, bytes);
      assert.match(out, /^HTTP\/1\.1 400 /, tag);
      assert.equal(out.match(/HTTP\/1\.1 /g)!.length, 1, `${tag}: one answer, none for a second request`);
      assert.equal(await followUp(cap.url, `after-${tag}`), 200);
      const rows = await caseRows(cap, before, `after-${tag}`, 1);
      assert.equal(rows.length, 1, `${tag}: ${types(rows)}`);
      assert.equal(rows[0].error_type, 'bad_request', tag);
      assert.match(rows[0].error_message, code, tag);
    }
    assert.deepEqual(
      up.seen.filter((u) => ['/smuggled', ...shapes.map(([tag]) => `/v1/${tag}`)].includes(u)),
      [],
      'the upstream saw neither the ambiguous requests nor a smuggled one',
    );
  });

  test('100 KB of headers, 10,000 headers, a 64 KB request line: 431, one bad_request row each', async () => {
    const host = `Host: 127.0.0.1:${cap.port}\r\n`;
    const heads: [string, string][] = [
      ['big-headers', `GET /v1/models HTTP/1.1\r\n${host}x-big: ${'a'.repeat(100 * 1024)}\r\n\r\n`],
      ['many-headers', `GET /v1/models HTTP/1.1\r\n${host}${Array.from({ length: 10_000 }, (_, i) => `x-h${i}: ${i}\r\n`).join('')}\r\n`],
      ['long-line', `GET /${'a'.repeat(64 * 1024)} HTTP/1.1\r\n${host}\r\n`],
    ];
    for (const [tag, bytes] of heads) {
      const before = await traceIds(cap);
      const out = await send(cap.port, bytes);
      // Node counts the request line with the headers (16 KB): 431 for all three, never a 414.
      assert.match(out, /^HTTP\/1\.1 431 /, tag);
      assert.equal(await followUp(cap.url, `after-${tag}`), 200);
      const rows = await caseRows(cap, before, `after-${tag}`, 1);
      assert.equal(rows.length, 1, `${tag}: ${types(rows)}`);
      assert.equal(rows[0].error_type, 'bad_request', tag);
      assert.match(rows[0].error_message, /^431: HPE_HEADER_OVERFLOW/, tag);
    }
  });

  test('CONNECT on the main port: 400 and a bad_request row naming the forward port (421 and no row under a foreign Host)', async () => {
    let before = await traceIds(cap);
    // As curl sends it (Host: the target): the access guard answers first, as for absolute-form under a foreign Host.
    const foreign = await send(cap.port, 'CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n');
    assert.match(foreign, /^HTTP\/1\.1 421 /);
    assert.equal(await followUp(cap.url, 'after-connect-foreign'), 200);
    assert.deepEqual(await caseRows(cap, before, 'after-connect-foreign', 0), [], 'the guard refused it before any row');
    before = await traceIds(cap);
    const out = await send(cap.port, `CONNECT api.example.com:443 HTTP/1.1\r\nHost: 127.0.0.1:${cap.port}\r\n\r\n`);
    assert.match(out, /^HTTP\/1\.1 400 [^]*does not open tunnels[^]*forward capture port/);
    assert.equal(await followUp(cap.url, 'after-connect'), 200);
    const rows = await caseRows(cap, before, 'after-connect', 1);
    assert.equal(rows.length, 1, types(rows));
    assert.equal(rows[0].error_type, 'bad_request');
    assert.equal(rows[0].method, 'CONNECT');
    assert.equal(rows[0].url, 'api.example.com:443');
  });

  test('a 50 MB upload cut at 10 MB: one client_aborted row, memory bounded, served after', { timeout: 90_000 }, async () => {
    const before = await traceIds(cap);
    const start = rssMiB(cap.pid);
    const s = net.connect(cap.port, '127.0.0.1');
    s.on('error', () => {});
    await once(s, 'connect');
    s.write(`POST /v1/upload HTTP/1.1\r\nHost: 127.0.0.1:${cap.port}\r\nx-claude-code-session-id: upload-cut\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n`);
    const mb = Buffer.alloc(1024 * 1024, 0x62);
    for (let i = 0; i < 10; i++) if (!s.write(mb)) await once(s, 'drain');
    const peak = rssMiB(cap.pid);
    s.destroy();
    assert.equal(await followUp(cap.url, 'after-upload-cut'), 200);
    const rows = await caseRows(cap, before, 'after-upload-cut', 1);
    assert.equal(rows.length, 1, types(rows));
    assert.equal(rows[0].session_id, 'upload-cut');
    assert.equal(rows[0].error_type, 'client_aborted');
    assert.match(rows[0].error_message, /in the middle of the request body \(\d+ of 52428800 bytes received\)/);
    assert.ok(rows[0].request_body_size > 0 && rows[0].request_body_size <= 10 * 1024 * 1024, String(rows[0].request_body_size));
    // 10 MB went through; the copy kept for the row is at most that.
    assert.ok(Math.max(peak, rssMiB(cap.pid)) - start < 100, `RSS ${start.toFixed(0)} → ${peak.toFixed(0)} MiB`);
  });

  test('a client that never reads a 200 MB response: backpressure reaches the upstream, memory bounded; then one client_aborted row', { timeout: 90_000 }, async () => {
    const before = await traceIds(cap);
    const start = rssMiB(cap.pid);
    const s = net.connect(cap.port, '127.0.0.1');
    s.on('error', () => {});
    s.pause(); // never reads
    await once(s, 'connect');
    s.write(`GET /big HTTP/1.1\r\nHost: 127.0.0.1:${cap.port}\r\nx-claude-code-session-id: never-reads\r\n\r\n`);
    // Wait for the stream to stall: what the upstream could write stops growing (or it all went, which fails below).
    let last = -1;
    for (let still = 0, deadline = Date.now() + 20_000; still < 3 && up.big.sent < 200 * 1024 * 1024 && Date.now() < deadline; ) {
      await sleep(200);
      still = up.big.sent === last && last > 0 ? still + 1 : 0;
      last = up.big.sent;
    }
    const rss = rssMiB(cap.pid);
    assert.ok(up.big.sent < 100 * 1024 * 1024, `the upstream wrote ${up.big.sent >> 20} MB to a client that reads nothing`);
    assert.ok(rss - start < 300, `RSS ${start.toFixed(0)} → ${rss.toFixed(0)} MiB`);
    // The stalled stream holds nobody else up.
    assert.equal(await followUp(cap.url, 'during-never-reads'), 200);
    s.destroy();
    assert.equal(await followUp(cap.url, 'after-never-reads'), 200);
    const rows = await caseRows(cap, before, 'after-never-reads', 1);
    const mine = rows.filter((r) => r.session_id !== 'during-never-reads');
    assert.equal(mine.length, 1, types(rows));
    assert.equal(mine[0].error_type, 'client_aborted');
    assert.equal(mine[0].error_message, 'the client closed the connection before the response ended');
    assert.equal(mine[0].status_code, 200, 'the status already sent');
    assert.ok(up.big.closed, 'the upstream response was cut too');
  });

  test('2,000 idle connections (half silent, half a partial header): all held, normal requests served; closed, no rows', { timeout: 90_000 }, async (t) => {
    // Each connection costs the test one descriptor and the proxy one; keep within both processes' limits.
    const limit = (pid: number | 'self') => Number(/Max open files\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))![1]);
    const room = Math.min(limit('self'), limit(cap.pid)) - 200;
    const n = Math.min(2000, room);
    if (n < 2000) t.diagnostic(`open files limit ${room + 200}: ${n} connections instead of 2000`);
    const before = await traceIds(cap);
    const sockets: net.Socket[] = [];
    // Opened in waves the listen backlog (511) can hold, so that none waits on the kernel's SYN-ACK retries. The
    // proxy must take each wave (a liveness bound, far above the second or so it takes all told: each connection's
    // owner used to cost a read of the kernel's socket table on the event loop, a minute for these).
    try {
      const deadline = Date.now() + 30_000;
      while (sockets.length < n) {
        const wave: net.Socket[] = [];
        for (let i = sockets.length; i < Math.min(n, sockets.length + 400); i++) {
          const s = net.connect(cap.port, '127.0.0.1');
          s.on('error', () => {});
          if (i % 2) s.write(`POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${cap.port}\r\nx-claude-code-session-id: idle\r\nContent-Le`);
          wave.push(s);
        }
        await Promise.all(wave.map((s) => (s.connecting ? once(s, 'connect') : null)));
        sockets.push(...wave);
        while (acceptedOn(cap.port) < sockets.length && Date.now() < deadline) await sleep(20);
        assert.ok(acceptedOn(cap.port) >= sockets.length, `the proxy took ${acceptedOn(cap.port)} of ${sockets.length}`);
      }
      assert.equal(await followUp(cap.url, 'during-idle'), 200);
    } finally {
      for (const s of sockets) s.destroy();
    }
    // Every close seen by the proxy before the follow-up, so that any row they made is written before its row.
    for (const deadline = Date.now() + 30_000; acceptedOn(cap.port) > 0 && Date.now() < deadline; ) await sleep(50);
    assert.equal(await followUp(cap.url, 'after-idle'), 200);
    // None: no request ever took shape (a client that leaves mid-header is gone, not malformed).
    const rows = await caseRows(cap, before, 'after-idle', 0);
    assert.deepEqual(rows.filter((r) => r.session_id !== 'during-idle').map((r) => r.error_type), []);
  });

  test('a WebSocket client sending garbage frames, and an upstream doing the same: ws_protocol_error rows, served after', async () => {
    let before = await traceIds(cap);
    const host = `127.0.0.1:${cap.port}`;
    const out = await garbageAfterUpgrade(cap.port, upgradeRequest('/ws', host, 'ws-garbage-client'), garbageFrames(0xb));
    assert.match(out, /^HTTP\/1\.1 101 /);
    assert.equal(await followUp(cap.url, 'after-ws-garbage-client'), 200);
    let rows = await caseRows(cap, before, 'after-ws-garbage-client', 1);
    assert.equal(rows.length, 1, types(rows));
    assert.equal(rows[0].status_code, 101);
    assert.equal(rows[0].error_type, 'ws_protocol_error');
    assert.match(rows[0].error_message, /the client sent a malformed WebSocket frame \(reserved opcode 11\)/);

    before = await traceIds(cap);
    await garbageAfterUpgrade(cap.port, upgradeRequest('/ws-garbage', host, 'ws-garbage-upstream'), null);
    assert.equal(await followUp(cap.url, 'after-ws-garbage-upstream'), 200);
    rows = await caseRows(cap, before, 'after-ws-garbage-upstream', 1);
    assert.equal(rows.length, 1, types(rows));
    assert.equal(rows[0].error_type, 'ws_protocol_error');
    assert.match(rows[0].error_message, /the upstream sent a malformed WebSocket frame \(reserved opcode 3\)/);
  });
});

describe('malformed input on the forward port', () => {
  const up = provider();
  let upPort: number;
  // An HTTPS upstream on 127.0.0.1 with a certificate for that address from its own CA, which ccproxy is told to trust.
  const caDir = tempConfigDir();
  let secure: https.Server;
  let securePort: number;
  let cap: RunningCapture & { dir: string };
  let hello: Buffer;
  before(async () => {
    upPort = await listenLocal(up.server);
    const ca = await loadOrCreateCA(caDir.dir);
    secure = https.createServer(await ca.pemFor('127.0.0.1'), (req, res) => {
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    securePort = await listenLocal(secure);
    cap = await startCapture(['--mode', 'forward'], undefined, { NODE_EXTRA_CA_CERTS: ca.certPath });
    hello = await new Promise<Buffer>((resolve) => {
      const srv = net.createServer((s) => s.once('data', (d: Buffer) => (resolve(d), s.destroy(), srv.close())));
      srv.listen(0, '127.0.0.1', () => tls.connect({ port: (srv.address() as net.AddressInfo).port, host: '127.0.0.1', servername: 'abort.example' }).on('error', () => {}));
    });
  });
  after(async () => {
    assert.equal(await cap?.stop(), 0);
    up.server.closeAllConnections();
    up.server.close();
    secure?.closeAllConnections();
    secure?.close();
    caDir.remove();
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

  test('CONNECT, then bytes that begin like TLS but are not a handshake: a bad_request row, not client_tls_rejected', async () => {
    const s = net.connect(cap.port, '127.0.0.1', () => s.write('CONNECT garbled.example:443 HTTP/1.1\r\nHost: garbled.example:443\r\n\r\n'));
    s.on('error', () => {});
    await once(s, 'data');
    s.write(Buffer.concat([Buffer.from([0x16]), Buffer.from('garbage after a TLS record type byte')]));
    if (!s.closed) await once(s, 'close');
    const [r] = await cap.rows(`host = 'garbled.example'`);
    assert.equal(r.error_type, 'bad_request');
    assert.match(r.error_message, /not a TLS handshake/);
  });

  test('64 KB of random bytes: 400, one bad_request row, and a proxied request after it is served', async () => {
    const before = await traceIds(cap);
    const out = await send(cap.port, randomBytes(64 * 1024));
    assert.match(out, /^HTTP\/1\.1 400 /);
    assert.equal(await forwardFollowUp(cap.port, upPort, 'fwd-after-random'), 200);
    const rows = await caseRows(cap, before, 'fwd-after-random', 1);
    assert.equal(rows.length, 1, types(rows));
    assert.equal(rows[0].error_type, 'bad_request');
    assert.match(rows[0].error_message, /^400: HPE_/);
  });

  test('an HTTP/2 preface: 400, one bad_request row, served after', async () => {
    const before = await traceIds(cap);
    const out = await send(cap.port, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 400 [^]*HPE_PAUSED_H2_UPGRADE/);
    assert.equal(await forwardFollowUp(cap.port, upPort, 'fwd-after-h2'), 200);
    const rows = await caseRows(cap, before, 'fwd-after-h2', 1);
    assert.equal(rows.length, 1, types(rows));
    assert.equal(rows[0].error_type, 'bad_request');
  });

  test('CONNECT to a closed local port: the tunnel opens, each request in it gets 502 and a connect_failed row (plain HTTP and TLS)', async () => {
    // The upstream connection is made per request, once it has been read: the CONNECT itself succeeds.
    const port = await closedPort();
    const before = await traceIds(cap);
    const plain = await send(cap.port, `CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\nGET /inside HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    assert.match(plain, /^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 502 [^]*"error_type":"connect_failed"/);
    const s = net.connect(cap.port, '127.0.0.1');
    s.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    await once(s, 'data');
    const t = tls.connect({ socket: s, rejectUnauthorized: false });
    await once(t, 'secureConnect');
    t.write(`GET /inside-tls HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    let answer = '';
    t.on('data', (d) => (answer += d));
    await once(t, 'close');
    assert.match(answer, /^HTTP\/1\.1 502 [^]*"error_type":"connect_failed"/);
    assert.equal(await forwardFollowUp(cap.port, upPort, 'fwd-after-closed'), 200);
    const rows = await caseRows(cap, before, 'fwd-after-closed', 2);
    assert.deepEqual(
      rows.map((r) => [r.url, r.error_type]),
      [
        [`http://127.0.0.1:${port}/inside`, 'connect_failed'],
        [`https://127.0.0.1:${port}/inside-tls`, 'connect_failed'],
      ],
    );
  });

  test('CONNECT to a local port, then bytes that are neither TLS nor HTTP: the tunnel is refused, one tunnel_refused row', async () => {
    const before = await traceIds(cap);
    const garbage = randomBytes(4096);
    garbage[0] = 0x01; // not a TLS record, not a request line
    const s = net.connect(cap.port, '127.0.0.1');
    s.on('error', () => {});
    s.write(`CONNECT 127.0.0.1:${upPort} HTTP/1.1\r\nHost: 127.0.0.1:${upPort}\r\n\r\n`);
    await once(s, 'data');
    s.write(garbage);
    if (!s.closed) await once(s, 'close');
    assert.equal(await forwardFollowUp(cap.port, upPort, 'fwd-after-garbage'), 200);
    const rows = await caseRows(cap, before, 'fwd-after-garbage', 1);
    assert.equal(rows.length, 1, types(rows));
    assert.equal(rows[0].error_type, 'tunnel_refused');
    assert.equal(rows[0].method, 'CONNECT');
    assert.equal(rows[0].url, `127.0.0.1:${upPort}`);
  });

  test('a ClientHello without SNI after CONNECT 127.0.0.1:port: a certificate for the address, the exchange recorded', async () => {
    const before = await traceIds(cap);
    const s = net.connect(cap.port, '127.0.0.1');
    s.write(`CONNECT 127.0.0.1:${securePort} HTTP/1.1\r\nHost: 127.0.0.1:${securePort}\r\n\r\n`);
    await once(s, 'data');
    // No servername, and the host an IP address: Node sends no SNI.
    const t = tls.connect({ socket: s, host: '127.0.0.1', rejectUnauthorized: false });
    await once(t, 'secureConnect');
    const leaf = new X509Certificate(t.getPeerCertificate().raw);
    assert.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1', 'the CONNECT target\'s address');
    assert.ok(leaf.verify(new X509Certificate(readFileSync(join(cap.dir, 'ccproxy-ca.pem'))).publicKey), 'issued by the ccproxy CA');
    t.write(`POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${securePort}\r\nx-claude-code-session-id: no-sni\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
    let answer = '';
    t.on('data', (d) => (answer += d));
    await once(t, 'close');
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.equal(await forwardFollowUp(cap.port, upPort, 'fwd-after-no-sni'), 200);
    const rows = await caseRows(cap, before, 'fwd-after-no-sni', 1);
    assert.equal(rows.length, 1, types(rows));
    assert.equal(rows[0].url, `https://127.0.0.1:${securePort}/v1/messages`);
    assert.equal(rows[0].is_https, true);
    assert.equal(rows[0].status_code, 200);
    assert.equal(rows[0].error_type, null);
  });

  test('a WebSocket client sending garbage frames through the forward port (ws://): a ws_protocol_error row, served after', async () => {
    const before = await traceIds(cap);
    const target = `127.0.0.1:${upPort}`;
    const out = await garbageAfterUpgrade(cap.port, upgradeRequest(`http://${target}/ws`, target, 'fwd-ws-garbage'), garbageFrames(0xb));
    assert.match(out, /^HTTP\/1\.1 101 /);
    assert.equal(await forwardFollowUp(cap.port, upPort, 'fwd-after-ws-garbage'), 200);
    const rows = await caseRows(cap, before, 'fwd-after-ws-garbage', 1);
    assert.equal(rows.length, 1, types(rows));
    assert.equal(rows[0].error_type, 'ws_protocol_error');
    assert.match(rows[0].error_message, /the client sent a malformed WebSocket frame \(reserved opcode 11\)/);
  });
});
