// ccproxy.mitm.map_remote end to end: clients asking for hosts that do not even resolve are sent to local stand-ins
// (plain HTTP and HTTPS, requests and a WebSocket upgrade) through `ccproxy mitm start --mode forward`, with rows
// saying where each went and what was asked; invalid entries refused at start; and through `ccproxy start --mitm`,
// the gateway's own provider calls are never mapped while a client's request to the same provider is.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import { loadOrCreateCA, type CertificateAuthority } from '../src/proxy/tls/ca.js';
import { encodeFrame, OP_TEXT } from '../src/proxy/ws-frames.js';
import { runCli } from './helpers/cli.js';
import { SONNET, stackConfig, startProvider, status, stopAndCheck, type Provider, startDetached } from './helpers/daemon.js';
import { createTempDatabase, serverAvailable, tempConfigDir } from './helpers/pg.js';
import { startCapture, type RunningCapture } from './helpers/proxy.js';
import { StandIn } from './helpers/standin.js';

const exec = promisify(execFile);
const curl = (args: string[]) =>
  exec('curl', ['-sS', ...args]).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
const GEMINI_KEY = 'AIza-map-remote-secret-key';

describe('map_remote through the forward capture (ccproxy mitm start --mode forward)', () => {
  const providerCaDir = tempConfigDir();
  let providerCa: CertificateAuthority;
  let secure: StandIn;
  let plain: StandIn;
  let cap: RunningCapture & { dir: string };
  let ccproxyCa: string;

  before(async () => {
    providerCa = await loadOrCreateCA(providerCaDir.dir);
    secure = await new StandIn(await providerCa.pemFor('localhost')).start();
    plain = await new StandIn().start();
    const yaml = [
      'ccproxy:',
      '  mitm:',
      '    map_remote:',
      '      - from: "https://api.anthropic.invalid"',
      `        to: "http://127.0.0.1:${plain.port}"`,
      // Longer, so it wins for this path over the entry above.
      '      - from: "https://api.anthropic.invalid/v1/messages/count_tokens"',
      `        to: "https://localhost:${secure.port}/v1/messages/count_tokens"`,
      '      - from: "http://plain.invalid/api"',
      `        to: "https://localhost:${secure.port}/v1"`,
      '      - from: "https://api.openai.invalid"',
      `        to: "http://127.0.0.1:${plain.port}"`,
      '',
    ].join('\n');
    cap = await startCapture(['--mode', 'forward'], yaml, { NODE_EXTRA_CA_CERTS: providerCa.certPath });
    ccproxyCa = join(cap.dir, 'ccproxy-ca.pem');
  });
  after(async () => {
    assert.equal(await cap?.stop(), 0);
    await Promise.all([secure?.close(), plain?.close()]);
    providerCaDir.remove();
  });

  test('curl: an https URL of a host that does not resolve, mapped to a plain-HTTP stand-in', async () => {
    const r = await curl(['--proxy', cap.url, '--cacert', ccproxyCa, '-H', 'content-type: application/json', '-H', 'x-claude-code-session-id: map-plain', '--data', '{"model":"m"}', `https://api.anthropic.invalid/v1/messages?beta=true&key=${GEMINI_KEY}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).id, 'msg_1');
    const got = plain.seen.at(-1)!;
    assert.equal(got.url, `/v1/messages?beta=true&key=${GEMINI_KEY}`);
    assert.equal(got.headers.host, `127.0.0.1:${plain.port}`, 'the Host header names the new target');
    const [row] = await cap.rows(`session_id = 'map-plain'`);
    assert.match(row.url, new RegExp(`^http://127\\.0\\.0\\.1:${plain.port}/v1/messages\\?beta=true&key=`));
    assert.equal(row.host, '127.0.0.1');
    assert.equal(row.is_https, false);
    assert.equal(row.server_port, plain.port);
    assert.equal(row.status_code, 200);
    assert.match(row.original_url, /^https:\/\/api\.anthropic\.invalid\/v1\/messages\?beta=true&key=/);
    for (const col of ['url', 'path', 'original_url']) assert.ok(!String(row[col]).includes(GEMINI_KEY), `${col}: the key is redacted`);
  });

  test('undici ProxyAgent: the longest matching from wins, to an HTTPS stand-in verified as itself', async () => {
    const dispatcher = new ProxyAgent({ uri: cap.url, requestTls: { ca: readFileSync(ccproxyCa, 'utf8') } });
    try {
      const res = await undiciFetch('https://api.anthropic.invalid/v1/messages/count_tokens', {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json', 'x-claude-code-session-id': 'map-tls' },
        body: JSON.stringify({ model: 'm', messages: [] }),
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { input_tokens: 42 });
    } finally {
      await dispatcher.close();
    }
    assert.equal(secure.seen.at(-1)!.headers.host, `localhost:${secure.port}`);
    const [row] = await cap.rows(`session_id = 'map-tls'`);
    assert.equal(row.url, `https://localhost:${secure.port}/v1/messages/count_tokens`);
    assert.equal(row.host, 'localhost');
    assert.equal(row.path, '/v1/messages/count_tokens');
    assert.equal(row.is_https, true);
    assert.equal(row.server_port, secure.port);
    assert.equal(row.original_url, 'https://api.anthropic.invalid/v1/messages/count_tokens');
  });

  test('absolute-form http: a path prefix mapped onto another path of an HTTPS stand-in', async () => {
    const r = await curl(['--proxy', cap.url, '-H', 'x-claude-code-session-id: map-absolute', '--data', '{"model":"m"}', 'http://plain.invalid/api/messages']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).id, 'msg_1');
    assert.equal(secure.seen.at(-1)!.url, '/v1/messages');
    const [row] = await cap.rows(`session_id = 'map-absolute'`);
    assert.equal(row.url, `https://localhost:${secure.port}/v1/messages`);
    assert.equal(row.is_https, true);
    assert.equal(row.original_url, 'http://plain.invalid/api/messages');
  });

  test('a request no entry matches goes where it asked; original_url is NULL', async () => {
    const r = await curl(['--proxy', cap.url, '--cacert', ccproxyCa, '-H', 'x-claude-code-session-id: map-none', '--data', '{"model":"m"}', `https://localhost:${secure.port}/v1/messages`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(secure.seen.at(-1)!.headers.host, `localhost:${secure.port}`);
    const [row] = await cap.rows(`session_id = 'map-none'`);
    assert.equal(row.url, `https://localhost:${secure.port}/v1/messages`);
    assert.equal(row.original_url, null);
  });

  test('a WebSocket upgrade to wss:// of a host that does not resolve is mapped like https', async () => {
    const before = plain.seen.length;
    const echoed = await wssThroughProxy(cap.port, 'api.openai.invalid', '/v1/responses', ccproxyCa, 'hello over the relay');
    assert.match(echoed.status, /^HTTP\/1\.1 101 /);
    assert.equal(echoed.data, 'hello over the relay');
    const got = plain.seen.slice(before).find((s) => s.url === '/v1/responses');
    assert.ok(got, 'the upgrade reached the mapped stand-in');
    assert.equal(got.headers.host, `127.0.0.1:${plain.port}`);
    assert.equal(got.headers.upgrade, 'websocket');
  });
});

/** CONNECT, TLS with the ccproxy CA, a WebSocket upgrade request; returns the status line and what came back after `send`. */
async function wssThroughProxy(proxyPort: number, host: string, path: string, caPath: string, send: string): Promise<{ status: string; data: string }> {
  const raw = net.connect(proxyPort, '127.0.0.1');
  raw.write(`CONNECT ${host}:443 HTTP/1.1\r\nHost: ${host}:443\r\n\r\n`);
  await readUntil(raw, '\r\n\r\n');
  const t = tls.connect({ socket: raw, servername: host, ca: readFileSync(caPath) });
  await new Promise<void>((resolve, reject) => t.once('secureConnect', resolve).once('error', reject));
  t.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
  const head = await readUntil(t, '\r\n\r\n');
  // One masked text frame (short: a 2-byte header) out; the echo comes back as one unmasked frame.
  t.write(encodeFrame(OP_TEXT, Buffer.from(send), { mask: Buffer.from([1, 2, 3, 4]) }));
  let frame = head.slice(head.indexOf('\r\n\r\n') + 4);
  while (frame.length < send.length + 2) frame += await readUntil(t, '');
  t.destroy();
  return { status: head.split('\r\n')[0]!, data: frame.slice(2) };
}

function readUntil(s: net.Socket | tls.TLSSocket, marker: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes(marker)) {
        s.off('data', onData).off('error', reject);
        s.pause();
        resolve(buf);
      }
    };
    s.on('data', onData).once('error', reject);
    s.resume();
  });
}

