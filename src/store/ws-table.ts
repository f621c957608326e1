// The companion table "CCProxy_WebSocketMessages": one row per message of an upgraded (WebSocket) connection,
// keyed by the upgrade's trace_id and the message's seq. Like table.ts, one list drives the DDL (migration 4),
// the writer's inserts and COPY, and the schema check. Rows are never updated: a message is written once, and a
// repeat (a replay of a batch that did commit) is ignored, so replay stays idempotent.
import type { Op, Statement, WireValue } from './ops.js';
import { col, isoText, type Column, type ColumnType } from './table.js';

export const WS_TABLE = '"CCProxy_WebSocketMessages"';
export const WS_TABLE_NAME = 'CCProxy_WebSocketMessages';

export const WS_COLUMNS: readonly Column[] = [
  col('trace_id', 'text', 'TEXT NOT NULL'),
  col('seq', 'integer', 'INTEGER NOT NULL'),
  col('direction', 'integer', 'INTEGER NOT NULL'),
  col('at', 'timestamp without time zone', 'TIMESTAMP(3) NOT NULL'),
  col('opcode', 'integer', 'INTEGER NOT NULL'),
  col('size', 'integer', 'INTEGER NOT NULL'),
  col('payload', 'bytea', 'BYTEA'),
  col('truncated', 'boolean', 'BOOLEAN NOT NULL DEFAULT false', { hasDefault: true }),
];

export const WS_COLUMN_BY_NAME = new Map(WS_COLUMNS.map((c) => [c.name, c]));
export const WS_TYPES: ReadonlyMap<string, ColumnType> = new Map(WS_COLUMNS.map((c) => [c.name, c.type]));
/** The columns a message operation carries: every one but trace_id (the operation's id), in table order. */
export const WS_VALUE_COLUMNS = WS_COLUMNS.filter((c) => c.name !== 'trace_id').map((c) => c.name);

/** The primary key covers a connection's messages in order; `at` serves retention. */
export const WS_KEY = ['trace_id', 'seq'];
export const WS_INDEXES: readonly string[][] = [['at']];
export const wsIndexName = (cols: string[]) => `${WS_TABLE_NAME}_${cols.join('_')}_idx`;

/** Migration 4: the table, its key and indexes; payloads compressed with lz4 where the server has it (as bodies). */
export const WS_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS ${WS_TABLE} (
  ${WS_COLUMNS.map((c) => `${c.name} ${c.ddl}`).join(',\n  ')},
  CONSTRAINT "${WS_TABLE_NAME}_pkey" PRIMARY KEY (${WS_KEY.join(', ')})
);
${WS_INDEXES.map((cols) => `CREATE INDEX IF NOT EXISTS "${wsIndexName(cols)}" ON ${WS_TABLE} (${cols.join(', ')});`).join('\n')}
DO $$
BEGIN
  EXECUTE 'ALTER TABLE ${WS_TABLE} ALTER COLUMN payload SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'payloads keep the default compression: %', SQLERRM;
END $$;
`;

/** Statement texts by row count: batches repeat the same few sizes. */
const TEXT_CACHE = new Map<number, string>();
const TEXT_CACHE_MAX = 256;

/** Multi-row inserts of message operations, at most `maxRows` rows each (PostgreSQL takes 65,535 parameters). */
export function buildWsInserts(rows: readonly Op[], maxRows = 1000): Statement[] {
  const out: Statement[] = [];
  for (let i = 0; i < rows.length; i += maxRows) {
    const group = rows.slice(i, i + maxRows);
    const values: WireValue[] = [];
    for (const row of group) {
      values.push(row.id);
      for (const name of WS_VALUE_COLUMNS) {
        const v = row.fields[name] ?? null;
        values.push(name === 'at' ? isoText(v) : v);
      }
    }
    out.push({ text: insertText(group.length), values, rows: group.length });
  }
  return out;
}

function insertText(rows: number): string {
  let text = TEXT_CACHE.get(rows);
  if (text !== undefined) return text;
  const width = WS_COLUMNS.length;
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    const ph: string[] = [];
    for (let i = 1; i <= width; i++) ph.push(`$${r * width + i}`);
    tuples.push(`(${ph.join(',')})`);
  }
  text = `INSERT INTO ${WS_TABLE} (${WS_COLUMNS.map((c) => c.name).join(', ')}) VALUES ${tuples.join(',')} ON CONFLICT (${WS_KEY.join(', ')}) DO NOTHING`;
  if (TEXT_CACHE.size >= TEXT_CACHE_MAX) TEXT_CACHE.clear();
  TEXT_CACHE.set(rows, text);
  return text;
}
