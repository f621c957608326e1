// Unit tests of the daemon's pure parts: ccproxy run's environment and bundle, the reason
// start --detach reads from the log, and stale PID files.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { test } from 'node:test';
import { paths } from '../config/paths.js';
import { loadOrCreateCA } from '../proxy/tls/ca.js';
import { clientEnv, reachable, writeCombinedBundle } from './client-env.js';
import { exitedWithout, reasonFromLog, startDetached } from './detach.js';
import { claimPidFile, findRunning, isCcproxy, readPid, type DaemonState } from './state.js';
import { stopDaemon } from './stop.js';
import { tempConfigDir } from '../../test/helpers/pg.js';

const state = (mitm: boolean): DaemonState => ({
  pid: 1,
  startedAt: '',
  url: 'http://127.0.0.1:4000',
  mitm,
  detached: true,
  logFile: null,
  caCert: '/x/ccproxy-ca.pem',
  controlPort: 1,
  components: mitm ? { forward: { url: 'http://127.0.0.1:8081', port: 8081 } } : {},
  database: null,
});

test('run env: base URLs always; proxy and trust only with capture; NO_PROXY keeps loopback direct', () => {
  const plain = clientEnv(state(false), null, { HTTPS_PROXY: 'http://corp:3128', PATH: '/bin' });
  assert.equal(plain.ANTHROPIC_BASE_URL, 'http://127.0.0.1:4000');
  assert.equal(plain.OPENAI_API_BASE, 'http://127.0.0.1:4000');
  for (const v of ['OPENAI_BASE_URL', 'GOOGLE_GEMINI_BASE_URL']) assert.equal(plain[v], 'http://127.0.0.1:4000', v);
  assert.equal(plain.GOOGLE_VERTEX_BASE_URL, undefined, 'Vertex paths are not the gateway\'s: left alone');
  assert.equal(plain.HTTPS_PROXY, 'http://corp:3128', 'left as the user had it');
  assert.equal(plain.SSL_CERT_FILE, undefined);
  const cap = clientEnv(state(true), '/x/ca-bundle.pem', { PATH: '/bin' });
  for (const v of ['HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy']) assert.equal(cap[v], 'http://127.0.0.1:8081', v);
  assert.equal(cap.NO_PROXY, 'localhost,127.0.0.1,::1');
  assert.equal(cap.NODE_EXTRA_CA_CERTS, '/x/ccproxy-ca.pem');
  for (const v of ['SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE']) assert.equal(cap[v], '/x/ca-bundle.pem', v);
  assert.equal(reachable('http://0.0.0.0:4000'), 'http://127.0.0.1:4000');
});

