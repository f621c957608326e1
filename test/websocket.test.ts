// WebSocket capture end to end: `ws` clients and echo servers through `ccproxy mitm start` (reverse, and forward
// with TLS interception by ccproxy's CA), rows and message rows read back from the database; raw sockets play
// the peers that misbehave (leave early, vanish mid-message, send malformed frames).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { encodeFrame, OP_BINARY, OP_CLOSE, OP_PING, OP_TEXT } from '../src/proxy/ws-frames.js';
import { loadOrCreateCA } from '../src/proxy/tls/ca.js';
import { runCli } from './helpers/cli.js';
import { startProvider, stackConfig, status, stopAndCheck } from './helpers/daemon.js';
import { startCapture, type RunningCapture } from './helpers/proxy.js';
import { tempConfigDir } from './helpers/pg.js';

const MASK = Buffer.from([0x11, 0x22, 0x33, 0x44]);
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** An echo server: every message back as it came (text stays text), permessage-deflate offered. */
async function echoServer(server: http.Server | https.Server) {
  const wss = new WebSocketServer({ server, perMessageDeflate: { threshold: 0 } });
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {});
    ws.on('message', (data, binary) => {
      const text = data.toString();
      // "vanish" makes the server drop the connection without a close frame.
      if (!binary && text === 'vanish') return ws.terminate();
      ws.send(data, { binary });
    });
    ws.send(`welcome ${req.url}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { wss, port: (server.address() as AddressInfo).port };
}

/** Messages of one connection as stored, by seq; polled until `n` are there. */
async function messages(cap: RunningCapture, traceId: string, n: number) {
  for (let i = 0; ; i++) {
    const { rows } = await cap.db.pool.query(`SELECT * FROM "CCProxy_WebSocketMessages" WHERE trace_id = $1 ORDER BY seq`, [traceId]);
    if (rows.length >= n || i > 200) return rows;
    await sleep(50);
  }
}

/** A raw upgrade request on a new socket; resolves with the socket and what came back first. */
function rawUpgrade(port: number, lines: string[], host = '127.0.0.1'): Promise<net.Socket> {
  const s = net.connect(port, host);
  s.on('error', () => {});
  // The listener's own name: the main port answers only requests addressed to it.
  const own = lines.map((l) => (l === 'Host: x' ? `Host: ${host}:${port}` : l));
  s.write(`${own.join('\r\n')}\r\n\r\n`);
  return once(s, 'connect').then(() => s);
}

const upgradeLines = (path: string, extra: string[] = []) => [`GET ${path} HTTP/1.1`, 'Host: x', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${KEY}`, ...extra];

/** Everything a socket receives until it closes. */
async function readAll(s: net.Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  s.on('data', (d) => parts.push(d));
  if (!s.closed) await once(s, 'close');
  return Buffer.concat(parts);
}

/** A client that sends an Upgrade and leaves before any answer, by FIN or by RST. */
async function leaveEarly(port: number, how: 'fin' | 'rst', requestTarget = '/', upstream?: { held: Set<net.Socket> }) {
  const before = upstream?.held.size ?? 0;
  const s = await rawUpgrade(port, upgradeLines(requestTarget));
  s.resume(); // read whatever comes, so that the proxy's own FIN is seen
  // Leave once the proxy has taken the request to the upstream (however busy the machine), not before.
  for (let i = 0; upstream && upstream.held.size <= before && i < 250; i++) await sleep(20);
  await sleep(20);
  const closed = s.closed ? Promise.resolve() : once(s, 'close');
  if (how === 'fin') s.end();
  else s.resetAndDestroy();
  await closed;
}

