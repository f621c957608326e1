// Versioned, additive schema changes. Applied on first use and by `ccproxy db push`; a second run is a no-op.
// A table created by the original tool's `prisma db push` passes through them unchanged but for added columns.
import type { PoolClient } from 'pg';
import { UserError } from '../errors.js';
import { COLUMNS, INDEXES, SPEC_COLUMNS, TABLE, TABLE_NAME, indexName, type Column } from './table.js';
import { TIMINGS_COLUMNS, TIMINGS_TABLE, TIMINGS_TABLE_NAME, TIMINGS_TABLE_SQL } from './timings-table.js';
import { OLDER_EXTRACTION_INDEX_SQL, USAGE_BILLED_SQL, USAGE_CALL_SEQ_SQL, USAGE_COLUMNS, USAGE_TABLE, USAGE_TABLE_NAME, USAGE_TABLE_SQL } from './usage-table.js';
import { WS_COLUMNS, WS_TABLE, WS_TABLE_NAME, WS_TABLE_SQL } from './ws-table.js';

interface Migration {
  version: number;
  name: string;
  sql: string;
}

const addColumns = (cols: readonly Column[]) =>
  cols.map((c) => `ALTER TABLE ${TABLE} ADD COLUMN IF NOT EXISTS ${c.name} ${c.ddl};`).join('\n');

/**
 * The extraction whose partial index of older rows the latest extractor migration made (a test checks it is
 * EXTRACTOR_VERSION): written out, since a migration keeps the SQL of its day whatever the constant says later.
 */
export const INDEXED_EXTRACTION = 2;

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'spec table CCProxy_HttpTraces with its eight indexes',
    sql: `
CREATE TABLE IF NOT EXISTS ${TABLE} (
  ${SPEC_COLUMNS.map((c) => `${c.name} ${c.ddl}`).join(',\n  ')},
  CONSTRAINT "${TABLE_NAME}_pkey" PRIMARY KEY (trace_id)
);
${addColumns(SPEC_COLUMNS.filter((c) => c.name !== 'trace_id'))}
${INDEXES.map((cols) => `CREATE INDEX IF NOT EXISTS "${indexName(cols)}" ON ${TABLE} (${cols.join(', ')});`).join('\n')}
`,
  },
  {
    version: 2,
    name: 'capture extras: ttfb_ms, request_body_truncated, response_body_truncated',
    sql: addColumns(COLUMNS.filter((c) => c.extra && (c.migration ?? 2) === 2)),
  },
  {
    version: 3,
    name: 'bodies compressed with lz4 where the server has it',
    // Bodies over about 2 KB are compressed as they are stored; lz4 costs the server a fraction of the default
    // pglz's time for a similar ratio. Only new values are affected (nothing is rewritten); a server without
    // lz4 (built without it, before PostgreSQL 14) keeps its default.
    sql: `
DO $$
BEGIN
  EXECUTE 'ALTER TABLE ${TABLE} ALTER COLUMN request_body SET COMPRESSION lz4, ALTER COLUMN response_body SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'bodies keep the default compression: %', SQLERRM;
END $$;
`,
  },
  {
    version: 4,
    name: 'WebSocket messages table CCProxy_WebSocketMessages',
    sql: WS_TABLE_SQL,
  },
  {
    version: 5,
    name: 'original_url: the URL a client asked for when map_remote sent the request elsewhere',
    sql: addColumns(COLUMNS.filter((c) => c.migration === 5)),
  },
  {
    version: 6,
    name: 'trace timings table CCProxy_TraceTimings: link to the reverse trace, connection and chunk times',
    sql: TIMINGS_TABLE_SQL,
  },
  {
    version: 7,
    name: 'LLM usage table CCProxy_LlmUsage and the view of billed calls CCProxy_LlmCalls',
    sql: USAGE_TABLE_SQL,
  },
  {
    version: 8,
    name: 'LLM usage: client_trace_id and billed on each row, the reports index of billed calls, the view on billed',
    sql: USAGE_BILLED_SQL,
  },
  {
    version: 9,
    name: 'LLM usage: call_seq, so one trace holds several calls (a Responses WebSocket connection, one per turn)',
    sql: USAGE_CALL_SEQ_SQL,
  },
  {
    version: 10,
    name: 'LLM usage: a partial index of rows an older extraction wrote, so a start finds them without a scan',
    sql: OLDER_EXTRACTION_INDEX_SQL(2),
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export class SchemaClashError extends UserError {}

export interface MigrationResult {
  applied: { version: number; name: string }[];
  version: number;
}

/** Applies what is missing under an advisory lock, so concurrent starts against one server do not race. */
export async function migrate(client: PoolClient): Promise<MigrationResult> {
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('ccproxy.migrations'))`);
    await client.query(`CREATE TABLE IF NOT EXISTS "CCProxy_Migrations" (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP)`);
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM "CCProxy_Migrations"')).rows.map((r) => r.version));
    await checkClashes(client);
    const applied: MigrationResult['applied'] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO "CCProxy_Migrations" (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push({ version: m.version, name: m.name });
    }
    if (applied.length > 0) await checkClashes(client);
    await client.query('COMMIT');
    return { applied, version: LATEST_VERSION };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** Our tables, each with the columns the schema check compares. */
const CHECKED: { table: string; name: string; columns: readonly Column[] }[] = [
  { table: TABLE, name: TABLE_NAME, columns: COLUMNS },
  { table: WS_TABLE, name: WS_TABLE_NAME, columns: WS_COLUMNS },
  { table: TIMINGS_TABLE, name: TIMINGS_TABLE_NAME, columns: TIMINGS_COLUMNS },
  { table: USAGE_TABLE, name: USAGE_TABLE_NAME, columns: USAGE_COLUMNS },
];

/** A column of ours that exists with another type would silently break writes and the spec's queries: refuse. */
async function checkClashes(client: PoolClient): Promise<void> {
  for (const t of CHECKED) await checkTable(client, t);
}

async function checkTable(client: PoolClient, { table, name, columns }: (typeof CHECKED)[number]): Promise<void> {
  const { rows } = await client.query<{ column_name: string; data_type: string }>(
    `SELECT column_name, data_type FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1`,
    [name],
  );
  if (rows.length === 0) return;
  const have = new Map(rows.map((r) => [r.column_name, r.data_type]));
  const clashes = columns.filter((c) => have.has(c.name) && have.get(c.name) !== c.type).map(
    (c) => `${c.name} is ${have.get(c.name)}, expected ${c.type}`,
  );
  if (clashes.length > 0) {
    throw new SchemaClashError(
      `table ${table} exists in schema "${await currentSchema(client)}" with columns that clash with the trace schema:\n  ${clashes.join('\n  ')}\n` +
        `ccproxy only adds columns and never changes an existing one; rename or drop that table, or point ccproxy at another database.`,
    );
  }
}

async function currentSchema(client: PoolClient): Promise<string> {
  return (await client.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s ?? 'public';
}
