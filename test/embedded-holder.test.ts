// The embedded database has one holder at a time: others connect to its loopback port; a holder killed with
// SIGKILL leaves a stale record that the next command replaces, and the data survives.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { paths } from '../src/config/paths.js';
import { runCli, startCli } from './helpers/cli.js';
import { tempConfigDir } from './helpers/pg.js';

const cfg = tempConfigDir();
const env = { CCPROXY_CONFIG_DIR: cfg.dir };
after(() => cfg.remove());

async function serve() {
  const child = startCli(['db', 'serve'], env);
  const [url] = await once(createInterface({ input: child.stdout! }), 'line');
  return { child, url: url as string };
}

test('while one process holds the data folder, other commands go through its port', async () => {
  const holder = await serve();
  try {
    const rec = JSON.parse(readFileSync(paths.pgliteHolder(cfg.dir), 'utf8'));
    assert.equal(rec.pid, holder.child.pid);
    assert.equal(holder.url, `postgresql://postgres@127.0.0.1:${rec.port}/postgres`);
    const push = await runCli(['db', 'push'], env);
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stdout, new RegExp(`served on postgresql://postgres@127\\.0\\.0\\.1:${rec.port}/postgres by process ${holder.child.pid}\\)`));
    const second = await serve();
    assert.equal(second.url, holder.url, 'a second serve connects to the first instead of opening the folder');
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
    const ins = await runCli(['db', 'sql', `INSERT INTO "CCProxy_HttpTraces" (trace_id) SELECT 'k' || g FROM generate_series(1, 500) g`], env);
    assert.equal(ins.stdout.trim(), 'INSERT 0 500');
  } finally {
    holder.child.kill('SIGKILL');
    await once(holder.child, 'exit');
  }
  // The holder died without cleaning up: its record is stale, the next command replaces it.
  const rec = JSON.parse(readFileSync(paths.pgliteHolder(cfg.dir), 'utf8'));
  assert.equal(rec.pid, holder.child.pid);
  const count = await runCli(['db', 'sql', '--json', 'SELECT count(*) AS n FROM "CCProxy_HttpTraces"'], env);
  assert.equal(count.code, 0, count.stderr);
  assert.deepEqual(JSON.parse(count.stdout), [{ n: 500 }]);
  const url = await runCli(['db', 'url'], env);
  assert.equal(url.code, 3, 'nobody serves it now');
  assert.match(url.stderr, /no ccproxy process is serving the embedded database/);
});

test('a writer pointed at the embedded database by URL (as if a server) writes without COPY, nothing spilled', async () => {
  const holder = await serve();
  const other = tempConfigDir();
  try {
    const { loadConfig } = await import('../src/config/load.js');
    const { openTraceStore } = await import('../src/store/store.js');
    const { silentLogger } = await import('../src/log.js');
    const store = await openTraceStore(loadConfig({ CCPROXY_CONFIG_DIR: other.dir, CCPROXY_DATABASE_URL: holder.url }), silentLogger);
    assert.equal(store.db.backend.kind, 'server');
    for (let i = 0; i < 50; i++) {
      store.writer.create(`via-url-${i}`, { method: 'POST', url: 'http://x/v1/messages', host: 'x', path: '/v1/messages', start_time: new Date(), traffic_type: 'llm' });
      store.writer.complete(`via-url-${i}`, { status_code: 200, end_time: new Date(), duration_ms: 1 });
    }
    assert.equal(await store.writer.flush(20_000), true);
    const c = await store.close();
    assert.equal(c.spilled, 0);
    assert.equal(c.written, 100);
    const count = await runCli(['db', 'sql', '--json', `SELECT count(*) AS n FROM "CCProxy_HttpTraces" WHERE trace_id LIKE 'via-url-%' AND status_code = 200`], env);
    assert.deepEqual(JSON.parse(count.stdout), [{ n: 50 }]);
  } finally {
    other.remove();
    holder.child.kill('SIGTERM');
    await once(holder.child, 'exit');
  }
});