/** An upstream that accepts connections and never answers. */
async function silentUpstream() {
  const held = new Set<net.Socket>();
  const server = net.createServer((s) => {
    held.add(s);
    s.on('error', () => {});
    s.on('close', () => held.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    held,
    close: () => {
      for (const s of held) s.destroy();
      server.close();
    },
  };
}

describe('WebSocket capture: reverse', () => {
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let cap: RunningCapture;
  before(async () => {
    echo = await echoServer(http.createServer());
    cap = await startCapture(['--upstream', `http://127.0.0.1:${echo.port}`], 'ccproxy:\n  mitm:\n    max_body_size: 100000\n');
  });
  after(async () => {
    assert.equal(await cap?.stop(), 0);
    echo?.wss.close();
    echo?.wss.options.server?.close();
  });

  test('an echo with permessage-deflate: bytes intact both ways, the 101 row, every message inflated in order, the close last', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${cap.port}/echo?x=1`, { perMessageDeflate: true, headers: { 'x-claude-code-session-id': 'ws-echo' } });
    const got: { data: Buffer; binary: boolean }[] = [];
    ws.on('message', (data: Buffer, binary) => got.push({ data, binary }));
    await once(ws, 'open');
    assert.match(String(ws.extensions), /permessage-deflate/, 'the extension was negotiated through the proxy');
    const big = Buffer.alloc(200_000, 'abcdefgh');
    const bin = Buffer.from([0, 1, 2, 255, 254]);
    ws.send('{"type":"response.create","api_key":"sk-secret-1"}');
    ws.send(bin);
    ws.send(big.toString());
    await new Promise<void>((r) => ws.ping('p', undefined, () => r()));
    while (got.length < 4) await sleep(10);
    ws.close(1000, 'done here');
    await once(ws, 'close');
    assert.equal(got[0]!.data.toString(), 'welcome /echo?x=1');
    assert.equal(got[1]!.data.toString(), '{"type":"response.create","api_key":"sk-secret-1"}', 'the client gets the bytes unredacted');
    assert.ok(got[2]!.binary && got[2]!.data.equals(bin));
    assert.equal(got[3]!.data.toString(), big.toString());

    const [row] = await cap.rows(`session_id = 'ws-echo'`);
    assert.equal(row.status_code, 101);
    assert.equal(row.method, 'GET');
    assert.equal(row.url, `${cap.url}/echo?x=1`);
    assert.equal(row.proxy_direction, 0);
    assert.equal(row.response_headers.upgrade, 'websocket');
    assert.match(row.response_headers['sec-websocket-extensions'], /permessage-deflate/);
    assert.equal(row.server_port, echo.port);
    assert.ok(row.ttfb_ms !== null && row.duration_ms >= 0);
    assert.equal(row.error_type, null);

    const m = await messages(cap, row.trace_id, 10);
    const seen = m.map((x) => [x.seq, x.direction, x.opcode]);
    assert.deepEqual(seen.map((x) => x[0]), [...m.keys()], 'seq from 0, no gaps');
    const byDir = (d: number) => m.filter((x) => x.direction === d && x.opcode !== OP_PING && x.opcode !== 10 && x.opcode !== OP_CLOSE);
    assert.deepEqual(
      byDir(0).map((x) => [x.opcode, x.payload.toString('latin1').slice(0, 40)]),
      [
        [OP_TEXT, '{"type":"response.create","api_key":"[re'],
        [OP_BINARY, bin.toString('latin1')],
        [OP_TEXT, 'abcdefghabcdefghabcdefghabcdefghabcdefgh'],
      ],
    );
    assert.match(byDir(0)[0]!.payload.toString(), /"api_key":"\[redacted len=11 sha256=[0-9a-f]{8}\]"/);
    const bigRow = byDir(0)[2]!;
    assert.equal(bigRow.payload.length, 100_000, 'bounded by max_body_size');
    assert.equal(bigRow.truncated, true);
    assert.ok(bigRow.size < 10_000, `size is the compressed bytes on the wire (${bigRow.size})`);
    assert.equal(byDir(1)[0]!.payload.toString(), 'welcome /echo?x=1');
    assert.ok(m.some((x) => x.direction === 0 && x.opcode === OP_PING && x.payload.toString() === 'p'));
    assert.ok(m.some((x) => x.direction === 1 && x.opcode === 10), 'the pong');
    const closes = m.filter((x) => x.opcode === OP_CLOSE);
    assert.equal(closes.length, 2);
    assert.equal(closes[0]!.direction, 0, 'the client closed first');
    assert.equal(closes[0]!.payload.readUInt16BE(0), 1000);
    assert.equal(closes[0]!.payload.subarray(2).toString(), 'done here');
    assert.equal(m.at(-1)!.opcode, OP_CLOSE, 'the close is the last row');
  });

  test('an upstream that refuses the upgrade (404): its answer reaches the client and the row', async () => {
    const refuser = http.createServer();
    refuser.on('upgrade', (_req, socket) => {
      const body = '{"error":{"message":"websocket not supported here"}}';
      socket.end(`HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    });
    await new Promise<void>((r) => refuser.listen(0, '127.0.0.1', r));
    const c2 = await startCapture(['--upstream', `http://127.0.0.1:${(refuser.address() as AddressInfo).port}`]);
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${c2.port}/v1/responses`, { headers: { 'x-claude-code-session-id': 'ws-404' } });
      ws.on('error', () => {});
      const [, res] = (await once(ws, 'unexpected-response')) as [unknown, http.IncomingMessage];
      assert.equal(res.statusCode, 404);
      let body = '';
      for await (const c of res) body += c;
      assert.equal(JSON.parse(body).error.message, 'websocket not supported here');
      const [row] = await c2.rows(`session_id = 'ws-404'`);
      assert.equal(row.status_code, 404);
      assert.equal(row.response_headers['content-type'], 'application/json');
      assert.equal(row.response_body.toString(), body);
      assert.equal(row.error_type, null);
    } finally {
      await c2.stop();
      refuser.close();
    }
  });

  test('the upstream vanishes mid-stream: the client is ended, the row says the upstream left', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${cap.port}/`, { headers: { 'x-claude-code-session-id': 'ws-up-vanish' } });
    ws.on('error', () => {});
    await once(ws, 'open');
    ws.send('vanish');
    const [code] = await once(ws, 'close');
    assert.equal(code, 1006, 'no close frame: abnormal closure');
    const [row] = await cap.rows(`session_id = 'ws-up-vanish'`);
    assert.equal(row.status_code, 101);
    assert.equal(row.error_type, 'upstream_reset');
    assert.match(row.error_message, /the upstream closed the connection without a WebSocket close/);
  });

  test('the client vanishes mid-message (a raw socket): the upstream is ended, the row says the client left', async () => {
    const s = await rawUpgrade(cap.port, upgradeLines('/', ['x-claude-code-session-id: ws-client-vanish']));
    await once(s, 'data'); // the 101 (and the welcome)
    const frame = encodeFrame(OP_TEXT, Buffer.from('half of a message'), { mask: MASK, fin: false });
    s.write(frame.subarray(0, 10));
    await sleep(50);
    s.resetAndDestroy();
    const [row] = await cap.rows(`session_id = 'ws-client-vanish'`);
    assert.equal(row.error_type, 'client_aborted');
    assert.match(row.error_message, /the client closed the connection in the middle of a message/);
  });

  test('a malformed frame: the relay ends cleanly, the row says which side and why, the proxy keeps serving', async () => {
    const s = await rawUpgrade(cap.port, upgradeLines('/', ['x-claude-code-session-id: ws-malformed']));
    await once(s, 'data');
    const done = readAll(s);
    // Good frame, then an unmasked one (a client must mask) and a control frame of 200 bytes.
    s.write(Buffer.concat([encodeFrame(OP_TEXT, Buffer.from('fine'), { mask: MASK }), encodeFrame(OP_TEXT, Buffer.from('bad'))]));
    await done; // the proxy ended the connection (FIN): readAll resolved
    const [row] = await cap.rows(`session_id = 'ws-malformed'`);
    assert.equal(row.error_type, 'ws_protocol_error');
    assert.match(row.error_message, /the client sent a malformed WebSocket frame \(an unmasked frame from the client\)/);
    const m = await messages(cap, row.trace_id, 2);
    assert.ok(m.some((x) => x.direction === 0 && x.payload.toString() === 'fine'), 'the good frame before it went on');

    const oversized = await rawUpgrade(cap.port, upgradeLines('/', ['x-claude-code-session-id: ws-oversized']));
    await once(oversized, 'data');
    const ended = readAll(oversized);
    oversized.write(encodeFrame(OP_PING, Buffer.alloc(200), { mask: MASK }));
    await ended;
    const [row2] = await cap.rows(`session_id = 'ws-oversized'`);
    assert.match(row2.error_message, /a control frame \(opcode 9\) of 200 bytes, more than 125/);

    const ws = new WebSocket(`ws://127.0.0.1:${cap.port}/still`);
    const [first] = await once(ws, 'message');
    assert.equal(String(first), 'welcome /still');
    ws.close();
  });
});

