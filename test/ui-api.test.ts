// The viewer's read modules on both databases, over calls seeded as the capture writes them: sessions paged by
// keyset cursors (every session once, newest first, ties broken by id, however small the index walk's steps),
// under a filter; a session's sums equal the view of billed calls; exchanges paired by their stored link; the
// quota points and session shares; LISTEN/NOTIFY from the writer's batches, on the embedded database through its
// socket too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { openDatabase, type Database } from '../src/store/database.js';
import { TraceNotifier, TRACES_CHANNEL } from '../src/store/notify.js';
import { makeOp } from '../src/store/ops.js';
import { listExchanges } from '../src/web/exchanges.js';
import { quotaReport } from '../src/web/quota.js';
import { sessionFlows } from '../src/web/session-views.js';
import { BODY_VIEW_BYTES, traceDetail } from '../src/web/trace-detail.js';
import { listSessions, pageSessionIds } from '../src/web/sessions.js';
import { BACKENDS } from './helpers/pg.js';
import { seedCalls, type SeedCall } from './helpers/usage-seed.js';

const T0 = Date.parse('2026-11-20T10:00:00Z');
const at = (min: number) => new Date(T0 + min * 60_000).toISOString();

// 20 sessions, a call each at minute i (s00 … s19), two of them also at minute 40 (a tie at the newest time),
// one long session with calls across the whole range, and haiku calls in a few.
const CALLS: SeedCall[] = [
  ...Array.from({ length: 20 }, (_, i): SeedCall => ({ id: `c${i}`, at: at(i), session: `s${String(i).padStart(2, '0')}`, model: i % 5 === 0 ? 'claude-haiku-4-5' : 'claude-opus-4-8', input: 10, output: 5, cacheRead: 100, write5m: 7, write1h: 3, cost: 0.01, twin: true })),
  { id: 'tie-a', at: at(40), session: 's07', model: 'claude-opus-4-8', input: 1, output: 1, cost: 0.02, quota: { fiveHour: 0.3, sevenDay: 0.1 } },
  { id: 'tie-b', at: at(40), session: 's13', model: 'claude-opus-4-8', input: 1, output: 1, cost: 0.02, quota: { fiveHour: 0.35, sevenDay: 0.12 } },
  ...Array.from({ length: 12 }, (_, k): SeedCall => ({ id: `long${k}`, at: at(k * 3 + 0.5), session: 'long', model: 'claude-opus-4-8', input: 100, output: 10, cost: null, note: 'unpriced', twin: k % 2 === 0 })),
  { id: 'none', at: at(50), session: null, model: 'claude-opus-4-8', input: 1, output: 1, cost: 0 },
];

