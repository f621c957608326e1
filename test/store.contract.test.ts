// One contract, two backends: the same tests against embedded PGlite and the PostgreSQL server.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { paths } from '../src/config/paths.js';
import { silentLogger } from '../src/log.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { migrate } from '../src/store/migrations.js';
import { decodeFrames } from '../src/store/op-frames.js';
import { encodeOp, makeOp, makeWsOp } from '../src/store/ops.js';
import { tflow } from '../src/capture/tflow.js';
import { pruneOlderThan, startRetention } from '../src/store/prune.js';
import { COLUMNS, INDEXES, SPEC_COLUMNS, indexName } from '../src/store/table.js';
import { WS_COLUMNS, WS_INDEXES, wsIndexName } from '../src/store/ws-table.js';
import type { WsMessage } from '../src/flow/websocket.js';
import { TraceWriter } from '../src/store/writer.js';
import { BACKENDS } from './helpers/pg.js';
import { AGE_SQL, OLD_IDS, SEEDS, seedSpecRows } from './helpers/seed.js';

const T = '"CCProxy_HttpTraces"';
const M = '"CCProxy_WebSocketMessages"';

/** A message as the capture hands it over; `i` picks seq, direction and time. */
const wsMsg = (i: number, payload: Uint8Array | null = Buffer.from(`{"type":"response.output_text.delta","delta":"${i}"}`), extra: Partial<WsMessage> = {}): WsMessage => ({
  seq: i,
  direction: i % 2 === 0 ? 0 : 1,
  at: new Date(Date.UTC(2026, 10, 23, 12, 0, 0, i)),
  opcode: 1,
  size: (payload?.length ?? 0) + 2,
  payload,
  truncated: false,
  ...extra,
});

