// SIGTERM with a full queue: the writer drains what it can in bounded time and spills the rest;
// the next process to open the store replays it, and every trace and WebSocket message arrives.
// SIGKILL one event-loop turn after the traces were handed over: the crash journal brings them all back.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { silentLogger } from '../src/log.js';
import { openTraceStore } from '../src/store/store.js';
import { BACKENDS, configFor } from './helpers/pg.js';
import { Relay } from './helpers/relay.js';

const CHILD = fileURLToPath(new URL('./fixtures/writer-child.js', import.meta.url));

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

for (const backend of BACKENDS) {
  describe(`shutdown with a full queue (${backend.name})`, { skip: await backend.skip() }, () => {
    test('SIGKILL one turn after the traces were handed over, restart: the journal brings every one back', async () => {
      const env = await backend.setup();
      let relay: Relay | undefined;
      try {
        const n = 300;
        const childEnv: Record<string, string> = { ...process.env, ...env.env } as Record<string, string>;
        if (backend.name === 'server') {
          // Stalled: nothing the child queues can reach the database before the kill.
          relay = await Relay.before(env.env.CCPROXY_DATABASE_URL!);
          childEnv.CCPROXY_DATABASE_URL = relay.url(env.env.CCPROXY_DATABASE_URL!);
        }
        const child = spawn(process.execPath, [CHILD], { env: childEnv, stdio: ['pipe', 'pipe', 'inherit'] });
        children.push(child);
        const out = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
        assert.equal(String((await out.next()).value), 'ready');
        relay?.stall();
        child.stdin!.write(`go ${n}\n`);
        const enqueued = JSON.parse(String((await out.next()).value).replace(/^enqueued /, ''));
        assert.equal(enqueued.enqueued, 3 * n);
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
        await relay?.stop();
        const journal = join(env.dir, 'spill', 'journal');
        assert.ok(readdirSync(journal).length > 0, 'the killed process left its journal');

        const store = await openTraceStore(configFor(env.dir, env.env.CCPROXY_DATABASE_URL), silentLogger);
        try {
          assert.ok(await store.writer.flush(60_000));
          const { rows } = await store.db.pool.query(
            `SELECT count(*) AS n, count(*) FILTER (WHERE status_code = 200 AND method = 'POST' AND length(request_body) = 1024) AS complete FROM "CCProxy_HttpTraces" WHERE trace_id LIKE 's-%'`,
          );
          assert.deepEqual(rows[0], { n, complete: n });
          const ws = await store.db.pool.query(`SELECT count(*) AS n FROM "CCProxy_WebSocketMessages" WHERE convert_from(payload, 'UTF8') = 'msg ' || substr(trace_id, 3)`);
          assert.equal(ws.rows[0].n, n);
          assert.deepEqual(readdirSync(journal).filter((f) => !f.startsWith(`${process.pid}-`)), [], 'the journal was replayed and removed');
        } finally {
          await store.close();
        }
        assert.deepEqual(readdirSync(journal), [], 'a clean close leaves no journal behind');
      } finally {
        await relay?.stop();
        await env.cleanup();
      }
    });

    test('SIGTERM, restart: every trace and message arrives exactly once', async () => {
      const env = await backend.setup();
      let relay: Relay | undefined;
      try {
        const n = backend.name === 'server' ? 400 : 5000;
        const childEnv: Record<string, string> = { ...process.env, ...env.env, DRAIN_MS: '500' } as Record<string, string>;
        if (backend.name === 'server') {
          // The child reaches the server through a relay that the test stalls: its batches hang, its queue fills.
          relay = await Relay.before(env.env.CCPROXY_DATABASE_URL!);
          childEnv.CCPROXY_DATABASE_URL = relay.url(env.env.CCPROXY_DATABASE_URL!);
        }
        const child = spawn(process.execPath, [CHILD], { env: childEnv, stdio: ['pipe', 'pipe', 'inherit'] });
        children.push(child);
        const out = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
        const next = async () => String((await out.next()).value ?? '');
        assert.equal(await next(), 'ready');
        relay?.stall();
        // Fewer operations than the queue holds: on the stalled server the first batch hangs in flight and
        // the rest waits in memory, so SIGTERM finds a full pipeline. The embedded database takes them as fast as it can.
        child.stdin!.write(`go ${n}\n`);
        const enqueued = JSON.parse((await next()).replace(/^enqueued /, ''));
        assert.equal(enqueued.enqueued, 3 * n);
        if (relay) assert.equal(enqueued.queued, 3 * n, 'everything is still in memory at SIGTERM');
        const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const closed = JSON.parse((await next()).replace(/^closed /, ''));
        assert.equal(await exited, 0);
        assert.equal(closed.queued, 0, 'nothing left in memory');
        assert.equal(closed.dropped, 0);
        if (relay) assert.equal(closed.spilled, 3 * n, 'the database hung: all of it went to the spill file within the drain time');
        await relay?.stop();

        // Restart: a new store in this process (the same config dir) replays what the child spilled.
        const store = await openTraceStore(configFor(env.dir, env.env.CCPROXY_DATABASE_URL), silentLogger);
        try {
          assert.ok(await store.writer.flush(60_000));
          const { rows } = await store.db.pool.query(
            `SELECT count(*) AS n, count(DISTINCT trace_id) AS d, count(*) FILTER (WHERE status_code = 200 AND method = 'POST') AS complete FROM "CCProxy_HttpTraces"`,
          );
          assert.deepEqual(rows[0], { n, d: n, complete: n });
          const ws = await store.db.pool.query(
            `SELECT count(*) AS n, count(*) FILTER (WHERE convert_from(payload, 'UTF8') = 'msg ' || substr(trace_id, 3)) AS intact FROM "CCProxy_WebSocketMessages"`,
          );
          assert.deepEqual(ws.rows[0], { n, intact: n });
          assert.ok(store.writer.counters().replayed > 0);
        } finally {
          await store.close();
        }
      } finally {
        await relay?.stop();
        await env.cleanup();
      }
    });
  });
}