describe('WebSocket capture: a client that leaves before the answer, a failed upgrade, stop with a pending upgrade', () => {
  test('10 clients leaving early (FIN and RST) against reverse and forward: no crash, rows, the proxy still serves', async () => {
    const silent = await silentUpstream();
    const echo = await echoServer(http.createServer());
    const rev = await startCapture(['--upstream', `http://127.0.0.1:${silent.port}`]);
    const fwd = await startCapture(['--mode', 'forward']);
    try {
      for (let i = 0; i < 10; i++) {
        await leaveEarly(rev.port, i % 2 ? 'rst' : 'fin', '/', silent);
        await leaveEarly(fwd.port, i % 2 ? 'rst' : 'fin', `http://127.0.0.1:${silent.port}/`, silent);
      }
      for (const c of [rev, fwd]) {
        const rows = await c.rows(`error_type = 'client_aborted'`, 10);
        assert.equal(rows.length, 10);
        assert.match(rows[0].error_message, /before the upstream answered the upgrade/);
      }
      // Still serving: a full WebSocket through the forward capture (absolute-form ws://).
      const s = await rawUpgrade(fwd.port, upgradeLines(`http://127.0.0.1:${echo.port}/alive`));
      const [head] = await once(s, 'data');
      assert.match(String(head), /^HTTP\/1\.1 101 /);
      s.destroy();
    } finally {
      assert.equal(await rev.stop(), 0);
      assert.equal(await fwd.stop(), 0);
      silent.close();
      echo.wss.close();
      echo.wss.options.server?.close();
    }
  });

  test('an upstream that cannot be reached: 502 JSON to the client and a connect_failed row', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    const fwd = await startCapture(['--mode', 'forward']);
    try {
      const s = await rawUpgrade(fwd.port, upgradeLines(`http://127.0.0.1:${port}/ws`, ['x-claude-code-session-id: ws-unreachable']));
      const answer = (await readAll(s)).toString();
      assert.match(answer, /^HTTP\/1\.1 502 /);
      assert.equal(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error.error_type, 'connect_failed');
      const [row] = await fwd.rows(`session_id = 'ws-unreachable'`);
      assert.equal(row.error_type, 'connect_failed');
      assert.equal(row.status_code, null);
      assert.equal(row.url, `http://127.0.0.1:${port}/ws`);
    } finally {
      await fwd.stop();
    }
  });

  test('stop with an upgrade whose upstream never answers: the process exits, the row says it was cut', { timeout: 30_000 }, async () => {
    const silent = await silentUpstream();
    const rev = await startCapture(['--upstream', `http://127.0.0.1:${silent.port}`]);
    try {
      const s = await rawUpgrade(rev.port, upgradeLines('/', ['x-claude-code-session-id: ws-pending']));
      while (silent.held.size === 0) await sleep(10);
      const closed = once(s, 'close');
      assert.equal(await rev.interrupt(), 0);
      await closed;
      const [row] = await rev.rows(`session_id = 'ws-pending'`);
      assert.equal(row.error_type, 'proxy_shutdown');
    } finally {
      await rev.stop();
      silent.close();
    }
  });
});

