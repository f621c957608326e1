// `ccproxy usage` on both databases: every report over calls seeded as the capture writes them (a call seen at both
// ends counts once), days in a time zone, --since/--until, calls that could not be priced, the JSON, bad arguments.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type Database } from '../src/store/database.js';
import type { UsageOptions } from '../src/read/usage-options.js';
import { reportJson, usageReport } from '../src/read/usage-report.js';
import { runCli } from './helpers/cli.js';
import { BACKENDS } from './helpers/pg.js';
import { seedCalls, type SeedCall } from './helpers/usage-seed.js';

const NOTE = 'no price for model gpt-x in genai-prices or ccproxy.prices';
const CALLS: SeedCall[] = [
  { id: 'c1', at: '2026-11-20T10:05:00Z', session: 's1', model: 'claude-opus-4-8', input: 100, output: 50, cacheRead: 1000, write5m: 200, write1h: 300, cost: 0.5, twin: true },
  { id: 'c2', at: '2026-11-20T12:00:00Z', session: 's1', model: 'claude-haiku-4-5', input: 10, output: 5, cost: 0.01, quota: { fiveHour: 0.42, sevenDay: 0.1 } },
  // 23:30 UTC is 00:30 the next day in Berlin.
  { id: 'c3', at: '2026-11-20T23:30:00Z', session: 's1', model: 'claude-opus-4-8', input: 1, output: 1, cost: 0.25, quota: { fiveHour: 0.5, sevenDay: 0.2 } },
  { id: 'c4', at: '2026-11-22T09:00:00Z', session: 's2', provider: 'openai', model: 'gpt-x', input: 20, output: 10, cost: null, note: NOTE, userAgent: 'codex_cli_rs/0.80.0' },
  { id: 'c5', at: '2026-11-22T09:10:00Z', session: 's2', provider: 'openai', model: 'gpt-x', input: 20, output: 10, cost: null, note: NOTE, userAgent: 'codex_cli_rs/0.80.0' },
  { id: 'c6', at: '2026-11-27T08:00:00Z', session: 's3', model: 'claude-opus-4-8', input: 1000, output: 100, cost: 1 },
  // Exactly 5 hours after the block's start: the next block, and no gap (the pause is not over 5 hours).
  { id: 'c7', at: '2026-11-27T13:00:00Z', session: 's3', model: 'claude-opus-4-8', input: 1000, output: 100, cost: 1 },
];

const opts = (o: Partial<UsageOptions>): UsageOptions => ({ report: 'daily', timeZone: 'UTC', since: null, until: null, ...o });

