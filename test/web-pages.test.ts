// Who may use a running ccproxy: another local user is refused on every port (the owner's keys are attached to what
// it forwards), and so is what a web page can make a browser send: a request under another Host (DNS rebinding), a
// cross-origin request (Origin), a WebSocket from another site, a text/plain POST (no CORS preflight). The owner's
// own requests still pass.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { paths } from '../src/config/paths.js';
import { runCli } from './helpers/cli.js';
import { SONNET, startProvider, stackConfig, status, stopAndCheck, type Provider } from './helpers/daemon.js';

interface Answer {
  status: number;
  body: string;
}

function send(port: number, o: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.path, headers: o.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** An upgrade request's status line, read from the raw answer. */
function upgrade(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/v1/responses', agent: false, headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers } });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

const message = JSON.stringify({ model: SONNET, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

describe('requests a web page can make are refused; the owner\'s pass', () => {
  let provider: Provider;
  let cfg: ReturnType<typeof stackConfig>;
  let env: Record<string, string>;
  let ports: { main: number; gateway: number; control: number; forward: number };

  before(async () => {
    provider = await startProvider();
    cfg = stackConfig(provider.url);
    env = { CCPROXY_CONFIG_DIR: cfg.dir, NODE_EXTRA_CA_CERTS: provider.caPath };
    const r = await runCli(['start', '--mitm', '--detach'], env);
    assert.equal(r.code, 0, r.stderr);
    const s = (await status(env)).s;
    const state = JSON.parse(readFileSync(paths.stateFile(cfg.dir), 'utf8'));
    ports = { main: Number(new URL(s.url!).port), gateway: s.components.gateway.port!, control: state.controlPort, forward: s.components.forward.port! };
  });
  after(async () => {
    if (env) await stopAndCheck(env);
    await provider?.close();
    cfg?.remove();
  });

  test('the owner\'s own requests pass, under each of the listener\'s own names', async () => {
    for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
      const a = await send(ports.main, { method: 'POST', path: '/v1/messages', headers: { host: `${host}:${ports.main}`, 'content-type': 'application/json', 'x-api-key': 'sk-test' }, body: message });
      assert.equal(a.status, 200, `${host}: ${a.body}`);
    }
    const s = await send(ports.control, { path: '/ccproxy/status' });
    assert.equal(s.status, 200, s.body);
    const noType = await send(ports.gateway, { method: 'POST', path: '/v1/messages', headers: { 'x-api-key': 'sk-test' }, body: message });
    assert.equal(noType.status, 200, `a body without content-type is read as JSON: ${noType.body}`);
  });

  test('another Host (DNS rebinding) gets 403 on the main port, the gateway and the control port', async () => {
    for (const [name, port] of Object.entries(ports)) {
      if (name === 'forward') continue; // its proxied requests carry other hosts by nature
      for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`]) {
        const a = await send(port, { method: 'POST', path: name === 'control' ? '/ccproxy/status' : '/v1/messages', headers: { host, 'content-type': 'application/json', 'x-api-key': 'sk-test' }, body: message });
        assert.equal(a.status, 403, `${name} answered ${host} with ${a.status}: ${a.body}`);
        assert.match(JSON.parse(a.body).error.message, /is not this ccproxy listener/);
      }
    }
    assert.equal(provider.standIn.seen.filter((r) => r.headers.host?.includes('evil')).length, 0);
  });

  test('a cross-origin request gets 403; a WebSocket from another site too', async () => {
    for (const [name, port] of Object.entries(ports)) {
      if (name === 'forward') continue;
      const a = await send(port, { method: 'POST', path: name === 'control' ? '/ccproxy/status' : '/v1/messages', headers: { origin: 'http://evil.example', 'content-type': 'application/json', 'x-api-key': 'sk-test' }, body: message });
      assert.equal(a.status, 403, `${name}: ${a.body}`);
      assert.match(JSON.parse(a.body).error.message, /another site/);
    }
    const own = await send(ports.main!, { method: 'POST', path: '/v1/messages', headers: { origin: `http://127.0.0.1:${ports.main}`, 'content-type': 'application/json', 'x-api-key': 'sk-test' }, body: message });
    assert.equal(own.status, 200, own.body);
    assert.equal(await upgrade(ports.main, { origin: 'https://evil.example' }), 403);
    assert.equal(await upgrade(ports.gateway, { host: 'evil.example' }), 403);
  });

  test('the gateway reads JSON only from a JSON content type: text/plain and forms get 415', async () => {
    const before = provider.standIn.seen.length;
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const a = await send(ports.main, { method: 'POST', path: '/v1/messages', headers: { 'content-type': type, 'x-api-key': 'sk-test' }, body: message });
      assert.equal(a.status, 415, `${type}: ${a.body}`);
      assert.match(JSON.parse(a.body).error.message, /must be JSON/);
    }
    assert.equal(provider.standIn.seen.length, before, 'nothing reached the provider');
  });
});

/** curl run as another user of this machine: status code and body. */
function curlAs(user: string, args: string[]): Promise<{ code: string; out: string }> {
  const quoted = ['curl', '-s', '-w', '\\n%{http_code}', ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve) => {
    execFile('su', ['-s', '/bin/sh', user, '-c', quoted], (_err, stdout) => {
      const lines = stdout.trimEnd().split('\n');
      resolve({ code: lines.at(-1) ?? '', out: lines.slice(0, -1).join('\n') });
    });
  });
}

const asRoot = process.getuid?.() === 0;
describe('another local user gets nothing', { skip: !asRoot && !process.env.CI && 'needs root to act as another user' }, () => {
  let provider: Provider;
  let cfg: ReturnType<typeof stackConfig>;
  let env: Record<string, string>;
  let ports: Record<string, number>;

  before(async () => {
    provider = await startProvider();
    cfg = stackConfig(provider.url);
    env = { CCPROXY_CONFIG_DIR: cfg.dir, NODE_EXTRA_CA_CERTS: provider.caPath };
    const r = await runCli(['start', '--mitm', '--detach'], env);
    assert.equal(r.code, 0, r.stderr);
    const s = (await status(env)).s;
    const state = JSON.parse(readFileSync(paths.stateFile(cfg.dir), 'utf8'));
    ports = { main: Number(new URL(s.url!).port), gateway: s.components.gateway.port!, control: state.controlPort, forward: s.components.forward.port! };
  });
  after(async () => {
    if (env) await stopAndCheck(env);
    await provider?.close();
    cfg?.remove();
  });

  test('user nobody is refused with 403 on the main, gateway, forward and control ports; the owner passes', async () => {
    assert.ok(asRoot, 'CI runs as root, so this runs there');
    const before = provider.standIn.seen.length;
    for (const [name, port] of Object.entries(ports)) {
      const path = name === 'control' ? '/ccproxy/status' : '/v1/messages';
      const args = name === 'forward' ? ['-x', `http://127.0.0.1:${port}`, `http://127.0.0.2:1/v1/messages`] : ['-H', 'content-type: application/json', '-d', message, `http://127.0.0.1:${port}${path}`];
      const r = await curlAs('nobody', args);
      assert.equal(r.code, '403', `${name}: ${r.code} ${r.out}`);
      assert.match(JSON.parse(r.out).error.message, /serves only its owner \(uid 0\); this connection comes from uid 65534/);
    }
    const tunnel = await curlAs('nobody', ['-p', '-x', `http://127.0.0.1:${ports.forward}`, 'https://127.0.0.2:1/']);
    assert.notEqual(tunnel.code, '200', 'no CONNECT tunnel for another user');
    assert.equal(provider.standIn.seen.length, before, 'nothing reached the provider');
    const own = await send(ports.main!, { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-test' }, body: message });
    assert.equal(own.status, 200, own.body);
  });
});
