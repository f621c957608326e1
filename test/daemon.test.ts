// The everyday workflow end to end, on the embedded database: `start --mitm --detach`, real clients (curl and
// the Anthropic SDK) through `ccproxy run` to the main entry and straight to an HTTPS provider through the
// forward capture, both directions' rows linked by session id and read with `db sql` and psql while it runs,
// `status --json`, `logs`, `stop` leaving nothing behind, and kill -9 followed by `start`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { accepts } from '../src/daemon/stop.js';
import { isAlive } from '../src/store/holder.js';
import { runCli, startCli } from './helpers/cli.js';
import { exists, SONNET, startProvider, stackConfig, status, stopAndCheck, type Provider, type Status } from './helpers/daemon.js';

const SDK_CLIENT = fileURLToPath(new URL('./fixtures/sdk-client.js', import.meta.url));
const CURL_SECRET = 'sk-ant-api03-curl-secret-never-logged';

describe('ccproxy start --mitm --detach on the embedded database', () => {
  let provider: Provider;
  let cfg: { dir: string; remove(): void };
  let env: Record<string, string>;
  let running: Status;

  before(async () => {
    provider = await startProvider();
    cfg = stackConfig(provider.url);
    env = { CCPROXY_CONFIG_DIR: cfg.dir, NODE_EXTRA_CA_CERTS: provider.caPath };
  });
  after(async () => {
    await stopAndCheck(env);
    await provider.close();
    cfg.remove();
  });

  test('start --detach returns once every component listens; status --json shows each', async () => {
    const r = await runCli(['start', '--mitm', '--detach'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ccproxy started in the background \(pid \d+\): http:\/\/127\.0\.0\.1:\d+/);
    // A start slower than 2 s (a first start on the embedded database often is) says what it waits for, on stderr.
    if (r.stderr !== '') assert.match(r.stderr, /^starting in the background \(pid \d+, log .+ccproxy\.log\); waiting until it listens/);
    const { code, s } = await status(env);
    assert.equal(code, 0);
    running = s;
    assert.equal(s.running, true);
    assert.equal(s.url, s.components.reverse.url, 'the main entry is the reverse capture');
    for (const name of ['gateway', 'reverse', 'forward', 'database', 'viewer'] as const) {
      const c = s.components[name];
      assert.equal(c.running, true, name);
      assert.equal(c.pid, s.pid, `${name}: one process hosts everything`);
      assert.equal(c.log_file, join(cfg.dir, 'ccproxy.log'));
      assert.ok(await accepts('127.0.0.1', c.port!), `${name} listens on ${c.port}`);
    }
    assert.notEqual(s.components.gateway.port, s.components.reverse.port);
    assert.equal(s.database?.kind, 'embedded');
    assert.equal(s.database?.url, `postgresql://postgres@127.0.0.1:${s.database?.port}/postgres`);
    assert.equal(s.ca_cert, join(cfg.dir, 'ccproxy-ca.pem'));
    for (const k of ['queued', 'written', 'spilled', 'dropped'] as const) assert.equal(typeof s.writer?.[k], 'number', k);
  });

  test('a second start says it is already running, and changes nothing', async () => {
    const r = await runCli(['start', '--mitm', '--detach'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^ccproxy: already running \\(pid ${running.pid}, ${running.url}`));
    assert.equal((await status(env)).s.pid, running.pid);
  });

  test('curl through ccproxy run: to the main entry, and straight to the HTTPS provider through the forward capture', async () => {
    const body = JSON.stringify({ model: SONNET, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });
    const headers = ['-H', `x-api-key: ${CURL_SECRET}`, '-H', 'anthropic-version: 2023-06-01', '-H', 'content-type: application/json'];
    const main = await runCli(['run', 'curl', '-sS', '--fail-with-body', ...headers, '-H', 'x-claude-code-session-id: sess-curl', '-d', body, `${running.url}/v1/messages`], env);
    assert.equal(main.code, 0, main.stderr);
    assert.match(main.stdout, /Hello from the stand-in/);
    assert.equal(JSON.parse(provider.standIn.seen.at(-1)!.body.toString()).model, 'claude-upstream', 'routed by the gateway');
    // No --proxy, no --cacert: HTTPS_PROXY and CURL_CA_BUNDLE (system roots + ccproxy CA) come from ccproxy run.
    const direct = await runCli(['run', 'curl', '-sS', '--fail-with-body', ...headers, '-H', 'x-claude-code-session-id: sess-curl-direct', '-d', body, `${provider.url}/v1/messages`], env);
    assert.equal(direct.code, 0, direct.stderr);
    assert.match(direct.stdout, /Hello from the stand-in/);
  });

  test('a Node program using the Anthropic SDK through ccproxy run, both ways', async () => {
    const main = await runCli(['run', process.execPath, SDK_CLIENT, 'main', 'sess-sdk'], env);
    assert.equal(main.code, 0, main.stderr);
    assert.equal(main.stdout.trim(), 'Hello from the stand-in');
    const direct = await runCli(['run', process.execPath, SDK_CLIENT, 'direct', 'sess-sdk-direct', provider.url], env);
    assert.equal(direct.code, 0, direct.stderr);
    assert.equal(direct.stdout.trim(), 'Hello from the stand-in');
  });

  test('rows of both directions share the session id; db sql and psql read them while it runs', async () => {
    const sql = `SELECT proxy_direction AS d, session_id AS s, url FROM "CCProxy_HttpTraces" WHERE end_time IS NOT NULL ORDER BY start_time`;
    let rows: { d: number; s: string; url: string }[] = [];
    for (let i = 0; i < 100 && rows.length < 6; i++) {
      const r = await runCli(['db', 'sql', '--json', sql], env);
      assert.equal(r.code, 0, r.stderr);
      rows = JSON.parse(r.stdout);
      if (rows.length < 6) await sleep(100);
    }
    const of = (s: string) => rows.filter((r) => r.s === s).map((r) => `${r.d} ${new URL(r.url).origin}`).sort();
    const entry = new URL(running.url!).origin;
    assert.deepEqual(of('sess-curl'), [`0 ${entry}`, `1 ${provider.url}`]);
    assert.deepEqual(of('sess-sdk'), [`0 ${entry}`, `1 ${provider.url}`]);
    assert.deepEqual(of('sess-curl-direct'), [`1 ${provider.url}`]);
    assert.deepEqual(of('sess-sdk-direct'), [`1 ${provider.url}`]);
    const psql = await promisify(execFile)('psql', [running.database!.url, '-Atc', 'SELECT count(DISTINCT session_id) FROM "CCProxy_HttpTraces"']);
    assert.equal(psql.stdout.trim(), '4');
    const { s } = await status(env);
    assert.ok(s.writer!.written >= 12, `writer counters move: ${JSON.stringify(s.writer)}`);
  });

  test('logs: lines carry the component, debug adds one per exchange, secrets never appear', async () => {
    const log = readFileSync(join(cfg.dir, 'ccproxy.log'), 'utf8');
    assert.ok(!log.includes(CURL_SECRET) && !log.includes('sdk-secret-never-logged'), 'no API key in the log');
    const reverse = await runCli(['logs', '-n', '100', 'reverse'], env);
    assert.equal(reverse.code, 0);
    const lines = reverse.stdout.trim().split('\n');
    assert.ok(lines.length >= 2 && lines.every((l) => l.includes(' [reverse] ')), reverse.stdout);
    assert.ok(lines.some((l) => l.includes('POST ') && l.includes('/v1/messages')), reverse.stdout);
    const forward = await runCli(['logs', 'forward'], env);
    assert.ok(forward.stdout.includes(`POST ${provider.url}/v1/messages`), forward.stdout);
    const last = await runCli(['logs', '-n', '1'], env);
    assert.equal(last.stdout.trim().split('\n').length, 1);
  });

  test('logs -f: new lines of the component appear as they are written; Ctrl-C ends it', { timeout: 30_000 }, async (t) => {
    const follower = startCli(['logs', '-f', '-n', '0', 'reverse'], env);
    // A test cut short by its timeout must not leave the follower running (it would hold the test process).
    t.signal.addEventListener('abort', () => follower.kill('SIGKILL'));
    const lines = createInterface({ input: follower.stdout! });
    const seen: string[] = [];
    lines.on('line', (l) => seen.push(l));
    try {
      // The follower starts at the end of the log whenever it gets there: requests repeat until one of its lines
      // comes through (a busy machine may take a while to start it).
      for (let i = 0; !seen.some((l) => l.includes('follow-marker')); i++) {
        const res = await fetch(`${running.url}/health?follow-marker-${i}`);
        assert.equal(res.status, 200);
        await res.arrayBuffer();
        await Promise.race([once(lines, 'line'), sleep(500)]);
      }
    } catch (err) {
      follower.kill('SIGKILL');
      throw err;
    }
    assert.ok(seen.every((l) => l.includes(' [reverse] ')), seen.join('\n'));
    follower.kill('SIGINT');
    const [code] = await once(follower, 'exit');
    assert.equal(code, 0);
  });

  test('stop: the writer drains, no process, no open port, no PID or state file', async () => {
    const r = await runCli(['stop'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`ccproxy stopped \\(pid ${running.pid}\\)`));
    assert.equal(isAlive(running.pid!), false);
    for (const c of Object.values(running.components)) assert.equal(await accepts('127.0.0.1', c.port!), false, `port ${c.port} closed`);
    for (const f of ['ccproxy.pid', 'ccproxy.state.json', 'pglite.json']) assert.equal(exists(cfg.dir, f), false, f);
    const { code, s } = await status(env);
    assert.equal(code, 3);
    assert.equal(s.running, false);
    assert.match(readFileSync(join(cfg.dir, 'ccproxy.log'), 'utf8'), /\[daemon\] stopped: \d+ operations written, 0 spilled, 0 dropped/);
    const again = await runCli(['stop'], env);
    assert.equal(again.code, 0);
    // Nothing ran, so restart cannot know how: it says so rather than guess.
    const restart = await runCli(['restart'], env);
    assert.equal(restart.code, 3);
    assert.match(restart.stderr, /ccproxy is not running .*start it with: ccproxy start/);
    assert.match(again.stdout, /not running/);
  });

  test('kill -9 of the daemon, then start: stale PID files are cleaned up and the traces are still there', async () => {
    assert.equal((await runCli(['start', '--mitm', '-d'], env)).code, 0);
    const { s } = await status(env);
    process.kill(s.pid!, 'SIGKILL');
    for (let i = 0; i < 100 && isAlive(s.pid!); i++) await sleep(20);
    const st = await runCli(['status'], env);
    assert.equal(st.code, 3);
    assert.match(st.stdout, new RegExp(`not running .*removed the stale PID file of process ${s.pid}`));
    const r = await runCli(['start', '--mitm', '--detach'], env);
    assert.equal(r.code, 0, r.stderr);
    const count = await runCli(['db', 'sql', 'SELECT count(*) AS n FROM "CCProxy_HttpTraces"', '--json'], env);
    assert.ok(JSON.parse(count.stdout)[0].n >= 6, count.stdout);
    const stopped = await stopAndCheck(env, (await status(env)).s.pid);
    assert.equal(stopped.code, 0, stopped.stderr);
  });
});