for (const backend of BACKENDS) {
  describe(`trace store contract (${backend.name})`, { skip: await backend.skip() }, () => {
    let env: Awaited<ReturnType<typeof backend.setup>>;
    let db: Database;
    const writers: TraceWriter[] = [];
    const newWriter = (opts: Partial<ConstructorParameters<typeof TraceWriter>[1]> = {}, start: Parameters<TraceWriter['start']>[0] = {}) => {
      const w = new TraceWriter(db, {
        queueSize: 1000,
        batchSize: 500,
        spillDir: paths.spillDir(env.dir),
        rejectedFile: paths.rejectedFile(env.dir),
        log: silentLogger,
        retryMinMs: 20,
        retryMaxMs: 100,
        copy: backend.name === 'server',
        ...opts,
      }).start(start);
      writers.push(w);
      return w;
    };
    const count = async (where = 'TRUE') => Number((await db.pool.query(`SELECT count(*) AS n FROM ${T} WHERE ${where}`)).rows[0].n);
    const countMessages = async (where = 'TRUE') => Number((await db.pool.query(`SELECT count(*) AS n FROM ${M} WHERE ${where}`)).rows[0].n);

    before(async () => {
      env = await backend.setup();
      db = await openDatabase(env.loaded);
    });
    after(async () => {
      for (const w of writers) await w.close(1000);
      await db?.close();
      await env?.cleanup();
    });

    test('creates the spec table: every column with its type, the primary key and all eight indexes', async () => {
      const { rows } = await db.pool.query(
        `SELECT column_name, data_type, column_default, is_nullable FROM information_schema.columns WHERE table_name = 'CCProxy_HttpTraces'`,
      );
      const have = new Map(rows.map((r) => [r.column_name, r]));
      for (const c of COLUMNS) assert.equal(have.get(c.name)?.data_type, c.type, `column ${c.name}`);
      assert.equal(SPEC_COLUMNS.length, 27);
      const pk = await db.pool.query(
        `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
         WHERE i.indrelid = '${T}'::regclass AND i.indisprimary`,
      );
      assert.deepEqual(pk.rows.map((r) => r.attname), ['trace_id']);
      const idx = await db.pool.query(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'CCProxy_HttpTraces'`);
      const defs = new Map(idx.rows.map((r) => [r.indexname, r.indexdef as string]));
      for (const cols of INDEXES) assert.match(defs.get(indexName(cols)) ?? '', new RegExp(`\\(${cols.join(', ')}\\)$`), indexName(cols));
    });

    test('creates the WebSocket messages table: its columns, the key (trace_id, seq) and the index on at', async () => {
      const { rows } = await db.pool.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'CCProxy_WebSocketMessages'`);
      assert.deepEqual(new Map(rows.map((r) => [r.column_name, r.data_type])), new Map(WS_COLUMNS.map((c) => [c.name, c.type])));
      assert.deepEqual(
        WS_COLUMNS.map((c) => `${c.name} ${c.type}`),
        ['trace_id text', 'seq integer', 'direction integer', 'at timestamp without time zone', 'opcode integer', 'size integer', 'payload bytea', 'truncated boolean'],
      );
      const pk = await db.pool.query(
        `SELECT a.attname FROM pg_index i JOIN unnest(i.indkey) WITH ORDINALITY k(attnum, n) ON true
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         WHERE i.indrelid = '${M}'::regclass AND i.indisprimary ORDER BY k.n`,
      );
      assert.deepEqual(pk.rows.map((r) => r.attname), ['trace_id', 'seq']);
      const idx = await db.pool.query(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'CCProxy_WebSocketMessages'`);
      const defs = new Map(idx.rows.map((r) => [r.indexname, r.indexdef as string]));
      for (const cols of WS_INDEXES) assert.match(defs.get(wsIndexName(cols)) ?? '', new RegExp(`\\(${cols.join(', ')}\\)$`), wsIndexName(cols));
      assert.equal(wsIndexName(['at']), 'CCProxy_WebSocketMessages_at_idx');
    });

    test('fills the original defaults', async () => {
      await db.pool.query(`INSERT INTO ${T} (trace_id) VALUES ('defaults')`);
      const r = (await db.pool.query(`SELECT * FROM ${T} WHERE trace_id = 'defaults'`)).rows[0];
      assert.equal(r.proxy_direction, 0);
      assert.deepEqual(r.request_headers, {});
      assert.deepEqual(r.response_headers, {});
      assert.equal(r.request_body_size, 0);
      assert.equal(r.response_body_size, 0);
      assert.equal(r.is_https, false);
      assert.equal(r.traffic_type, 'unknown');
      assert.ok(Math.abs(r.created_at.getTime() - Date.now()) < 60_000, `created_at ${r.created_at.toISOString()} is now, in UTC`);
      await db.pool.query(`DELETE FROM ${T} WHERE trace_id = 'defaults'`);
    });

    test('migrating again changes nothing', async () => {
      const client = await db.pool.connect();
      try {
        assert.deepEqual((await migrate(client)).applied, []);
      } finally {
        client.release();
      }
    });

    test('a trace is visible when created and complete when its response ends, every value intact', async () => {
      const w = newWriter();
      const start = new Date('2026-11-23T12:34:56.789Z');
      const reqBody = Buffer.from([0, 1, 2, 250, 255]);
      w.create('t-1', {
        proxy_direction: 1,
        session_id: 'sess-1',
        method: 'POST',
        url: 'https://api.anthropic.com/v1/messages?beta=true',
        host: 'api.anthropic.com',
        path: '/v1/messages?beta=true',
        request_headers: { 'content-type': 'application/json', 'x-api-key': 'sk-…abcd' },
        request_body: reqBody,
        request_body_size: 5,
        request_content_type: 'application/json',
        start_time: start,
        client_ip: '127.0.0.1',
        is_https: true,
        traffic_type: 'llm',
      });
      assert.ok(await w.flush(10_000));
      let r = (await db.pool.query(`SELECT * FROM ${T} WHERE trace_id = 't-1'`)).rows[0];
      assert.equal(r.status_code, null, 'in progress: no status yet');
      assert.equal(r.end_time, null);
      assert.deepEqual(r.request_body, reqBody);
      assert.equal(r.start_time.toISOString(), start.toISOString());
      w.complete('t-1', {
        status_code: 200,
        response_headers: { 'content-type': 'text/event-stream' },
        response_body: Buffer.from('event: message_stop\ndata: {}\n\n'),
        response_body_size: 31,
        response_content_type: 'text/event-stream',
        end_time: new Date(start.getTime() + 1500),
        duration_ms: 1500.25,
        ttfb_ms: 210.5,
        server_ip: '10.0.0.1',
        server_port: 443,
      });
      assert.ok(await w.flush(10_000));
      r = (await db.pool.query(`SELECT * FROM ${T} WHERE trace_id = 't-1'`)).rows[0];
      assert.equal(r.proxy_direction, 1);
      assert.equal(r.session_id, 'sess-1');
      assert.equal(r.status_code, 200);
      assert.equal(r.duration_ms, 1500.25);
      assert.equal(r.ttfb_ms, 210.5);
      assert.equal(r.end_time.toISOString(), '2026-11-23T12:34:58.289Z');
      assert.deepEqual(r.request_headers, { 'content-type': 'application/json', 'x-api-key': 'sk-…abcd' });
      assert.equal(r.response_body.toString(), 'event: message_stop\ndata: {}\n\n');
      assert.equal(r.is_https, true);
      assert.equal(r.traffic_type, 'llm');
      assert.equal(r.server_port, 443);
    });

    test('a create waits at most holdMs for its completion: a long exchange is visible while it runs', async () => {
      const w = newWriter({ holdMs: 100 });
      w.create('long-1', { method: 'POST', url: 'http://h/v1/messages', traffic_type: 'llm' });
      w.create('short-1', { method: 'POST' });
      w.update('short-1', { request_body_size: 3 });
      w.complete('short-1', { status_code: 200 });
      let seen = 0;
      for (let i = 0; i < 100 && seen === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        seen = await count(`trace_id = 'long-1' AND end_time IS NULL`);
      }
      assert.equal(seen, 1, 'the running exchange reached the table without a flush');
      assert.ok(await w.flush(10_000));
      assert.equal(await count(`trace_id = 'short-1' AND status_code = 200 AND request_body_size = 3 AND method = 'POST'`), 1);
      const c = w.counters();
      assert.equal(c.enqueued, 4);
      assert.equal(c.written, 4, 'counters count handed-over operations, merged or not');
      assert.equal(c.queued, 0);
    });

    test('a completion that arrives before its create is applied correctly', async () => {
      const w = newWriter();
      w.complete('t-early', { status_code: 201, duration_ms: 5, response_body_size: 2 });
      assert.ok(await w.flush(10_000));
      w.create('t-early', { method: 'PUT', url: 'http://localhost/x', host: 'localhost', path: '/x', request_body_size: 7, traffic_type: 'other' });
      assert.ok(await w.flush(10_000));
      const r = (await db.pool.query(`SELECT * FROM ${T} WHERE trace_id = 't-early'`)).rows[0];
      assert.deepEqual([r.method, r.status_code, r.request_body_size, r.response_body_size, r.traffic_type], ['PUT', 201, 7, 2, 'other']);
    });

    test('WebSocket messages are written and read back: payload bytes, times, direction; before their trace too', async () => {
      const w = newWriter();
      const binary = Buffer.from([0, 1, 2, 0x80, 0xfe, 0xff, 10, 13]);
      // The messages come first: the upgrade's row is still held for its completion (no foreign key to wait for).
      w.create('ws-1', { method: 'GET', url: 'wss://api.openai.com/v1/responses', status_code: null, start_time: new Date(Date.UTC(2026, 10, 23, 12)) });
      w.wsMessage('ws-1', wsMsg(0));
      w.wsMessage('ws-1', wsMsg(1, binary, { opcode: 2 }));
      w.wsMessage('ws-1', wsMsg(2, null, { opcode: 9, size: 2 }));
      w.wsMessage('ws-1', wsMsg(3, Buffer.alloc(16, 'x'), { truncated: true, size: 70_000 }));
      w.wsMessage('ws-1', wsMsg(4, Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]), { opcode: 8, direction: 0 }));
      w.wsMessage('ws-alone', wsMsg(0));
      assert.ok(await w.flush(10_000));
      const { rows } = await db.pool.query(`SELECT * FROM ${M} WHERE trace_id = 'ws-1' ORDER BY seq`);
      assert.deepEqual(rows.map((r) => [r.seq, r.direction, r.opcode, r.size, r.truncated]), [
        [0, 0, 1, wsMsg(0).size, false],
        [1, 1, 2, 10, false],
        [2, 0, 9, 2, false],
        [3, 1, 1, 70_000, true],
        [4, 0, 8, 7, false],
      ]);
      assert.equal(rows[0].payload.toString(), '{"type":"response.output_text.delta","delta":"0"}');
      assert.deepEqual(rows[1].payload, binary, 'binary payload intact');
      assert.equal(rows[2].payload, null);
      assert.deepEqual(rows[4].payload, Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]), 'the close: code 1000, reason "bye"');
      assert.deepEqual(rows.map((r) => r.at.toISOString()), [0, 1, 2, 3, 4].map((i) => new Date(Date.UTC(2026, 10, 23, 12, 0, 0, i)).toISOString()));
      assert.equal(await countMessages(`trace_id = 'ws-alone'`), 1, 'a message whose trace never comes is kept');
      assert.equal(await count(`trace_id = 'ws-1'`), 1);
      const c = w.counters();
      assert.equal(c.enqueued, 7);
      assert.equal(c.written, 7, 'message rows count like other operations');
      assert.equal(c.failed, 0);
    });

    test('thousands of WebSocket messages, mixed with traces, arrive once each in few round trips', async () => {
      const w = newWriter({ queueSize: 100_000 });
      const conns = 20;
      const per = 150;
      for (let i = 0; i < per; i++) {
        for (let k = 0; k < conns; k++) {
          if (i === 0) w.create(`wsb-${k}`, { method: 'GET', url: 'ws://h/' });
          w.wsMessage(`wsb-${k}`, wsMsg(i, Buffer.alloc(200, k)));
        }
      }
      for (let k = 0; k < conns; k++) w.complete(`wsb-${k}`, { status_code: 101, end_time: new Date() });
      assert.ok(await w.flush(60_000));
      assert.equal(await countMessages(`trace_id LIKE 'wsb-%'`), conns * per);
      assert.equal(await countMessages(`trace_id LIKE 'wsb-%' AND octet_length(payload) = 200`), conns * per);
      assert.equal(await count(`trace_id LIKE 'wsb-%' AND status_code = 101 AND method = 'GET'`), conns);
      const c = w.counters();
      assert.equal(c.written, conns * per + 2 * conns);
      assert.ok(c.batches <= (conns * per) / 100, `${c.batches} round trips for ${conns * per} messages`);
    });

    test('text with NUL bytes and odd JSON is stored, not refused', async () => {
      const w = newWriter();
      w.create('t-nul', { method: 'GET', url: 'http://x/\u0000y', request_headers: { a: 'b\u0000c' } });
      assert.ok(await w.flush(10_000));
      const r = (await db.pool.query(`SELECT url, request_headers FROM ${T} WHERE trace_id = 't-nul'`)).rows[0];
      assert.equal(r.url, 'http://x/y');
      assert.deepEqual(r.request_headers, { a: 'bc' });
    });

    test('batches: thousands of creates and completes arrive once each, merged into few round trips', async () => {
      const w = newWriter({ queueSize: 100_000 });
      const n = 3000;
      for (let i = 0; i < n; i++) {
        w.create(`b-${i}`, { method: 'POST', url: 'http://h/v1/messages', request_body: Buffer.alloc(100, 1), traffic_type: 'llm' });
        w.complete(`b-${i}`, { status_code: 200, duration_ms: i });
      }
      assert.ok(await w.flush(60_000));
      assert.equal(await count(`trace_id LIKE 'b-%' AND status_code = 200 AND method = 'POST'`), n);
      const c = w.counters();
      assert.equal(c.written, 2 * n);
      assert.ok(c.batches <= (2 * n) / 100, `${c.batches} round trips for ${2 * n} operations`);
      assert.equal(c.spilled, 0);
    });

    test('a full queue spills to disk and everything is replayed, nothing dropped', async () => {
      const w = newWriter({ queueSize: 10, batchSize: 50 });
      const n = 1000;
      for (let i = 0; i < n; i++) {
        w.create(`q-${i}`, { method: 'GET', url: `http://h/${i}`, traffic_type: 'web' });
        w.complete(`q-${i}`, { status_code: 204 });
      }
      assert.ok(w.counters().spilled > 0, 'the queue overflowed into the spill');
      assert.ok(await w.flush(60_000));
      assert.equal(await count(`trace_id LIKE 'q-%' AND status_code = 204 AND method = 'GET'`), n);
      const c = w.counters();
      assert.equal(c.dropped, 0);
      assert.equal(c.failed, 0);
      assert.ok(c.replayed > 0);
      assert.equal(c.spillPending, 0);
    });

    test('a completion is in the crash journal when responseEnded returns, whether the queue or the spill takes it', async () => {
      const journaled = (dir: string, id: string) => readdirSync(dir).flatMap((f) => decodeFrames(readFileSync(join(dir, f)))).some((op) => op.id === id && op.fields.status_code === 200);
      const queued = tflow({ host: 'example.com', path: '/', response: { status: 200, body: '{"ok":true}' } }).flow; // not an LLM call: nothing waits for usage rows
      const w = newWriter({ journalDir: join(env.dir, 'journal-queued') }, { schemaChecked: true });
      w.requestStarted(queued);
      w.responseEnded(queued);
      assert.ok(journaled(join(env.dir, 'journal-queued'), queued.id), 'in the journal before the call returned, not a turn later');
      // Spilling (the database taken for away at start): the spill file gathers a turn's operations; the journal has them at once.
      const spilled = tflow({ host: 'example.com', path: '/', response: { status: 200, body: '{"ok":true}' } }).flow;
      const s = newWriter({ journalDir: join(env.dir, 'journal-spilled') }, { spilling: true }); // the replay checks the schema first
      assert.equal(s.counters().state, 'spilling');
      s.requestStarted(spilled);
      s.responseEnded(spilled);
      assert.ok(journaled(join(env.dir, 'journal-spilled'), spilled.id), 'in the journal while the spill file waits for the end of the turn');
      assert.ok(await w.flush(10_000));
      assert.ok(await s.flush(10_000));
      assert.equal(await count(`trace_id IN ('${queued.id}', '${spilled.id}') AND status_code = 200`), 2);
      assert.equal(journaled(join(env.dir, 'journal-spilled'), spilled.id), false, 'forgotten once written');
    });

    test('a queue that overflows once, with the database healthy, has its spill replayed at once', async () => {
      // As a daemon starts it: migrated and checked just before, so a replay goes straight to the spill.
      const w = newWriter({ queueSize: 10, batchSize: 50 }, { schemaChecked: true });
      const n = 20;
      // One burst: the 11th operation overflows the queue; nothing follows that would start another spill.
      for (let i = 0; i < n; i++) {
        w.create(`once-${i}`, { method: 'GET', url: `http://h/${i}` });
        w.complete(`once-${i}`, { status_code: 200 });
      }
      assert.ok(w.counters().spilled > 0, 'the queue overflowed into the spill');
      const deadline = Date.now() + 15_000;
      while ((w.counters().spillPending > 0 || (await count(`trace_id LIKE 'once-%' AND status_code = 200`)) < n) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.equal(await count(`trace_id LIKE 'once-%' AND status_code = 200`), n, 'every spilled trace reached the table without another spill or a restart');
      assert.equal(w.counters().spillPending, 0);
      assert.equal(w.counters().state, 'normal');
    });

    test('closing while an overflow replays, with the database healthy: close writes the spill before it returns', async () => {
      const w = newWriter({ queueSize: 10, batchSize: 50 }, { schemaChecked: true });
      const n = 2000;
      for (let i = 0; i < n; i++) {
        w.create(`closing-${i}`, { method: 'GET', url: `http://h/${i}` });
        w.complete(`closing-${i}`, { status_code: 200 });
      }
      assert.ok(w.counters().spilled > 0, 'the queue overflowed into the spill');
      assert.equal(w.counters().state, 'spilling');
      const c = await w.close(30_000);
      assert.equal(c.spillPending, 0, 'nothing left for a next start');
      assert.equal(c.dropped, 0);
      assert.equal(await count(`trace_id LIKE 'closing-%' AND status_code = 200`), n);
    });

    test('a spill that repeats rows already written (a batch cut off after its commit) replays them without loss', async () => {
      const w = newWriter();
      for (let i = 0; i < 5; i++) w.create(`dup-${i}`, { method: 'GET', url: `http://h/${i}` });
      assert.ok(await w.flush(10_000));
      // A spill segment left by a process that is gone: the same creates again, their completions, and new rows.
      const lines: string[] = [];
      for (let i = 0; i < 5; i++) lines.push(encodeOp(makeOp('create', `dup-${i}`, { method: 'GET', url: `http://h/${i}` })));
      for (let i = 0; i < 5; i++) lines.push(encodeOp(makeOp('complete', `dup-${i}`, { status_code: 201 })));
      for (let i = 0; i < 5; i++) lines.push(encodeOp(makeOp('create', `fresh-${i}`, { method: 'PUT' })));
      // Messages too: a connection's messages twice over (the second time in one batch with the first), and new ones.
      await db.pool.query(`INSERT INTO ${M} (trace_id, seq, direction, at, opcode, size, payload) VALUES ('dup-0', 0, 0, '2026-11-23 12:00:00', 1, 5, '\\x6669727374')`);
      for (const pass of [0, 1]) for (let i = 0; i < 3; i++) lines.push(encodeOp(makeWsOp('dup-0', wsMsg(i, Buffer.from(pass === 0 ? 'first' : 'again')))));
      const wsLine = lines.at(-1)!;
      assert.match(wsLine, /^\{"k":"ws","id":"dup-0","f":\{"seq":2,"direction":0,"at":"2026-11-23T12:00:00.002Z",/, 'a message is a line of its own kind');
      mkdirSync(paths.spillDir(env.dir), { recursive: true });
      writeFileSync(join(paths.spillDir(env.dir), `999999999-${Date.now()}-0.jsonl`), lines.join('\n') + '\n');
      const again = newWriter();
      assert.ok(await again.flush(20_000));
      assert.equal(await count(`trace_id LIKE 'dup-%' AND status_code = 201 AND method = 'GET'`), 5);
      assert.equal(await count(`trace_id LIKE 'fresh-%' AND method = 'PUT'`), 5);
      const { rows } = await db.pool.query(`SELECT seq, convert_from(payload, 'UTF8') AS p FROM ${M} WHERE trace_id = 'dup-0' ORDER BY seq`);
      assert.deepEqual(rows.map((r) => [r.seq, r.p]), [[0, 'first'], [1, 'first'], [2, 'first']], 'each message once; a row already there is kept');
      const c = again.counters();
      assert.equal(c.replayed, 21);
      assert.equal(c.failed, 0);
      assert.equal(c.spillPending, 0);
    });

    test('a row the database refuses is set aside in rejected.jsonl; the rest of its batch is written', async () => {
      const w = newWriter();
      w.create('bad-1', { method: 'GET', server_port: 2 ** 40 });
      for (let i = 0; i < 5; i++) w.create(`good-${i}`, { method: 'GET' });
      assert.ok(await w.flush(10_000));
      assert.equal(await count(`trace_id LIKE 'good-%'`), 5);
      assert.equal(await count(`trace_id = 'bad-1'`), 0);
      assert.equal(w.counters().failed, 1);
      const rejected = readFileSync(paths.rejectedFile(env.dir), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(rejected.at(-1).op.id, 'bad-1');
      assert.match(rejected.at(-1).error, /out of range/);
    });

    test('a WebSocket message the database refuses is set aside in rejected.jsonl; the rest of its batch is written', async () => {
      const w = newWriter();
      w.create('wsbad', { method: 'GET' });
      for (let i = 0; i < 4; i++) w.wsMessage('wsbad', wsMsg(i, Buffer.from([i]), i === 2 ? { size: 2 ** 40 } : {}));
      assert.ok(await w.flush(10_000));
      assert.deepEqual((await db.pool.query(`SELECT seq FROM ${M} WHERE trace_id = 'wsbad' ORDER BY seq`)).rows.map((r) => r.seq), [0, 1, 3]);
      assert.equal(await count(`trace_id = 'wsbad'`), 1);
      assert.equal(w.counters().failed, 1);
      const last = JSON.parse(readFileSync(paths.rejectedFile(env.dir), 'utf8').trim().split('\n').at(-1)!);
      assert.equal(last.op.k, 'ws');
      assert.equal(last.op.id, 'wsbad');
      assert.equal(last.op.f.seq, 2);
      assert.equal(last.op.f.payload, Buffer.from([2]).toString('base64'));
      assert.match(last.error, /out of range/);
    });

    test('prune deletes old traces only; retention does it on its own', async () => {
      await db.pool.query(`DELETE FROM ${T}`);
      const w = newWriter();
      seedSpecRows(w);
      assert.ok(await w.flush(10_000));
      await db.pool.query(AGE_SQL);
      await db.pool.query(`DELETE FROM ${M}`);
      // Messages of an old trace (one of them recent: the connection stayed open), of a kept one, and an old one
      // whose trace never arrived.
      const now = Date.now();
      for (let i = 0; i < 3; i++) w.wsMessage(OLD_IDS[0]!, wsMsg(i, null, { at: new Date(now - (i === 2 ? 0 : 40 * 86400_000)) }));
      w.wsMessage('f1-1', wsMsg(0, null, { at: new Date(now) }));
      w.wsMessage('orphan', wsMsg(0, null, { at: new Date(now - 40 * 86400_000) }));
      w.wsMessage('orphan-new', wsMsg(0, null, { at: new Date(now) }));
      assert.ok(await w.flush(10_000));
      assert.deepEqual(await pruneOlderThan(db, 30 * 86400), { traces: OLD_IDS.length, messages: 4 });
      assert.equal(await count(), SEEDS.length - OLD_IDS.length);
      assert.deepEqual((await db.pool.query(`SELECT trace_id FROM ${M} ORDER BY trace_id`)).rows.map((r) => r.trace_id), ['f1-1', 'orphan-new']);
      w.wsMessage('r0-1', wsMsg(0, null, { at: new Date(now) }));
      assert.ok(await w.flush(10_000));
      await db.pool.query(`UPDATE ${T} SET created_at = NOW() - INTERVAL '8 days' WHERE trace_id = 'r0-1'`);
      const stop = startRetention(db, 7, silentLogger, 60_000);
      try {
        for (let i = 0; i < 100 && (await count(`trace_id = 'r0-1'`)) > 0; i++) await new Promise((r) => setTimeout(r, 20));
      } finally {
        stop();
      }
      assert.equal(await count(`trace_id = 'r0-1'`), 0);
      assert.equal(await count(), SEEDS.length - OLD_IDS.length - 1);
      assert.equal(await countMessages(`trace_id = 'r0-1'`), 0, 'retention takes the messages with their trace');
    });

    test('close() drains the queue; what is handed over after close waits in the spill for the next writer', async () => {
      const w = newWriter();
      for (let i = 0; i < 50; i++) w.create(`c-${i}`, { method: 'GET' });
      for (let i = 0; i < 50; i++) w.wsMessage('c-0', wsMsg(i));
      const c = await w.close(10_000);
      assert.equal(c.queued, 0);
      assert.equal(await count(`trace_id LIKE 'c-%'`), 50);
      assert.equal(await countMessages(`trace_id = 'c-0'`), 50);
      w.create('after-close', { method: 'GET' });
      w.wsMessage('after-close', wsMsg(0));
      assert.equal(w.counters().spilled, 2);
      assert.ok(existsSync(paths.spillDir(env.dir)));
    });
  });
}
