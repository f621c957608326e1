// The daemon commands' edges, as a user meets them: install and its templates, a broken ccproxy.yaml or
// config.yaml, ports in use named with their setting, the foreground stack and Ctrl-C, a gateway-only stack,
// and `ccproxy run` passing arguments, exit codes and signals. On the PostgreSQL server when there is one (fast).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { runCli, startCli } from './helpers/cli.js';
import { exists, startProvider, stackConfig, status, stopAndCheck, type Provider } from './helpers/daemon.js';
import { createTempDatabase, serverAvailable, tempConfigDir } from './helpers/pg.js';

let provider: Provider;
let db: { url: string; drop(): Promise<void> } | undefined;
const dirs: { remove(): void }[] = [];
before(async () => {
  provider = await startProvider();
  if (await serverAvailable()) db = await createTempDatabase();
});
after(async () => {
  await provider.close();
  await db?.drop();
  for (const d of dirs) d.remove();
});

function envFor(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  // A password in the URL (ignored by trust auth) shows that status hides it.
  const url = db ? db.url.replace('postgresql://postgres@', 'postgresql://postgres:pw-hidden@') : undefined;
  return { CCPROXY_CONFIG_DIR: dir, NODE_EXTRA_CA_CERTS: provider.caPath, ...(url ? { CCPROXY_DATABASE_URL: url } : {}), ...extra };
}

function stack(yaml?: string) {
  const cfg = stackConfig(provider.url, yaml);
  dirs.push(cfg);
  return cfg.dir;
}

async function busyPort(): Promise<{ port: number; close(): void }> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  return { port: (s.address() as net.AddressInfo).port, close: () => s.close() };
}

test('install writes templates that start accepts, and never overwrites without --force', async () => {
  const cfg = tempConfigDir();
  dirs.push(cfg);
  const env = envFor(cfg.dir, { CCPROXY_MITM_PORT: '0' });
  const first = await runCli(['install'], env);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /wrote .*ccproxy\.yaml\nwrote .*config\.yaml/);
  assert.match(readFileSync(join(cfg.dir, 'ccproxy.yaml'), 'utf8'), /^# /);
  writeFileSync(join(cfg.dir, 'config.yaml'), '# mine\nmodel_list: []\n');
  const second = await runCli(['install'], env);
  assert.equal(second.code, 0, 'keeping a file is not an error: install && start can run again');
  assert.match(second.stdout, /kept .*ccproxy\.yaml: it exists \(ccproxy install --force overwrites it\)/);
  assert.equal(readFileSync(join(cfg.dir, 'config.yaml'), 'utf8'), '# mine\nmodel_list: []\n');
  const forced = await runCli(['install', '--force'], env);
  assert.equal(forced.code, 0);
  assert.match(readFileSync(join(cfg.dir, 'config.yaml'), 'utf8'), /model_name: default/);
  const started = await runCli(['start', '--mitm', '--detach', '--port', '0'], env);
  assert.equal(started.code, 0, started.stderr);
  const { s } = await status(env);
  assert.equal(s.components.forward.running, true);
  assert.equal((await stopAndCheck(env, s.pid)).code, 0);
});

test('a broken ccproxy.yaml: one message with file, line and field; nothing left running', async () => {
  const dir = stack('ccproxy:\n  port: 0\n  mitm:\n    port: eighty\n');
  const env = envFor(dir);
  const r = await runCli(['start', '--mitm', '--detach'], env);
  assert.equal(r.code, 1);
  assert.ok(r.stderr.startsWith(`ccproxy: invalid configuration:\n  ${join(dir, 'ccproxy.yaml')}:4: ccproxy.mitm.port: `), r.stderr);
  assert.equal((await status(env)).code, 3);
  assert.equal(exists(dir, 'ccproxy.pid'), false);
});

