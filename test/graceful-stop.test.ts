// SIGTERM under steady keep-alive load: the front stops taking requests first, what it took finishes, then the
// gateway and the store close. No client gets a 502 or a reset for a request the proxy accepted, and every
// exchange a client saw complete has its row.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { Pool } from 'undici';
import { isAlive } from '../src/store/holder.js';
import { runCli } from './helpers/cli.js';
import { SONNET, startProvider, stackConfig, status, stopAndCheck, type Provider } from './helpers/daemon.js';
import { createTempDatabase, serverSkip } from './helpers/pg.js';

/** Clients sending at once, each on its own keep-alive connection. */
const CLIENTS = 8;

describe('graceful stop under keep-alive load', { skip: await serverSkip() }, () => {
  let provider: Provider;
  let cfg: { dir: string; remove(): void };
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let env: Record<string, string>;

  before(async () => {
    provider = await startProvider();
    cfg = stackConfig(provider.url);
    db = await createTempDatabase();
    env = { CCPROXY_CONFIG_DIR: cfg.dir, NODE_EXTRA_CA_CERTS: provider.caPath, CCPROXY_DATABASE_URL: db.url };
  });
  after(async () => {
    await stopAndCheck(env);
    await provider.close();
    cfg.remove();
    await db.drop();
  });

  test('SIGTERM: no 502 or reset for an accepted request; every completed exchange has its row', async () => {
    const started = await runCli(['start', '--mitm', '--detach'], env);
    assert.equal(started.code, 0, started.stderr);
    const { s } = await status(env);
    const pid = s.pid!;
    const pool = new Pool(s.url!, { connections: CLIENTS, pipelining: 1 });
    const completed = new Set<string>();
    const failed = new Map<string, string>();
    let stopping = false;
    let n = 0;
    const client = async () => {
      for (;;) {
        const id = `gs-${n++}`;
        try {
          const res = await pool.request({
            method: 'POST',
            path: '/v1/messages',
            headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'x-claude-code-session-id': id },
            body: JSON.stringify({ model: SONNET, max_tokens: 8, messages: [{ role: 'user', content: id }] }),
          });
          const text = await res.body.text();
          if (res.statusCode === 200) completed.add(id);
          else failed.set(id, `status ${res.statusCode}: ${text.slice(0, 200)}`);
        } catch (err) {
          failed.set(id, (err as { code?: string }).code ?? (err as Error).message);
          // Refused or closed once the listener is gone: this client is done.
          if (stopping) return;
          await sleep(10);
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, client);
    while (completed.size < 200) await sleep(20);
    stopping = true;
    process.kill(pid, 'SIGTERM');
    await Promise.all(clients);
    for (let i = 0; i < 300 && isAlive(pid); i++) await sleep(50);
    assert.equal(isAlive(pid), false, 'the daemon exited');
    await pool.destroy();

    const c = new pg.Client(db.url);
    await c.connect();
    try {
      const { rows } = await c.query(`SELECT session_id, min(status_code) AS status FROM "CCProxy_HttpTraces" WHERE session_id LIKE 'gs-%' GROUP BY session_id`);
      const stored = new Map(rows.map((r) => [r.session_id as string, r.status as number | null]));
      for (const id of completed) assert.ok(stored.has(id), `completed exchange ${id} has its row`);
      const statuses = [...failed.values()];
      assert.ok(!statuses.some((x) => x.startsWith('status 502')), `no 502: ${statuses.join(', ')}`);
      // A request that failed on the client side was never accepted: no row says it was.
      for (const [id, why] of failed) assert.ok(!stored.has(id), `${id} failed (${why}) but the proxy had accepted it`);
      assert.ok(completed.size >= 200);
    } finally {
      await c.end();
    }
  });
});