for (const backend of BACKENDS) {
  describe(`ccproxy usage (${backend.name})`, { skip: await backend.skip() }, () => {
    let env: Awaited<ReturnType<typeof backend.setup>>;
    let db: Database;
    before(async () => {
      env = await backend.setup();
      db = await openDatabase(env.loaded, { transient: true });
      await seedCalls(db.pool, CALLS);
    });
    after(async () => {
      await db?.close();
      await env?.cleanup();
    });

    test('daily in UTC: requests, tokens by kind, cost, cache-hit rate, models; a call seen at both ends counts once', async () => {
      const r = await usageReport(db.pool, opts({}));
      assert.deepEqual(r.entries.map((e) => [e.key, e.requests]), [['2026-11-20', 3], ['2026-11-22', 2], ['2026-11-27', 2]]);
      const d = r.entries[0]!;
      assert.deepEqual([d.input, d.output, d.cacheRead, d.cacheWrite5m, d.cacheWrite1h], [111, 56, 1000, 200, 300]);
      assert.equal(d.cost!.toFixed(2), '0.76');
      assert.deepEqual(d.models.map((m) => [m.model, m.requests]), [['claude-opus-4-8', 2], ['claude-haiku-4-5', 1]]);
      assert.equal(r.totals.requests, 7);
      assert.equal(r.totals.cost!.toFixed(2), '2.76');
      // The same calls as the view of billed calls.
      const view = (await db.pool.query(`SELECT count(*) AS n, sum(cost_usd) AS usd, sum(input_tokens) AS input FROM "CCProxy_LlmCalls"`)).rows[0];
      assert.deepEqual([Number(view.n), Number(view.usd).toFixed(2), Number(view.input)], [r.totals.requests, r.totals.cost!.toFixed(2), r.totals.input]);
      const json = reportJson(r) as { daily: Record<string, unknown>[]; totals: Record<string, number> };
      assert.equal(json.daily[0]!.date, '2026-11-20');
      assert.equal(json.daily[0]!.cacheCreationTokens, 500);
      assert.equal(json.daily[0]!.cacheCreation1hTokens, 300);
      assert.equal(json.daily[0]!.totalTokens, 111 + 56 + 1000 + 500);
      assert.equal((json.daily[0]!.cacheHitRate as number).toFixed(4), (1000 / 1611).toFixed(4));
      assert.deepEqual(json.daily[0]!.modelsUsed, ['claude-opus-4-8', 'claude-haiku-4-5']);
      assert.equal((json.daily[0]!.modelBreakdowns as { modelName: string }[])[0]!.modelName, 'claude-opus-4-8');
      assert.equal(json.totals.totalCost!.toFixed(2), '2.76');
    });

    test('days in a time zone: 23:30 UTC is the next day in Europe/Berlin', async () => {
      const r = await usageReport(db.pool, opts({ timeZone: 'Europe/Berlin' }));
      assert.deepEqual(r.entries.map((e) => [e.key, e.requests]), [['2026-11-20', 2], ['2026-11-21', 1], ['2026-11-22', 2], ['2026-11-27', 2]]);
    });

    test('weekly (Monday) and monthly', async () => {
      const w = await usageReport(db.pool, opts({ report: 'weekly' }));
      assert.deepEqual(w.entries.map((e) => [e.key, e.requests]), [['2026-11-16', 5], ['2026-11-23', 2]]);
      const m = await usageReport(db.pool, opts({ report: 'monthly', timeZone: 'America/New_York' }));
      assert.deepEqual(m.entries.map((e) => [e.key, e.requests]), [['2026-11', 7]]);
      assert.ok('monthly' in reportJson(m));
    });

    test('--since and --until: dates in the time zone (until includes its day), and instants', async () => {
      const berlin = await usageReport(db.pool, opts({ timeZone: 'Europe/Berlin', since: { date: '2026-11-21' }, until: { date: '2026-11-22' } }));
      assert.deepEqual(berlin.entries.map((e) => [e.key, e.requests]), [['2026-11-21', 1], ['2026-11-22', 2]]);
      const utc = await usageReport(db.pool, opts({ since: { date: '2026-11-21' }, until: { date: '2026-11-22' } }));
      assert.deepEqual(utc.entries.map((e) => [e.key, e.requests]), [['2026-11-22', 2]]);
      const instant = await usageReport(db.pool, opts({ since: { instant: '2026-11-27T07:59:00.000Z' }, until: { instant: '2026-11-27T12:00:00.000Z' } }));
      assert.deepEqual(instant.entries.map((e) => [e.key, e.requests]), [['2026-11-27', 1]]);
    });

    test('session: keyed by session id, first and last call, the client; unpriced calls counted with their reason', async () => {
      const r = await usageReport(db.pool, opts({ report: 'session' }));
      assert.deepEqual(r.entries.map((e) => [e.key, e.requests, e.first, e.last]), [
        ['s1', 3, '2026-11-20T10:05:00.000Z', '2026-11-20T23:30:00.000Z'],
        ['s2', 2, '2026-11-22T09:00:00.000Z', '2026-11-22T09:10:00.000Z'],
        ['s3', 2, '2026-11-27T08:00:00.000Z', '2026-11-27T13:00:00.000Z'],
      ]);
      assert.equal(r.entries[0]!.client, 'claude-cli/2.1.197 (external, cli)');
      assert.equal(r.entries[1]!.client, 'codex_cli_rs/0.80.0');
      assert.equal(r.entries[1]!.cost, null);
      assert.equal(r.entries[1]!.unpriced, 2);
      assert.deepEqual(r.unpriced, [{ reason: NOTE, requests: 2 }]);
      const json = reportJson(r) as { sessions: Record<string, unknown>[]; unpriced: { requests: number } };
      assert.equal(json.sessions[1]!.sessionId, 's2');
      assert.equal(json.sessions[1]!.unpricedRequests, 2);
      assert.equal(json.sessions[1]!.lastActivity, '2026-11-22T09:10:00.000Z');
      assert.equal(json.unpriced.requests, 2);
    });

    test('model: one row per served model, by cost', async () => {
      const r = await usageReport(db.pool, opts({ report: 'model' }));
      assert.deepEqual(r.entries.map((e) => [e.key, e.requests]), [['claude-opus-4-8', 4], ['claude-haiku-4-5', 1], ['gpt-x', 2]]);
      assert.equal(r.entries[2]!.cost, null);
    });

    test('blocks: 5-hour windows from the hour of the first call, gaps over 5 hours, the last quota seen; Anthropic only', async () => {
      const r = await usageReport(db.pool, opts({ report: 'blocks' }), Date.parse('2026-11-28T00:00:00Z'));
      assert.deepEqual(r.entries.map((e) => [e.key, e.isGap, e.requests]), [
        ['2026-11-20T10:00:00.000Z', false, 2],
        ['2026-11-20T17:00:00.000Z', true, 0],
        ['2026-11-20T23:00:00.000Z', false, 1],
        ['2026-11-21T04:30:00.000Z', true, 0],
        ['2026-11-27T08:00:00.000Z', false, 1],
        ['2026-11-27T13:00:00.000Z', false, 1],
      ]);
      const json = reportJson(r) as { blocks: { quota: { fiveHourUtilization: number; sevenDayUtilization: number } | null; endTime: string; isActive: boolean }[] };
      assert.deepEqual([json.blocks[0]!.quota?.fiveHourUtilization, json.blocks[0]!.quota?.sevenDayUtilization], [0.42, 0.1]);
      assert.equal(json.blocks[2]!.quota?.fiveHourUtilization, 0.5);
      assert.equal(json.blocks[4]!.quota, null);
      assert.equal(json.blocks[0]!.endTime, '2026-11-20T15:00:00.000Z');
      assert.equal(json.blocks[5]!.isActive, false);
    });

    test('the command: a table with totals and the unpriced calls, --json, and bad arguments with exit code 2', async () => {
      await db.close();
      try {
        const table = await runCli(['usage', '--timezone', 'Europe/Berlin'], env.env);
        assert.equal(table.code, 0, table.stderr);
        assert.match(table.stdout, /time zone Europe\/Berlin/);
        assert.match(table.stdout, /^2026-11-21 +1 /m);
        assert.match(table.stdout, /^Total +7 /m);
        assert.match(table.stdout, new RegExp(`2 calls not priced \\(not in the cost above\\): ${NOTE}`));
        const json = await runCli(['usage', 'session', '--json', '--since', '2026-11-22'], env.env);
        assert.equal(json.code, 0, json.stderr);
        const parsed = JSON.parse(json.stdout) as { sessions: { sessionId: string }[]; totals: { requests: number } };
        assert.deepEqual(parsed.sessions.map((s) => s.sessionId), ['s2', 's3']);
        assert.equal(parsed.totals.requests, 4);
        for (const [args, message] of [
          [['usage', 'yearly'], /unknown report "yearly"/],
          [['usage', '--since', '2026-02-30'], /--since: "2026-02-30" is not a calendar date/],
          [['usage', '--until', 'last week'], /--until: invalid date "last week"/],
          [['usage', '--timezone', 'Mars/Olympus'], /unknown time zone "Mars\/Olympus"/],
          [['usage', '--timezone', '+01:00'], /unknown time zone/],
          [['usage', '--frobnicate'], /Unknown option '--frobnicate'/],
        ] as const) {
          const bad = await runCli([...args], env.env);
          assert.equal(bad.code, 2, `${args.join(' ')}: ${bad.stderr}`);
          assert.match(bad.stderr, message);
        }
      } finally {
        db = await openDatabase(env.loaded, { transient: true });
      }
    });
  });
}