test('a broken config.yaml is found by the background process; start --detach prints its reason from the log', async () => {
  const dir = stack();
  writeFileSync(join(dir, 'config.yaml'), 'model_list:\n  - model_name: a\n    litellm_params:\n      model: anthropic/a\n      api_base: 12\n');
  const env = envFor(dir);
  const r = await runCli(['start', '--mitm', '--detach'], env);
  assert.equal(r.code, 1);
  assert.ok(r.stderr.includes(`${join(dir, 'config.yaml')}:5: model_list[0].litellm_params.api_base: `), r.stderr);
  assert.match(r.stderr, /not started/);
  assert.equal((await status(env)).code, 3);
  // Checked before anything is made: no CA, no embedded database.
  for (const f of ['ccproxy.pid', 'ccproxy.state.json', 'ccproxy-ca.pem', 'pglite']) assert.equal(exists(dir, f), false, f);
});

test('a port in use names the port and the setting it came from', async () => {
  const busy = await busyPort();
  try {
    const viaFlag = await runCli(['start', '--mitm', '--detach', '--port', String(busy.port)], envFor(stack()));
    assert.equal(viaFlag.code, 1);
    // A line of its own (after the "starting in the background" line a start slower than 2 s prints first).
    assert.match(viaFlag.stderr, new RegExp(`^ccproxy: port ${busy.port} on 127\\.0\\.0\\.1 is in use \\(from --port\\); choose another`, 'm'));
    const viaEnv = await runCli(['start', '--mitm', '--detach'], envFor(stack(), { CCPROXY_MITM_PORT: String(busy.port) }));
    assert.equal(viaEnv.code, 1);
    assert.match(viaEnv.stderr, new RegExp(`port ${busy.port} on 127\\.0\\.0\\.1 is in use \\(from CCPROXY_MITM_PORT\\)`));
    const dir = stack(`ccproxy:\n  port: 0\n  mitm:\n    port: ${busy.port}\n`);
    const viaFile = await runCli(['start', '--mitm', '--detach'], envFor(dir));
    assert.equal(viaFile.code, 1);
    assert.ok(viaFile.stderr.includes(`port ${busy.port} on 127.0.0.1 is in use (from ${join(dir, 'ccproxy.yaml')} (ccproxy.mitm.port))`), viaFile.stderr);
    assert.equal((await status(envFor(dir))).code, 3);
    assert.equal(exists(dir, 'ccproxy.pid'), false);
  } finally {
    busy.close();
  }
});

test('foreground start --mitm: logs on the terminal with component names; Ctrl-C flushes the traces and cleans up', async () => {
  const dir = stack();
  const env = envFor(dir);
  const child = startCli(['start', '--mitm'], env);
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  try {
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const url = /listening on (http:\/\/\S+)/.exec(line)?.[1];
    assert.ok(url, line);
    const { code, s } = await status(env);
    assert.equal(code, 0);
    assert.equal(s.url, url);
    assert.equal(s.log_file, null, 'foreground: the terminal');
    if (db) assert.equal(s.database?.url, db.url.replace('postgresql://postgres@', 'postgresql://postgres:***@'), 'password hidden');
    const run = await runCli(['run', 'curl', '-sS', '-H', 'x-claude-code-session-id: fg', '-H', 'content-type: application/json', '-d', '{"model":"claude-sonnet-4-5-20250929","max_tokens":5,"messages":[]}', `${url}/v1/messages`], env);
    assert.match(run.stdout, /Hello from the stand-in/);
  } finally {
    child.kill('SIGINT');
  }
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, stderr.join('\n'));
  assert.ok(stderr.some((l) => / \[daemon\] stopped: [1-9]\d* operations written, 0 spilled, 0 dropped/.test(l)), stderr.join('\n'));
  assert.ok(stderr.some((l) => l.includes('[reverse]')) && stderr.some((l) => l.includes('[gateway]')), stderr.join('\n'));
  const rows = await runCli(['db', 'sql', '--json', `SELECT proxy_direction AS d FROM "CCProxy_HttpTraces" WHERE session_id = 'fg' AND end_time IS NOT NULL ORDER BY d`], env);
  assert.deepEqual(JSON.parse(rows.stdout), [{ d: 0 }, { d: 1 }]);
  assert.equal(exists(dir, 'ccproxy.pid'), false);
});

