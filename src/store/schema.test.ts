import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { createTempDatabase, serverSkip } from '../../test/helpers/pg.js';
import { LATEST_VERSION } from './migrations.js';
import { prepareSchema } from './schema.js';

test('prepareSchema migrates once and keeps COPY only where it was wanted', { skip: await serverSkip() }, async () => {
  const db = await createTempDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  try {
    const client = await pool.connect();
    try {
      const first = await prepareSchema(client, true);
      assert.ok(first.migrated.applied.length > 0);
      assert.equal(first.migrated.version, LATEST_VERSION);
      assert.equal(first.copy, true, 'a PostgreSQL server carries COPY');
      const again = await prepareSchema(client, false);
      assert.deepEqual(again.migrated.applied, []);
      assert.equal(again.copy, false, 'not wanted: not asked');
      const tables = await client.query(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename IN ('CCProxy_HttpTraces', 'CCProxy_WebSocketMessages')`);
      assert.equal(tables.rows[0].n, 2);
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
    await db.drop();
  }
});
