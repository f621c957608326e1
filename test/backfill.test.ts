// `ccproxy db backfill` on both databases: traces stored without a usage row (or with one from an older extractor)
// get the row the usage stage would have written, chunk times read back from the timings table; other traffic gets
// none; a second run (library or CLI) writes nothing new and leaves the same rows.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Flow } from '../src/flow/flow.js';
import type { WsMessage } from '../src/flow/websocket.js';
import { silentLogger } from '../src/log.js';
import { backfillDue, backfillUsage } from '../src/store/backfill.js';
import { openTraceStore } from '../src/store/store.js';
import { withClient } from '../src/store/database.js';
import { EXTRACTOR_VERSION, OLDER_EXTRACTION } from '../src/store/usage-table.js';
import { PriceBook } from '../src/usage/prices.js';
import { priceFlow } from '../src/usage/priced.js';
import { runCli } from './helpers/cli.js';
import { fixture, llmFlow } from './helpers/llm-flow.js';
import { BACKENDS } from './helpers/pg.js';

const T0 = Date.UTC(2026, 10, 1, 9);

function flows(): Flow[] {
  const msgs = [{ role: 'user', content: 'hello' }];
  const sse = llmFlow({ path: '/v1/messages', request: { model: 'claude-opus-4-8', max_tokens: 64, stream: true, messages: msgs }, response: fixture('anthropic-stream.sse'), contentType: 'text/event-stream', start: T0, end: T0 + 900 });
  sse.id = 'bf-sse';
  sse.sessionId = 'sess-bf';
  sse.timing.firstByte = T0 + 300;
  sse.timing.chunks = [300, 320, 800];
  sse.timing.chunkCount = 3;
  // A stream that came in one chunk: its time is still its first token's (kept in the timings table).
  const sse1 = llmFlow({ path: '/v1/messages', request: { model: 'claude-opus-4-8', max_tokens: 64, stream: true, messages: msgs }, response: fixture('anthropic-stream.sse'), contentType: 'text/event-stream', start: T0 + 500, end: T0 + 800 });
  sse1.id = 'bf-sse1';
  sse1.timing.firstByte = T0 + 740;
  sse1.timing.chunks = [250];
  sse1.timing.chunkCount = 1;
  const chat = llmFlow({ host: 'api.openai.com', path: '/v1/chat/completions', request: { model: 'gpt-5.5', messages: msgs }, response: fixture('openai-chat.json'), start: T0 + 1000, end: T0 + 1500 });
  chat.id = 'bf-chat';
  const old = llmFlow({ path: '/v1/messages', request: { model: 'claude-opus-4-8', max_tokens: 64, messages: msgs }, response: fixture('anthropic-message.json'), start: T0 + 2000, end: T0 + 2400 });
  old.id = 'bf-old';
  const web = llmFlow({ host: 'example.com', path: '/upload', request: { a: 1 }, response: { ok: true }, start: T0 + 3000, end: T0 + 3010 });
  web.id = 'bf-web';
  web.trafficType = 'web';
  const get = llmFlow({ method: 'GET', host: 'example.com', path: '/', response: { ok: true }, start: T0 + 4000, end: T0 + 4010 });
  get.id = 'bf-get';
  get.trafficType = 'web';
  return [sse, chat, old, web, get, sse1];
}

const ROWS = `SELECT * FROM "CCProxy_LlmUsage" ORDER BY trace_id`;
const withoutStamp = (rows: Record<string, unknown>[]) => rows.map(({ extracted_at: _, ...r }) => r);