test('invalid map_remote entries: ccproxy mitm start and ccproxy start refuse them with file and line', async () => {
  const cfg = tempConfigDir();
  try {
    const file = join(cfg.dir, 'ccproxy.yaml');
    writeFileSync(file, 'ccproxy:\n  port: 0\n  mitm:\n    port: 0\n    map_remote:\n      - from: "api.openai.com"\n        to: "http://127.0.0.1:4000"\n      - from: "https://x.example"\n');
    const env = { CCPROXY_CONFIG_DIR: cfg.dir };
    const mitm = await runCli(['mitm', 'start', '--mode', 'forward', '--port', '0'], env);
    assert.notEqual(mitm.code, 0);
    assert.match(mitm.stderr, new RegExp(`${file}:6: ccproxy\\.mitm\\.map_remote\\[0\\]\\.from: "api\\.openai\\.com" is not an absolute URL`));
    assert.match(mitm.stderr, new RegExp(`${file}:8: ccproxy\\.mitm\\.map_remote\\[1\\]\\.to: `));
    writeFileSync(join(cfg.dir, 'config.yaml'), `model_list:\n  - model_name: ${SONNET}\n    litellm_params:\n      model: anthropic/x\n`);
    const start = await runCli(['start', '--mitm', '--detach'], env);
    assert.equal(start.code, 1);
    assert.match(start.stderr, new RegExp(`${file}:6: ccproxy\\.mitm\\.map_remote\\[0\\]\\.from: `));
    assert.equal((await status(env)).code, 3, 'nothing running');
  } finally {
    cfg.remove();
  }
});