describe('WebSocket capture: clients leaving early through a running daemon (start --mitm)', () => {
  test('10 clients leaving before the answer at the main entry and at the forward capture: the daemon keeps serving, stop ends it', { timeout: 120_000 }, async () => {
    const provider = await startProvider();
    const cfg = stackConfig(provider.url);
    const env = { CCPROXY_CONFIG_DIR: cfg.dir, NODE_EXTRA_CA_CERTS: provider.caPath };
    const silent = await silentUpstream();
    try {
      const started = await runCli(['start', '--mitm', '--detach'], env);
      assert.equal(started.code, 0, started.stderr);
      const { s } = await status(env);
      for (let i = 0; i < 10; i++) {
        await leaveEarly(s.components.reverse.port!, i % 2 ? 'rst' : 'fin');
        await leaveEarly(s.components.forward.port!, i % 2 ? 'rst' : 'fin', `http://127.0.0.1:${silent.port}/`, silent);
      }
      // One more left pending at the forward capture while the daemon stops.
      await rawUpgrade(s.components.forward.port!, upgradeLines(`http://127.0.0.1:${silent.port}/pending`));
      const after = await status(env);
      assert.equal(after.code, 0);
      assert.equal(after.s.pid, s.pid, 'the same process still runs');
      const health = await fetch(`${s.url}/health`);
      assert.equal(health.status, 200, 'and still serves');
      const stopped = await stopAndCheck(env, s.pid);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stdout, /ccproxy stopped/);
    } finally {
      await stopAndCheck(env);
      silent.close();
      await provider.close();
      cfg.remove();
    }
  });
});

