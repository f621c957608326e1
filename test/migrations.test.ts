// Tables that already exist: one made by the original tool's `prisma db push` is accepted and only added to;
// one whose columns clash with the spec is refused with a message naming each clash.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDatabase } from '../src/store/database.js';
import { LATEST_VERSION } from '../src/store/migrations.js';
import { COLUMNS } from '../src/store/table.js';
import { BACKENDS } from './helpers/pg.js';

/** What Prisma generates for the original model (before proxy_direction and session_id were added). */
const PRISMA_TABLE = `
CREATE TABLE "CCProxy_HttpTraces" (
    "trace_id" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "request_headers" JSONB NOT NULL DEFAULT '{}',
    "request_body" BYTEA,
    "request_body_size" INTEGER NOT NULL DEFAULT 0,
    "request_content_type" TEXT,
    "status_code" INTEGER,
    "response_headers" JSONB NOT NULL DEFAULT '{}',
    "response_body" BYTEA,
    "response_body_size" INTEGER NOT NULL DEFAULT 0,
    "response_content_type" TEXT,
    "start_time" TIMESTAMP(3) NOT NULL,
    "end_time" TIMESTAMP(3),
    "duration_ms" DOUBLE PRECISION,
    "client_ip" TEXT,
    "server_ip" TEXT,
    "server_port" INTEGER,
    "is_https" BOOLEAN NOT NULL DEFAULT false,
    "error_message" TEXT,
    "error_type" TEXT,
    "traffic_type" TEXT NOT NULL DEFAULT 'unknown',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "CCProxy_HttpTraces_pkey" PRIMARY KEY ("trace_id")
);
CREATE INDEX "CCProxy_HttpTraces_start_time_idx" ON "CCProxy_HttpTraces"("start_time");
CREATE INDEX "CCProxy_HttpTraces_host_idx" ON "CCProxy_HttpTraces"("host");
INSERT INTO "CCProxy_HttpTraces" (trace_id, method, url, host, path, start_time, status_code)
VALUES ('from-python', 'POST', 'https://api.anthropic.com/v1/messages', 'api.anthropic.com', '/v1/messages', '2026-01-01 00:00:00', 200);
`;

