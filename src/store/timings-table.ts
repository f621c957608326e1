// The companion table "CCProxy_TraceTimings": what the read side needs from the hot path that the spec's table
// has no column for — the reverse trace a forward one came from, a new upstream connection's DNS/connect/TLS
// times, and when each chunk of a streamed response arrived. One row per trace, written once after its response
// ended, only when it says something (a link, a new connection, a response in more than one chunk or an event stream); a repeat (a
// replay of a batch that did commit) is ignored. The spec's table is untouched.
import type { Op, Statement, WireValue } from './ops.js';
import { col, type Column, type ColumnType } from './table.js';

export const TIMINGS_TABLE = '"CCProxy_TraceTimings"';
export const TIMINGS_TABLE_NAME = 'CCProxy_TraceTimings';

export const TIMINGS_COLUMNS: readonly Column[] = [
  col('trace_id', 'text', 'TEXT NOT NULL'),
  col('parent_trace_id', 'text', 'TEXT'),
  col('dns_ms', 'double precision', 'DOUBLE PRECISION'),
  col('connect_ms', 'double precision', 'DOUBLE PRECISION'),
  col('tls_ms', 'double precision', 'DOUBLE PRECISION'),
  col('request_sent_ms', 'double precision', 'DOUBLE PRECISION'),
  col('chunk_ms', 'jsonb', 'JSONB'),
  col('chunk_count', 'integer', 'INTEGER'),
];

export const TIMINGS_TYPES: ReadonlyMap<string, ColumnType> = new Map(TIMINGS_COLUMNS.map((c) => [c.name, c.type]));
const VALUE_COLUMNS = TIMINGS_COLUMNS.filter((c) => c.name !== 'trace_id').map((c) => c.name);

/** The timings row's columns for a SELECT joining it as `alias` (what rowToFlow reads of it): every one but the key. */
export const timingColumns = (alias: string): string => VALUE_COLUMNS.map((c) => `${alias}.${c}`).join(', ');

/** Migration 6: the table, keyed by trace_id, with the link indexed (forward rows of one reverse row). */
export const TIMINGS_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS ${TIMINGS_TABLE} (
  ${TIMINGS_COLUMNS.map((c) => `${c.name} ${c.ddl}`).join(',\n  ')},
  CONSTRAINT "${TIMINGS_TABLE_NAME}_pkey" PRIMARY KEY (trace_id)
);
CREATE INDEX IF NOT EXISTS "${TIMINGS_TABLE_NAME}_parent_trace_id_idx" ON ${TIMINGS_TABLE} (parent_trace_id);
`;

/** Multi-row inserts of timing operations, at most `maxRows` rows each. */
export function buildTimingInserts(rows: readonly Op[], maxRows = 1000): Statement[] {
  const out: Statement[] = [];
  const width = TIMINGS_COLUMNS.length;
  for (let i = 0; i < rows.length; i += maxRows) {
    const group = rows.slice(i, i + maxRows);
    const values: WireValue[] = [];
    const tuples: string[] = [];
    group.forEach((row, r) => {
      values.push(row.id);
      for (const name of VALUE_COLUMNS) values.push(row.fields[name] ?? null);
      tuples.push(`(${TIMINGS_COLUMNS.map((_, c) => `$${r * width + c + 1}`).join(',')})`);
    });
    out.push({ text: `INSERT INTO ${TIMINGS_TABLE} (${TIMINGS_COLUMNS.map((c) => c.name).join(', ')}) VALUES ${tuples.join(',')} ON CONFLICT (trace_id) DO NOTHING`, values, rows: group.length });
  }
  return out;
}