describe('WebSocket capture: forward with TLS interception (wss://)', () => {
  const caDir = tempConfigDir();
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let cap: RunningCapture & { dir: string };
  before(async () => {
    const providerCa = await loadOrCreateCA(caDir.dir);
    echo = await echoServer(https.createServer(await providerCa.pemFor('localhost')));
    cap = await startCapture(['--mode', 'forward'], undefined, { NODE_EXTRA_CA_CERTS: providerCa.certPath });
  });
  after(async () => {
    assert.equal(await cap?.stop(), 0);
    echo?.wss.close();
    echo?.wss.options.server?.close();
    caDir.remove();
  });

  /** A wss:// connection through the proxy: CONNECT, then TLS with ccproxy's CA, then the WebSocket handshake. */
  async function connectThrough(path: string, headers: Record<string, string>, deflate = true): Promise<WebSocket> {
    const tunnel = net.connect(cap.port, '127.0.0.1');
    tunnel.write(`CONNECT localhost:${echo.port} HTTP/1.1\r\nHost: localhost:${echo.port}\r\n\r\n`);
    const [reply] = await once(tunnel, 'data');
    assert.match(String(reply), /^HTTP\/1\.1 200/);
    const ca = readFileSync(join(cap.dir, 'ccproxy-ca.pem'));
    const ws = new WebSocket(`wss://localhost:${echo.port}${path}`, { headers, perMessageDeflate: deflate, createConnection: () => tls.connect({ socket: tunnel, servername: 'localhost', ca }) });
    ws.on('error', () => {});
    await once(ws, 'open');
    return ws;
  }

  test('an echo over wss:// is intercepted like HTTPS: bytes intact, the row, the messages', async () => {
    const ws = await connectThrough('/v1/responses', { 'x-claude-code-session-id': 'wss-echo' });
    const got: string[] = [];
    ws.on('message', (d) => got.push(String(d)));
    ws.send('{"type":"response.create","model":"gpt-5"}');
    while (got.length < 2) await sleep(10);
    ws.close(1000);
    await once(ws, 'close');
    assert.deepEqual(got, ['welcome /v1/responses', '{"type":"response.create","model":"gpt-5"}']);
    const [row] = await cap.rows(`session_id = 'wss-echo'`);
    assert.equal(row.proxy_direction, 1);
    assert.equal(row.is_https, true);
    assert.equal(row.url, `https://localhost:${echo.port}/v1/responses`);
    assert.equal(row.traffic_type, 'llm');
    assert.equal(row.status_code, 101);
    assert.equal(row.server_port, echo.port);
    assert.ok(row.end_time);
    const m = await messages(cap, row.trace_id, 4);
    assert.deepEqual(
      m.map((x) => [x.seq, x.direction, x.opcode, x.payload?.toString()]).slice(0, 3),
      [
        [0, 1, OP_TEXT, 'welcome /v1/responses'],
        [1, 0, OP_TEXT, '{"type":"response.create","model":"gpt-5"}'],
        [2, 1, OP_TEXT, '{"type":"response.create","model":"gpt-5"}'],
      ],
    );
    assert.equal(m.at(-1)!.opcode, OP_CLOSE);
  });

  test('the client vanishes mid-stream over wss://: the row says the client left', async () => {
    const ws = await connectThrough('/', { 'x-claude-code-session-id': 'wss-client-vanish' }, false);
    await once(ws, 'message');
    ws.terminate();
    const [row] = await cap.rows(`session_id = 'wss-client-vanish'`);
    assert.equal(row.error_type, 'client_aborted');
  });
});