for (const backend of BACKENDS) {
  describe(`ccproxy db backfill (${backend.name})`, { skip: await backend.skip() }, () => {
    test('stored calls get the rows the stage would write; twice is the same as once', async () => {
      const env = await backend.setup();
      const book = new PriceBook();
      const store = await openTraceStore(env.loaded, silentLogger);
      try {
        assert.equal(await backfillDue(store.db), true, 'a fresh database has just had migration 7');
        const all = flows();
        for (const f of all) {
          store.writer.requestStarted(f);
          store.writer.requestEnded(f);
          store.writer.responseEnded(f);
        }
        assert.ok(await store.writer.flush());
        await store.db.pool.query(
          `INSERT INTO "CCProxy_LlmUsage" (trace_id, proxy_direction, provider, api, streamed, cost_usd, extractor) VALUES ('bf-old', 1, 'anthropic', 'anthropic-messages', false, 999, $1)`,
          [EXTRACTOR_VERSION - 1],
        );

        const first = await backfillUsage(store.db, book, { batchSize: 2 });
        assert.deepEqual(first, { examined: 5, added: 3, replaced: 1, notCalls: 1, repriced: 0 });
        const rows = (await store.db.pool.query(ROWS)).rows;
        assert.deepEqual(rows.map((r) => r.trace_id), ['bf-chat', 'bf-old', 'bf-sse', 'bf-sse1']);

        const sse = rows.find((r) => r.trace_id === 'bf-sse')!;
        const expected = priceFlow(all[0]!, book)!;
        assert.deepEqual(
          [sse.input_tokens, sse.output_tokens, sse.cache_read_tokens, sse.cache_write_5m_tokens, sse.cache_write_1h_tokens],
          [expected.call.tokens.input, expected.call.tokens.output, expected.call.tokens.cacheRead, expected.call.tokens.cacheWrite5m, expected.call.tokens.cacheWrite1h],
        );
        assert.deepEqual([sse.cache_write_5m_tokens, sse.cache_write_1h_tokens], [200, 1000], 'both cache TTLs from the stored stream');
        assert.equal(sse.cost_usd, expected.cost.usd);
        assert.ok(sse.cost_usd > 0);
        assert.equal(sse.session_id, 'sess-bf');
        assert.equal(sse.streamed, true);
        assert.equal(sse.ttft_ms, 300, 'time to first token from the chunk times in the timings table');
        assert.equal(new Date(sse.start_time).getTime(), T0);
        assert.equal(rows.find((r) => r.trace_id === 'bf-sse1')!.ttft_ms, priceFlow(all[5]!, book)!.call.timeToFirstTokenMs, 'a one-chunk stream: as the stage read it');
        assert.equal(rows.find((r) => r.trace_id === 'bf-sse1')!.ttft_ms, 250);
        const old = rows.find((r) => r.trace_id === 'bf-old')!;
        assert.equal(old.extractor, EXTRACTOR_VERSION, 'the older extraction is written over');
        assert.notEqual(old.cost_usd, 999);
        assert.equal(rows.find((r) => r.trace_id === 'bf-chat')!.provider, 'openai');

        const second = await backfillUsage(store.db, book);
        assert.deepEqual(second, { examined: 1, added: 0, replaced: 0, notCalls: 1, repriced: 0 }, 'only the exchange that is not a call is read again');
        assert.deepEqual(withoutStamp((await store.db.pool.query(ROWS)).rows), withoutStamp(rows));
      } finally {
        await store.close();
      }
      // A later start backfills when an older extraction's rows are there (an upgrade), not otherwise.
      const again = await openTraceStore(env.loaded, silentLogger);
      try {
        assert.equal(await backfillDue(again.db), false);
        await again.db.pool.query(`UPDATE "CCProxy_LlmUsage" SET extractor = $1 WHERE trace_id = 'bf-chat'`, [EXTRACTOR_VERSION - 1]);
        assert.equal(await backfillDue(again.db), true);
        // The question is a probe of the partial index of older rows: its predicate is the one backfillDue asks.
        const plan = await withClient(again.db.pool, async (c) => {
          await c.query('BEGIN; SET LOCAL enable_seqscan = off');
          const { rows } = await c.query(`EXPLAIN SELECT EXISTS (SELECT 1 FROM "CCProxy_LlmUsage" WHERE ${OLDER_EXTRACTION})`);
          await c.query('ROLLBACK');
          return rows.map((r) => r['QUERY PLAN']).join('\n');
        });
        assert.match(plan, new RegExp(`CCProxy_LlmUsage_extractor_lt_${EXTRACTOR_VERSION}_idx`), plan);
        assert.deepEqual(await backfillUsage(again.db, new PriceBook()), { examined: 2, added: 0, replaced: 1, notCalls: 1, repriced: 0 });
      } finally {
        await again.close();
      }
      try {
        const r = await runCli(['db', 'backfill'], env.env);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /read 1 stored POST exchange\(s\) and WebSocket connection\(s\) without a current usage row: 0 usage row\(s\) added, 0 written over/);
      } finally {
        await env.cleanup();
      }
    });

    test('--reprice: a price added under ccproxy.prices reaches the calls stored without one; a plain run leaves them', async () => {
      const env = await backend.setup();
      const store = await openTraceStore(env.loaded, silentLogger);
      try {
        const answer = { ...JSON.parse(fixture('anthropic-message.json').toString()), model: 'acme-llm-1' };
        const f = llmFlow({ path: '/v1/messages', request: { model: 'acme-llm-1', max_tokens: 64, messages: [] }, response: answer, start: T0, end: T0 + 400 });
        f.id = 'bf-acme';
        store.writer.requestStarted(f);
        store.writer.requestEnded(f);
        store.writer.responseEnded(f);
        assert.ok(await store.writer.flush());
        const row = async () => (await store.db.pool.query(`SELECT cost_usd, price_entry, cost_note FROM "CCProxy_LlmUsage" WHERE trace_id = 'bf-acme'`)).rows[0];
        assert.deepEqual(await backfillUsage(store.db, new PriceBook()), { examined: 1, added: 1, replaced: 0, notCalls: 0, repriced: 0 });
        const served = 'acme-llm-1';
        assert.match((await row()).cost_note, new RegExp(`no price for model ${served}`));
        const priced = new PriceBook({ [served]: { input: 2, output: 8, web_search_per_request: 0.01 } });
        assert.deepEqual(await backfillUsage(store.db, priced), { examined: 0, added: 0, replaced: 0, notCalls: 0, repriced: 0 }, 'a current row is not read again');
        assert.deepEqual(await backfillUsage(store.db, priced, { reprice: true }), { examined: 1, added: 0, replaced: 0, notCalls: 0, repriced: 1 });
        const after = await row();
        assert.equal(after.price_entry, `ccproxy.prices:${served}`);
        assert.ok(after.cost_usd > 0 && after.cost_note === null);
        const r = await runCli(['db', 'backfill', '--reprice'], env.env);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /0 usage row\(s\) added, 0 written over an older extraction's, 1 priced again with today's prices/);
        assert.equal((await row()).cost_usd, null, 'priced again with the prices of the config (none for it there): not priced');
      } finally {
        await store.close();
        await env.cleanup();
      }
    });

    test('a Responses WebSocket connection stored without usage: one row per turn, read from its messages', async () => {
      const env = await backend.setup();
      const store = await openTraceStore(env.loaded, silentLogger);
      try {
        const up = llmFlow({ method: 'GET', host: 'api.openai.com', path: '/v1/responses', status: 101, response: null, start: T0, end: T0 + 9000 });
        up.id = 'bf-ws';
        store.writer.requestStarted(up);
        store.writer.requestEnded(up);
        store.writer.responseStarted(up);
        wsTurn(0, T0 + 1000, 'gpt-5.5').concat(wsTurn(100, T0 + 5000, 'gpt-5.6-sol')).forEach((m) => store.writer.wsMessage(up.id, m));
        store.writer.responseEnded(up);
        assert.ok(await store.writer.flush());

        const first = await backfillUsage(store.db, new PriceBook());
        assert.deepEqual(first, { examined: 1, added: 2, replaced: 0, notCalls: 0, repriced: 0 });
        const rows = (await store.db.pool.query(`SELECT * FROM "CCProxy_LlmUsage" WHERE trace_id = 'bf-ws' ORDER BY call_seq`)).rows;
        assert.deepEqual(rows.map((r) => [r.call_seq, r.requested_model, r.output_tokens]), [[0, 'gpt-5.5', 300], [1, 'gpt-5.6-sol', 300]]);
        assert.deepEqual(rows.map((r) => new Date(r.start_time).getTime()), [T0 + 1000, T0 + 5000], 'each turn at its response.create');
        assert.ok(rows.every((r) => r.cost_usd > 0), 'priced');
        assert.deepEqual(await backfillUsage(store.db, new PriceBook()), { examined: 0, added: 0, replaced: 0, notCalls: 0, repriced: 0 }, 'twice is once');
      } finally {
        await store.close();
        await env.cleanup();
      }
    });
  });
}

/** One Responses turn over a WebSocket: the response.create, then the stored SSE fixture's events as text messages 100 ms apart. */
function wsTurn(seq: number, at: number, model: string): WsMessage[] {
  const create = JSON.stringify({ type: 'response.create', model, input: [{ role: 'user', content: 'hi' }], stream: true });
  const data = fixture('openai-responses-stream.sse').toString().split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
  const msg = (i: number, direction: 0 | 1, text: string): WsMessage => ({ seq: seq + i, direction, at: new Date(at + i * 100), opcode: 1, size: text.length + 2, payload: Buffer.from(text), truncated: false });
  return [msg(0, 0, create), ...data.map((d, i) => msg(i + 1, 1, d))];
}