describe('ccproxy run against a gateway-only stack (start --detach, no capture)', () => {
  let dir: string;
  let env: Record<string, string>;
  const script = 'process.stdout.write(JSON.stringify({ argv: process.argv.slice(1), base: process.env.ANTHROPIC_BASE_URL, openai: process.env.OPENAI_BASE_URL, proxy: process.env.HTTPS_PROXY ?? null }))';
  before(async () => {
    dir = stack();
    env = envFor(dir);
    const nothing = await runCli(['run', 'true'], env);
    assert.equal(nothing.code, 1);
    assert.match(nothing.stderr, /ccproxy is not running .*start it first/);
    const r = await runCli(['start', '--detach', '--port', '0'], env);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await stopAndCheck(env);
  });

  test('status: the gateway runs; the capture points and the database do not', async () => {
    const { code, s } = await status(env);
    assert.equal(code, 0);
    assert.equal(s.url, s.components.gateway.url);
    assert.equal(s.components.reverse.running, false);
    assert.equal(s.components.forward.running, false);
    assert.equal(s.components.database.running, false);
    assert.equal(s.writer, null);
  });

  test('arguments pass untouched, base URLs are set, no proxy without capture', async () => {
    const args = ['a b', '--help', '"q"', '$HOME', '-n', ''];
    const r = await runCli(['run', process.execPath, '-e', script, ...args], env);
    assert.equal(r.code, 0, r.stderr);
    const seen = JSON.parse(r.stdout);
    assert.deepEqual(seen.argv, args);
    const { s } = await status(env);
    assert.equal(seen.base, s.url);
    assert.equal(seen.openai, s.url);
    assert.equal(seen.proxy, null);
  });

  test('exit codes and signals are passed on; a missing command is a clear error', async () => {
    assert.equal((await runCli(['run', 'sh', '-c', 'exit 7'], env)).code, 7);
    assert.equal((await runCli(['run', 'sh', '-c', 'kill -TERM $$'], env)).code, 143);
    const missing = await runCli(['run', 'no-such-command-ccproxy'], env);
    assert.equal(missing.code, 127);
    assert.equal(missing.stderr, 'ccproxy: no-such-command-ccproxy: command not found (is it installed and on PATH?)\n');
    const child = startCli(['run', process.execPath, '-e', 'process.on("SIGTERM", () => { console.log("got SIGTERM"); process.exit(5) }); console.log("ready"); setInterval(() => {}, 1000)'], env);
    const lines = createInterface({ input: child.stdout! });
    const seen: string[] = [];
    lines.on('line', (l) => seen.push(l));
    while (!seen.includes('ready')) await once(lines, 'line');
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 5);
    assert.ok(seen.includes('got SIGTERM'));
  });

  test('restart without flags starts it the way it ran (detached, no capture)', async () => {
    const before = (await status(env)).s;
    const r = await runCli(['restart', '--port', '0'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`ccproxy stopped \\(pid ${before.pid}\\)`));
    const { code, s } = await status(env);
    assert.equal(code, 0);
    assert.notEqual(s.pid, before.pid);
    assert.equal(s.components.reverse.running, false);
  });

  test('restart with a broken ccproxy.yaml refuses before stopping: the running one keeps running', async () => {
    const before = (await status(env)).s;
    const file = join(env.CCPROXY_CONFIG_DIR!, 'ccproxy.yaml');
    const good = exists(env.CCPROXY_CONFIG_DIR!, 'ccproxy.yaml') ? readFileSync(file, 'utf8') : null;
    writeFileSync(file, 'ccproxy:\n  mitm:\n    max_bodysize: 10\n');
    try {
      const r = await runCli(['restart'], env);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /ccproxy\.yaml:3: ccproxy\.mitm\.max_bodysize: unknown field/);
      assert.doesNotMatch(r.stdout, /stopped/);
      const { code, s } = await status(env);
      assert.equal(code, 0);
      assert.equal(s.pid, before.pid);
    } finally {
      if (good === null) writeFileSync(file, '');
      else writeFileSync(file, good);
    }
  });
});