for (const backend of BACKENDS) {
  describe(`the viewer's read modules (${backend.name})`, { skip: await backend.skip() }, () => {
    let env: Awaited<ReturnType<typeof backend.setup>>;
    let db: Database;
    let expected: string[];
    before(async () => {
      env = await backend.setup();
      db = await openDatabase(env.loaded, { transient: true });
      await seedCalls(db.pool, CALLS);
      expected = (
        await db.pool.query(`SELECT session_id FROM "CCProxy_HttpTraces" WHERE session_id IS NOT NULL GROUP BY session_id ORDER BY max(start_time) DESC, session_id DESC`)
      ).rows.map((r) => r.session_id as string);
    });
    after(async () => {
      await db?.close();
      await env?.cleanup();
    });

    test('sessions page by page: each once, newest first, ties by id, with small steps of the index walk', async () => {
      for (const [limit, firstStepRows] of [[4, 3], [7, 1], [50, 2000], [1, 5]] as const) {
        const got: string[] = [];
        let before: string | null = null;
        for (let pages = 0; pages < 40; pages++) {
          const page = await listSessions(db.pool, { filter: null, limit, before, firstStepRows });
          assert.ok(page.sessions.length <= limit);
          got.push(...page.sessions.map((s) => s.session_id));
          if (!page.next) break;
          before = page.next;
        }
        assert.deepEqual(got, expected, `limit ${limit}, ${firstStepRows} rows in the first step`);
      }
      assert.deepEqual(expected.slice(0, 3), ['s13', 's07', 'long'], 'the tie at minute 40 is broken by id');
    });

    test('under a filter: sessions with a matching exchange, by their newest matching one', async () => {
      const want = ['s15', 's10', 's05', 's00'];
      const all: string[] = [];
      let before: string | null = null;
      for (;;) {
        const page = await listSessions(db.pool, { filter: '~model haiku', limit: 3, before, firstStepRows: 2 });
        all.push(...page.sessions.map((s) => s.session_id));
        if (!page.next) break;
        before = page.next;
      }
      assert.deepEqual(all, want);
      const ids = await pageSessionIds(db.pool, '~model haiku & ~dir reverse', 10, null);
      assert.deepEqual(ids.map((s) => s.id), want);
    });

    test("a session's summary: requests, traces, tokens by kind, cost and cache-hit rate as the view of billed calls has them", async () => {
      const page = await listSessions(db.pool, { filter: null, limit: 50, before: null });
      const s07 = page.sessions.find((s) => s.session_id === 's07')!;
      assert.equal(s07.traces, 3, 'c7 at both ends, tie-a at one');
      assert.equal(s07.requests, 2, 'the forward row of c7 was caused by its reverse row');
      assert.equal(s07.llm_calls, 2, 'a call seen at both ends counts once');
      assert.deepEqual(s07.tokens, { input: 11, output: 6, cache_read: 100, cache_write_5m: 7, cache_write_1h: 3, total: 127 });
      assert.equal(s07.cost_usd!.toFixed(2), '0.03');
      assert.equal(s07.cache_hit_rate!.toFixed(4), (100 / 121).toFixed(4));
      assert.deepEqual(s07.models, ['claude-opus-4-8']);
      assert.equal(s07.client, 'claude-cli/2.1.197 (external, cli)');
      assert.equal(s07.first_time, at(7));
      assert.equal(s07.last_time, at(40));
      assert.equal(s07.duration_ms, 33 * 60_000);
      const long = page.sessions.find((s) => s.session_id === 'long')!;
      assert.equal(long.cost_usd, null, 'none priced');
      assert.equal(long.unpriced, 12);
      assert.equal(long.llm_calls, 12);
      assert.equal(long.traces, 18);
      assert.equal(s07.errors, 0);
      // A call that failed at both ends is one failed request, as it is one request.
      const both = `trace_id IN (SELECT trace_id FROM "CCProxy_HttpTraces" WHERE session_id = 's07' AND trace_id LIKE 'c7%')`;
      await db.pool.query(`UPDATE "CCProxy_HttpTraces" SET status_code = 502 WHERE ${both}`);
      try {
        const failed = (await listSessions(db.pool, { filter: null, limit: 50, before: null })).sessions.find((s) => s.session_id === 's07')!;
        assert.equal(failed.errors, 1);
      } finally {
        await db.pool.query(`UPDATE "CCProxy_HttpTraces" SET status_code = 200 WHERE ${both}`);
      }
      // An upgraded connection whose client left without a close (Codex CLI, on every exit) is not a failed request.
      await db.pool.query(`UPDATE "CCProxy_HttpTraces" SET status_code = 101, error_type = 'client_aborted' WHERE ${both}`);
      try {
        const left = (await listSessions(db.pool, { filter: null, limit: 50, before: null })).sessions.find((s) => s.session_id === 's07')!;
        assert.equal(left.errors, 0);
        const lines = (await listExchanges(db.pool, 's07', { limit: 100, after: null })).exchanges.flatMap((e) => [e.client, ...e.provider]).filter((l) => l !== null && l.trace_id.startsWith('c7'));
        assert.ok(lines.length > 0 && lines.every((l) => !l!.flags.includes('error')), JSON.stringify(lines));
      } finally {
        await db.pool.query(`UPDATE "CCProxy_HttpTraces" SET status_code = 200, error_type = NULL WHERE ${both}`);
      }
    });

    test('exchanges: each reverse row with the forward rows linked to it, unlinked forward rows alone, in time order, paged', async () => {
      const all = await listExchanges(db.pool, 'long', { limit: 100, after: null });
      assert.equal(all.exchanges.length, 12);
      all.exchanges.forEach((e, k) => {
        if (k % 2 === 0) {
          assert.equal(e.client!.trace_id, `long${k}-rev`);
          assert.deepEqual(e.provider.map((p) => p.trace_id), [`long${k}`]);
        } else {
          assert.equal(e.client, null);
          assert.deepEqual(e.provider.map((p) => p.trace_id), [`long${k}`]);
        }
      });
      const ids: string[] = [];
      let after: string | null = null;
      for (;;) {
        const p = await listExchanges(db.pool, 'long', { limit: 5, after });
        ids.push(...p.exchanges.map((e) => (e.client ?? e.provider[0]!).trace_id));
        if (!p.next) break;
        after = p.next;
      }
      assert.deepEqual(ids, all.exchanges.map((e) => (e.client ?? e.provider[0]!).trace_id));
      const one = all.exchanges[0]!.provider[0]!;
      assert.deepEqual(one.tokens, { input: 100, output: 10, cache_read: 0, cache_write_5m: 0, cache_write_1h: 0, total: 110 });
      assert.equal(one.requested_model, 'claude-opus-4-8');
    });

    test('quota: the unified 5h/7d utilisation over time, the latest point, and sessions by share of cost', async () => {
      const q = await quotaReport(db.pool, { since: at(-60), until: at(60) });
      assert.deepEqual(q.points.map((p) => [p.trace_id, p.five_hour.utilization, p.seven_day.utilization]).sort(), [['tie-a', 0.3, 0.1], ['tie-b', 0.35, 0.12]]);
      assert.equal(q.latest?.time, at(40));
      const shares = new Map(q.sessions.map((s) => [s.session_id, s]));
      assert.equal(shares.get('s07')!.calls, 2);
      const total = q.sessions.reduce((n, s) => n + s.share, 0);
      assert.equal(total.toFixed(6), '1.000000');
      await assert.rejects(quotaReport(db.pool, { since: 'yesterday-ish', until: null }), /since: not a date/);
    });

    test('one exchange with a 10 MB body: the detail cuts it for the page, says so, and leaves curl to the CLI', async () => {
      const big = Buffer.from(JSON.stringify({ model: 'claude-opus-4-8', messages: [{ role: 'user', content: 'x'.repeat(10 * 1024 * 1024) }] }));
      await db.pool.query(
        `INSERT INTO "CCProxy_HttpTraces" (trace_id, proxy_direction, session_id, method, url, host, path, request_headers, request_body, request_body_size, request_content_type, status_code, response_headers, response_body, response_content_type, start_time, end_time, duration_ms, traffic_type)
         VALUES ('big', 0, 'big-session', 'POST', 'http://127.0.0.1:4000/v1/messages', '127.0.0.1', '/v1/messages', '{}', $1, $2, 'application/json', 200, '{}', $3, 'application/json', $4, $4, 5, 'llm')`,
        [big, big.length, Buffer.from('{"type":"message","content":[]}'), new Date(T0)],
      );
      const d = (await traceDetail(db.pool, 'big'))!;
      assert.equal(d.request.body.cut, true);
      assert.equal(d.request.body.stored_bytes, big.length);
      assert.ok(Buffer.byteLength(d.request.body.text!) <= BODY_VIEW_BYTES);
      assert.equal(d.request.body.json, true, 'by its content type');
      assert.equal(d.request.body.href, '/api/traces/big/body/request');
      assert.equal(d.curl!.command, null);
      assert.match(d.curl!.notes[0]!, /ccproxy export curl big/);
      assert.ok(JSON.stringify(d).length < 2 * BODY_VIEW_BYTES, 'the answer stays small');
      assert.equal(await traceDetail(db.pool, 'no-such-trace'), null);
    });

    test("a session's flows for its views: newest first within the byte budget, provider copies without their bodies", async () => {
      const body = (n: number) => Buffer.from(JSON.stringify({ model: 'claude-opus-4-8', messages: [{ role: 'user', content: 'z'.repeat(n) }] }));
      for (const k of [0, 1, 2]) {
        for (const [id, dir] of [[`bud${k}-rev`, 0], [`bud${k}`, 1]] as const) {
          await db.pool.query(
            `INSERT INTO "CCProxy_HttpTraces" (trace_id, proxy_direction, session_id, method, url, host, path, request_headers, request_body, request_body_size, status_code, response_headers, start_time, end_time, traffic_type)
             VALUES ($1, $2, 'budget', 'POST', 'http://h/v1/messages', 'h', '/v1/messages', '{}', $3, 1000, 200, '{}', $4, $4, 'llm')`,
            [id, dir, body(1000), new Date(T0 + k * 1000 + dir)],
          );
        }
        await db.pool.query(`INSERT INTO "CCProxy_TraceTimings" (trace_id, parent_trace_id) VALUES ($1, $2)`, [`bud${k}`, `bud${k}-rev`]);
      }
      const all = await sessionFlows(db.pool, 'budget');
      assert.equal(all.capped, false);
      assert.deepEqual(all.flows.map((f) => f.id), ['bud0-rev', 'bud0', 'bud1-rev', 'bud1', 'bud2-rev', 'bud2'], 'oldest first');
      assert.ok(all.flows.filter((f) => f.direction === 'reverse').every((f) => f.request.body !== null));
      assert.ok(all.flows.filter((f) => f.direction === 'forward').every((f) => f.request.body === null && f.parentId !== undefined), 'the provider copy without its body, still linked');
      const two = await sessionFlows(db.pool, 'budget', { maxFlows: 100, bodyBudget: 2 * body(1000).length + 10 });
      assert.equal(two.capped, true);
      assert.deepEqual(two.flows.map((f) => f.id), ['bud1-rev', 'bud1', 'bud2-rev', 'bud2'], 'the newest that fit');
      const few = await sessionFlows(db.pool, 'budget', { maxFlows: 3, bodyBudget: 1e9 });
      assert.equal(few.capped, true);
      assert.deepEqual(few.flows.map((f) => f.id), ['bud1', 'bud2-rev', 'bud2'], 'a provider exchange whose client request was not among the newest is read whole');
      await assert.rejects(sessionFlows(db.pool, 'no-such-session'), /no LLM exchanges/);
    });

    test('the writer notifies listeners after a batch, on this backend', async () => {
      const listener = new pg.Client({ connectionString: db.backend.url });
      await listener.connect();
      try {
        await listener.query(`LISTEN ${TRACES_CHANNEL}`);
        const got = new Promise<string>((resolve) => listener.on('notification', (n) => resolve(n.payload ?? '')));
        const notifier = new TraceNotifier(() => db.pool);
        notifier.written([makeOp('create', 'n1', { session_id: 'live-1', start_time: new Date(T0) }), makeOp('complete', 'n1', { status_code: 200 })]);
        await notifier.flush();
        const payload = JSON.parse(await got);
        assert.deepEqual(payload, { ops: 2, traces: 1, newest: T0, sessions: ['live-1'], more: false });
      } finally {
        await listener.end();
      }
    });
  });
}