describe('map_remote and the gateway (ccproxy start --mitm)', () => {
  let provider: Provider;
  let plainProvider: StandIn;
  let decoy: StandIn;
  let cfg: { dir: string; remove(): void };
  let env: Record<string, string>;
  let db: { url: string; drop(): Promise<void> } | undefined;
  let url: string;

  before(async () => {
    provider = await startProvider();
    plainProvider = await new StandIn().start();
    decoy = await new StandIn().start();
    if (await serverAvailable()) db = await createTempDatabase();
    // Both providers are mapped to the decoy: the gateway's calls must still reach them, a client's must not.
    cfg = stackConfig(
      provider.url,
      [
        'ccproxy:',
        '  port: 0',
        '  mitm:',
        '    port: 0',
        '    map_remote:',
        `      - from: "${provider.url}"`,
        `        to: "${decoy.url}"`,
        `      - from: "${plainProvider.url}"`,
        `        to: "${decoy.url}"`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(cfg.dir, 'config.yaml'),
      [
        'model_list:',
        `  - model_name: ${SONNET}`,
        '    litellm_params:',
        '      model: anthropic/claude-upstream',
        `      api_base: ${provider.url}`,
        '  - model_name: claude-plain',
        '    litellm_params:',
        '      model: anthropic/claude-plain-upstream',
        `      api_base: ${plainProvider.url}`,
        '',
      ].join('\n'),
    );
    env = { CCPROXY_CONFIG_DIR: cfg.dir, NODE_EXTRA_CA_CERTS: provider.caPath, ...(db ? { CCPROXY_DATABASE_URL: db.url } : {}) };
    url = await startDetached(env);
  });
  after(async () => {
    await stopAndCheck(env);
    await Promise.all([provider?.close(), plainProvider?.close(), decoy?.close()]);
    await db?.drop();
    cfg?.remove();
  });

  const ask = (model: string, session: string, to = `${url}/v1/messages`) =>
    runCli(['run', 'curl', '-sS', '--fail-with-body', '-H', 'x-api-key: sk-ant-test', '-H', 'anthropic-version: 2023-06-01', '-H', 'content-type: application/json', '-H', `x-claude-code-session-id: ${session}`, '-d', JSON.stringify({ model, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }), to], env);

  async function forwardRows(session: string): Promise<{ url: string; original_url: string | null; pa: string | null }[]> {
    const sql = `SELECT url, original_url, request_headers->>'proxy-authorization' AS pa FROM "CCProxy_HttpTraces" WHERE proxy_direction = 1 AND end_time IS NOT NULL AND session_id = '${session}'`;
    for (let i = 0; ; i++) {
      const r = await runCli(['db', 'sql', '--json', sql], env);
      assert.equal(r.code, 0, r.stderr);
      const rows = JSON.parse(r.stdout);
      if (rows.length > 0 || i >= 100) return rows;
      await sleep(100);
    }
  }

  test("the gateway's provider calls (CONNECT and absolute-form) are not mapped, though entries match them", async () => {
    const tlsCall = await ask(SONNET, 'gw-tls');
    assert.equal(tlsCall.code, 0, tlsCall.stderr);
    const plainCall = await ask('claude-plain', 'gw-plain');
    assert.equal(plainCall.code, 0, plainCall.stderr);
    assert.equal(decoy.seen.length, 0, 'nothing reached the decoy');
    assert.equal(JSON.parse(provider.standIn.seen.at(-1)!.body.toString()).model, 'claude-upstream');
    assert.equal(JSON.parse(plainProvider.seen.at(-1)!.body.toString()).model, 'claude-plain-upstream');
    assert.equal(plainProvider.seen.at(-1)!.headers['proxy-authorization'], undefined, 'the proxy credentials are not forwarded');
    const [tlsRow] = await forwardRows('gw-tls');
    assert.equal(tlsRow!.url, `${provider.url}/v1/messages`);
    assert.equal(tlsRow!.original_url, null);
    const [plainRow] = await forwardRows('gw-plain');
    assert.equal(plainRow!.url, `${plainProvider.url}/v1/messages`);
    assert.equal(plainRow!.original_url, null);
    assert.match(plainRow!.pa ?? '', /^Basic \[redacted len=\d+ sha256=[0-9a-f]+\]$/, 'the credentials are stored redacted');
  });

  test("a client's request to the same provider through the forward capture is mapped", async () => {
    const r = await ask('claude-direct', 'client-direct', `${provider.url}/v1/messages`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(decoy.seen.length, 1);
    assert.equal(decoy.seen[0]!.headers.host, new URL(decoy.url).host);
    const [row] = await forwardRows('client-direct');
    assert.equal(row!.url, `${decoy.url}/v1/messages`);
    assert.equal(row!.original_url, `${provider.url}/v1/messages`);
  });

  test('ccproxy run env: the base URL of each client that reads one', async () => {
    const r = await runCli(['run', 'env'], env);
    assert.equal(r.code, 0, r.stderr);
    const vars = new Map(r.stdout.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    for (const v of ['ANTHROPIC_BASE_URL', 'OPENAI_BASE_URL', 'OPENAI_API_BASE', 'GOOGLE_GEMINI_BASE_URL']) assert.equal(vars.get(v), url, v);
    assert.equal(vars.has('GOOGLE_VERTEX_BASE_URL'), false);
  });
});