test('run env: Gemini CLI gets GOOGLE_GEMINI_BASE_URL only when its settings choose API-key login', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ccproxy-gemini-'));
  try {
    const home = join(dir, 'home');
    const work = join(dir, 'work');
    const settings = (base: string, value: object) => {
      mkdirSync(join(base, '.gemini'), { recursive: true });
      writeFileSync(join(base, '.gemini', 'settings.json'), `// a comment, as the CLI allows\n${JSON.stringify(value)}`);
    };
    mkdirSync(work);
    const env = { GEMINI_CLI_HOME: home, PATH: '/bin' };
    const gemini = (base = env) => clientEnv(state(true), null, base, { command: '/usr/local/bin/gemini', cwd: work }).GOOGLE_GEMINI_BASE_URL;
    assert.equal(gemini(), undefined, 'no settings: the variable would select a login 0.61 refuses headless');
    assert.equal(gemini({ ...env, GOOGLE_GEMINI_BASE_URL: 'https://mine.example' } as typeof env), 'https://mine.example', "the user's own value stays");
    settings(home, { security: { auth: { selectedType: 'oauth-personal' } } });
    assert.equal(gemini(), undefined, 'a Google login ignores it anyway');
    settings(home, { security: { auth: { selectedType: 'gemini-api-key' } } });
    assert.equal(gemini(), 'http://127.0.0.1:4000', 'API-key login: through the gateway');
    settings(work, { security: { auth: { selectedType: 'oauth-personal' } } });
    assert.equal(gemini(), undefined, "the workspace's settings win");
    assert.equal(clientEnv(state(true), null, env, { command: 'python3', cwd: work }).GOOGLE_GEMINI_BASE_URL, 'http://127.0.0.1:4000', 'other clients (the Gen AI SDKs) get it');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the combined bundle holds the system roots and the ccproxy CA, each once', async () => {
  const cfg = tempConfigDir();
  try {
    const ca = await loadOrCreateCA(cfg.dir);
    const file = writeCombinedBundle(paths.caBundle(cfg.dir), ca.certPath, {});
    const text = readFileSync(file, 'utf8');
    const n = (text.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
    assert.ok(n >= tls.rootCertificates.length + 1, `${n} certificates`);
    assert.ok(text.includes(ca.certPem.trim()));
    assert.equal(readFileSync(writeCombinedBundle(file, ca.certPath, { SSL_CERT_FILE: file }), 'utf8'), text, 'rewriting adds no duplicates');
    // openssl (what curl and Python use) reads the file.
    const r = spawnSync('openssl', ['storeutl', '-noout', '-certs', file], { encoding: 'utf8' });
    if (r.status !== null && !r.error) assert.equal(r.status, 0, r.stderr);
  } finally {
    cfg.remove();
  }
});

test('start --detach takes the reason from this start\'s part of the log', () => {
  const cfg = tempConfigDir();
  try {
    const log = join(cfg.dir, 'ccproxy.log');
    writeFileSync(log, 'ccproxy: an old failure\n');
    const offset = readFileSync(log).length;
    writeFileSync(log, 'ccproxy: an old failure\n2025 info  [database] x\nccproxy: invalid configuration:\n  a.yaml:3: b: c\n', { flag: 'w' });
    assert.equal(reasonFromLog(log, offset), 'invalid configuration:\n  a.yaml:3: b: c');
    assert.equal(reasonFromLog(log, readFileSync(log).length), null);
    // No message of its own (a crash): the last lines it logged, from this start's part only.
    writeFileSync(log, 'ccproxy: an old failure\n2025 info  [database] opening\nTypeError: boom\n    at x (y.js:1:1)\n', { flag: 'w' });
    assert.equal(exitedWithout(log, offset, 'code 1'), `the background process exited (code 1) before it was ready; see ${log}; its last lines:\n  2025 info  [database] opening\n  TypeError: boom\n      at x (y.js:1:1)`);
    assert.equal(exitedWithout(log, readFileSync(log).length, 'SIGKILL'), `the background process exited (SIGKILL) before it was ready; see ${log}`);
  } finally {
    cfg.remove();
  }
});

test('start --detach says what it waits for when the start is slow, once, then fails with the child\'s reason', async () => {
  const cfg = tempConfigDir();
  try {
    writeFileSync(join(cfg.dir, 'ccproxy.yaml'), 'ccproxy:\n  mitm: [not, a, mapping]\n');
    const told: [number, string][] = [];
    // Not ready at the first look (the child was just spawned): a start slower than 0 ms is told about, once.
    await assert.rejects(
      startDetached(cfg.dir, ['--mitm'], { ...process.env, CCPROXY_CONFIG_DIR: cfg.dir }, (pid, log) => told.push([pid, log]), 0),
      (err: Error) => /ccproxy\.yaml/.test(err.message),
    );
    assert.equal(told.length, 1);
    assert.ok(told[0]![0] > 0);
    assert.equal(told[0]![1], join(cfg.dir, 'ccproxy.log'));
  } finally {
    cfg.remove();
  }
});

test('a PID file whose process is gone is stale: removed, then claimable', () => {
  const cfg = tempConfigDir();
  try {
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(paths.pidFile(cfg.dir), `${gone}\n`);
    writeFileSync(paths.stateFile(cfg.dir), JSON.stringify({ ...state(true), pid: gone }));
    assert.deepEqual(findRunning(cfg.dir), { running: false, stalePid: gone });
    assert.equal(readPid(cfg.dir), null);
    claimPidFile(cfg.dir);
    assert.equal(readPid(cfg.dir), process.pid);
    const daemon = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'ccproxy-test-daemon'], { stdio: 'ignore' });
    try {
      writeFileSync(paths.pidFile(cfg.dir), `${daemon.pid}\n`);
      assert.throws(() => claimPidFile(cfg.dir), /already running \(pid \d+, starting/);
    } finally {
      daemon.kill('SIGKILL');
    }
  } finally {
    cfg.remove();
  }
});

test('a PID reused by an unrelated process is stale: not taken for ccproxy, and not signalled', async () => {
  const cfg = tempConfigDir();
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    writeFileSync(paths.pidFile(cfg.dir), `${other.pid}\n`);
    assert.equal(isCcproxy(other.pid!), false);
    assert.deepEqual(findRunning(cfg.dir), { running: false, stalePid: other.pid });
    writeFileSync(paths.pidFile(cfg.dir), `${other.pid}\n`);
    const r = await stopDaemon(cfg.dir, 200);
    assert.equal(r.notRunning, true);
    assert.equal(other.exitCode, null, 'still running');
    assert.equal(other.signalCode, null);
  } finally {
    other.kill('SIGKILL');
    cfg.remove();
  }
});

test('stop: a daemon that ignores SIGTERM is killed after the wait, and its files are removed', async () => {
  const cfg = tempConfigDir();
  const stubborn = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)', 'ccproxy-test-daemon'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await once(stubborn.stdout!, 'data'); // its SIGTERM handler is in place
    writeFileSync(paths.pidFile(cfg.dir), `${stubborn.pid}\n`);
    writeFileSync(paths.stateFile(cfg.dir), JSON.stringify({ ...state(false), pid: stubborn.pid }));
    const exit = once(stubborn, 'exit');
    const r = await stopDaemon(cfg.dir, 300);
    assert.equal(r.killed, true);
    assert.equal(r.pid, stubborn.pid);
    assert.deepEqual(await exit, [null, 'SIGKILL']);
    assert.equal(readPid(cfg.dir), null);
    assert.equal(existsSync(paths.stateFile(cfg.dir)), false);
  } finally {
    stubborn.kill('SIGKILL');
    cfg.remove();
  }
});

test('run passes the master key to Claude Code in ANTHROPIC_CUSTOM_HEADERS, after the user’s own headers', () => {
  assert.equal(clientEnv(state(false), null, { PATH: '/bin' }).ANTHROPIC_CUSTOM_HEADERS, undefined, 'none without a master key');
  assert.equal(clientEnv(state(false), null, { PATH: '/bin' }, undefined, 'sk-m').ANTHROPIC_CUSTOM_HEADERS, 'x-litellm-api-key: sk-m');
  const own = 'X-Team: a\nx-litellm-api-key: old\n';
  assert.equal(clientEnv(state(true), null, { ANTHROPIC_CUSTOM_HEADERS: own }, undefined, 'sk-m').ANTHROPIC_CUSTOM_HEADERS, 'X-Team: a\nx-litellm-api-key: sk-m');
});