for (const backend of BACKENDS) {
  describe(`existing tables (${backend.name})`, { skip: await backend.skip() }, () => {
    let env: Awaited<ReturnType<typeof backend.setup>>;
    before(async () => {
      env = await backend.setup();
    });
    after(async () => env?.cleanup());

    test('a table made by prisma db push is upgraded additively and its rows kept', async () => {
      const raw = await openDatabase(env.loaded, { migrate: false });
      await raw.pool.query(PRISMA_TABLE);
      const before = await columns(raw);
      await raw.close();

      const db = await openDatabase(env.loaded);
      try {
        assert.deepEqual(db.migrated!.applied.map((a) => a.version), Array.from({ length: LATEST_VERSION }, (_, i) => i + 1));
        const after = await columns(db);
        for (const [name, def] of before) assert.deepEqual(after.get(name), def, `${name} unchanged`);
        for (const added of ['proxy_direction', 'session_id', 'ttfb_ms', 'request_body_truncated', 'response_body_truncated', 'original_url']) {
          assert.ok(after.has(added) && !before.has(added), `${added} added`);
        }
        const r = (await db.pool.query(`SELECT * FROM "CCProxy_HttpTraces" WHERE trace_id = 'from-python'`)).rows[0];
        assert.equal(r.status_code, 200);
        assert.equal(r.proxy_direction, 0);
        const idx = (await db.pool.query(`SELECT count(*) AS n FROM pg_indexes WHERE tablename = 'CCProxy_HttpTraces' AND indexname <> 'CCProxy_HttpTraces_pkey'`)).rows[0];
        assert.equal(Number(idx.n), 8, 'the two existing indexes reused, six added');
        // Bodies are compressed with lz4 where the server has it, and keep the default where it has not.
        const client = await db.pool.connect();
        const lz4 = await client.query(`SET default_toast_compression = 'lz4'`).then(() => true, () => false);
        await client.query('RESET default_toast_compression').catch(() => {});
        client.release();
        const comp = await db.pool.query(`SELECT attname, attcompression FROM pg_attribute WHERE attrelid = '"CCProxy_HttpTraces"'::regclass AND attname IN ('request_body', 'response_body')`);
        assert.equal(comp.rows.length, 2);
        for (const r of comp.rows) assert.equal(r.attcompression, lz4 ? 'l' : '', `${r.attname} compression`);
      } finally {
        await db.close();
      }
    });

    test('migration 4 on a database at version 3 adds the WebSocket messages table and keeps the traces', async () => {
      // A database as version 3 left it: migrations 1 to 3 recorded, no messages table, no later columns.
      const raw = await openDatabase(env.loaded, { migrate: false });
      const later = COLUMNS.filter((c) => (c.migration ?? 0) > 3).map((c) => `DROP COLUMN ${c.name}`);
      await raw.pool.query(`DROP TABLE IF EXISTS "CCProxy_WebSocketMessages"; DELETE FROM "CCProxy_Migrations" WHERE version >= 4`);
      if (later.length > 0) await raw.pool.query(`ALTER TABLE "CCProxy_HttpTraces" ${later.join(', ')}`);
      assert.equal((await raw.pool.query(`SELECT max(version) AS v FROM "CCProxy_Migrations"`)).rows[0].v, 3);
      await raw.close();

      const db = await openDatabase(env.loaded);
      try {
        assert.deepEqual(db.migrated!.applied.map((a) => a.version), Array.from({ length: LATEST_VERSION - 3 }, (_, i) => i + 4));
        assert.equal(db.migrated!.applied[0]?.name, 'WebSocket messages table CCProxy_WebSocketMessages');
        assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM "CCProxy_HttpTraces" WHERE trace_id = 'from-python'`)).rows[0].n, 1);
        const cols = await db.pool.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'CCProxy_WebSocketMessages' ORDER BY ordinal_position`);
        assert.deepEqual(cols.rows.map((r) => r.column_name), ['trace_id', 'seq', 'direction', 'at', 'opcode', 'size', 'payload', 'truncated']);
        const idx = await db.pool.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'CCProxy_WebSocketMessages' ORDER BY indexname`);
        assert.deepEqual(idx.rows.map((r) => r.indexname), ['CCProxy_WebSocketMessages_at_idx', 'CCProxy_WebSocketMessages_pkey']);
      } finally {
        await db.close();
      }
    });

    test('a messages table whose columns clash is refused, naming each clash', async () => {
      const raw = await openDatabase(env.loaded, { migrate: false });
      await raw.pool.query(`DROP TABLE "CCProxy_WebSocketMessages";
        CREATE TABLE "CCProxy_WebSocketMessages" (trace_id TEXT, seq TEXT, at TIMESTAMPTZ, payload TEXT)`);
      await raw.close();
      await assert.rejects(openDatabase(env.loaded), (err: Error) => {
        assert.match(err.message, /table "CCProxy_WebSocketMessages" exists/);
        assert.match(err.message, /seq is text, expected integer/);
        assert.match(err.message, /at is timestamp with time zone, expected timestamp without time zone/);
        assert.match(err.message, /payload is text, expected bytea/);
        return true;
      });
      const fix = await openDatabase(env.loaded, { migrate: false });
      await fix.pool.query(`DROP TABLE "CCProxy_WebSocketMessages"`);
      await fix.close();
    });

    test('a table whose columns clash is refused, naming each clash', async () => {
      const raw = await openDatabase(env.loaded, { migrate: false });
      await raw.pool.query(`DROP VIEW "CCProxy_LlmCalls"; DROP TABLE "CCProxy_HttpTraces"; DROP TABLE "CCProxy_Migrations";
        CREATE TABLE "CCProxy_HttpTraces" (trace_id TEXT PRIMARY KEY, status_code TEXT, duration_ms INTEGER)`);
      await raw.close();
      await assert.rejects(openDatabase(env.loaded), (err: Error) => {
        assert.match(err.message, /status_code is text, expected integer/);
        assert.match(err.message, /duration_ms is integer, expected double precision/);
        assert.match(err.message, /never changes an existing one/);
        assert.match(err.message, backend.name === 'server' ? /\n  database: postgresql:\/\/.* \(from CCPROXY_DATABASE_URL\)$/ : /\n  database: embedded database in /);
        return true;
      });
      const check = await openDatabase(env.loaded, { migrate: false });
      const t = (await check.pool.query(`SELECT to_regclass('"CCProxy_Migrations"') AS m`)).rows[0];
      await check.close();
      assert.equal(t.m, null, 'nothing recorded: the failed migration was rolled back');
    });
  });
}

async function columns(db: { pool: import('pg').Pool }) {
  const { rows } = await db.pool.query(
    `SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_name = 'CCProxy_HttpTraces'`,
  );
  return new Map(rows.map((r) => [r.column_name as string, r]));
}
