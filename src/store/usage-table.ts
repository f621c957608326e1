// The companion table "CCProxy_LlmUsage": one row per captured LLM API call (src/usage/ reads it from the wire),
// keyed by the trace it came from, and the view "CCProxy_LlmCalls" that joins it to its trace and keeps one row per
// billed call, so `SELECT session_id, sum(cost_usd) FROM "CCProxy_LlmCalls" GROUP BY 1` does not count a call
// twice. The spec's table is untouched.
import type { Op, Statement, WireValue } from './ops.js';
import { col, isoText, TABLE, type Column, type ColumnType } from './table.js';
import { TIMINGS_TABLE } from './timings-table.js';

export const USAGE_TABLE = '"CCProxy_LlmUsage"';
export const USAGE_TABLE_NAME = 'CCProxy_LlmUsage';
export const CALLS_VIEW = '"CCProxy_LlmCalls"';
export const CALLS_VIEW_NAME = 'CCProxy_LlmCalls';

/**
 * Which extraction wrote a row: `ccproxy db backfill` redoes rows written by an older one. 2: a call that failed before any
 * token was counted costs 0 (not billed), no longer NULL.
 */
export const EXTRACTOR_VERSION = 2;

/**
 * The rows an older extraction wrote, as `backfillDue` asks for them: the literal matches the predicate of the
 * partial index the latest extractor migration creates (OLDER_EXTRACTION_INDEX_SQL), so the question is a probe of
 * an index that holds only such rows (empty once they are redone), never a scan of the table at every start. A new
 * EXTRACTOR_VERSION needs a migration with OLDER_EXTRACTION_INDEX_SQL of that version (a test checks).
 */
export const OLDER_EXTRACTION = `extractor < ${EXTRACTOR_VERSION}`;

/** The partial index of rows written by an extraction older than `version` (the index for the version before it dropped). */
export const OLDER_EXTRACTION_INDEX_SQL = (version: number) => `
DROP INDEX IF EXISTS "${USAGE_TABLE_NAME}_extractor_lt_${version - 1}_idx";
CREATE INDEX IF NOT EXISTS "${USAGE_TABLE_NAME}_extractor_lt_${version}_idx" ON ${USAGE_TABLE} (extractor) WHERE extractor < ${version};
`;

export const USAGE_COLUMNS: readonly Column[] = [
  col('trace_id', 'text', 'TEXT NOT NULL'),
  // Copied from the trace, so per-session, per-day and per-model reports need no join.
  col('proxy_direction', 'integer', 'INTEGER NOT NULL'),
  col('session_id', 'text', 'TEXT'),
  col('start_time', 'timestamp without time zone', 'TIMESTAMP(3)'),
  col('provider', 'text', 'TEXT NOT NULL'),
  col('api', 'text', 'TEXT NOT NULL'),
  col('requested_model', 'text', 'TEXT'),
  col('served_model', 'text', 'TEXT'),
  col('streamed', 'boolean', 'BOOLEAN NOT NULL'),
  col('stop_reason', 'text', 'TEXT'),
  // Tokens by kind, disjoint (src/usage/call.ts): the prompt is input + cache_read + both cache writes.
  col('input_tokens', 'integer', 'INTEGER'),
  col('output_tokens', 'integer', 'INTEGER'),
  col('cache_read_tokens', 'integer', 'INTEGER'),
  col('cache_write_5m_tokens', 'integer', 'INTEGER'),
  col('cache_write_1h_tokens', 'integer', 'INTEGER'),
  col('reasoning_tokens', 'integer', 'INTEGER'),
  col('web_search_requests', 'integer', 'INTEGER'),
  col('web_fetch_requests', 'integer', 'INTEGER'),
  col('service_tier', 'text', 'TEXT'),
  col('speed', 'text', 'TEXT'),
  col('inference_geo', 'text', 'TEXT'),
  /** The names of the tools the model called, in order: a JSON array of strings. */
  col('tool_calls', 'jsonb', 'JSONB'),
  col('message_count', 'integer', 'INTEGER'),
  col('ttft_ms', 'double precision', 'DOUBLE PRECISION'),
  col('output_tokens_per_second', 'double precision', 'DOUBLE PRECISION'),
  /** USD; NULL when it could not be priced exactly (cost_note says why). */
  col('cost_usd', 'double precision', 'DOUBLE PRECISION'),
  col('cost_parts', 'jsonb', 'JSONB'),
  col('price_entry', 'text', 'TEXT'),
  col('cost_note', 'text', 'TEXT'),
  col('quota', 'jsonb', 'JSONB'),
  col('usage', 'jsonb', 'JSONB'),
  /** What could not be read, one sentence each: a JSON array, empty when the record is complete. */
  col('notes', 'jsonb', 'JSONB'),
  col('extractor', 'integer', 'INTEGER NOT NULL'),
  col('extracted_at', 'timestamp without time zone', 'TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP'),
  /** The trace whose request this row's flow carried on (its timings row's parent_trace_id, copied here): the client's row of a provider-side row. */
  col('client_trace_id', 'text', 'TEXT', { migration: 8 }),
  /**
   * Whether the call is billed here: false for a row that another row (with usage) names by its client_trace_id — the
   * same call, counted at the end nearest the provider (a reverse row, or a forward row map_remote sent to the
   * gateway). Kept by the writer (billedFixup) and backfill; reports sum billed rows.
   */
  col('billed', 'boolean', 'BOOLEAN NOT NULL DEFAULT true', { migration: 8 }),
  /** Which call of its trace, from 0: an HTTP exchange has one, a Responses WebSocket connection one per turn. */
  col('call_seq', 'integer', 'INTEGER NOT NULL DEFAULT 0', { migration: 9 }),
];

export const USAGE_TYPES: ReadonlyMap<string, ColumnType> = new Map(USAGE_COLUMNS.map((c) => [c.name, c.type]));

/** The columns a usage row sets (extracted_at is the database's clock, billed the writer's fix-up), trace_id first. */
const WRITTEN = USAGE_COLUMNS.filter((c) => c.name !== 'extracted_at' && c.name !== 'billed');
/** The columns COPY and the inserts fill after trace_id. */
export const USAGE_VALUE_COLUMNS = WRITTEN.filter((c) => c.name !== 'trace_id');
const VALUE_COLUMNS = USAGE_VALUE_COLUMNS;

/** An operation from before call_seq (a journal or spill file written by an older ccproxy) is its trace's only call. */
export function withCallSeq(op: Op): Op {
  op.fields.call_seq ??= 0;
  return op;
}

/**
 * Multi-row inserts of usage operations, at most `maxRows` rows each. The capture's rows ignore a repeat (a replay
 * of a batch that did commit); `replace` (backfill) writes over an older extraction's row instead.
 */
export function buildUsageInserts(rows: readonly Op[], maxRows = 500, replace = false): Statement[] {
  const out: Statement[] = [];
  const width = WRITTEN.length;
  const action = replace ? `DO UPDATE SET ${VALUE_COLUMNS.map((c) => `${c.name} = EXCLUDED.${c.name}`).join(', ')}, extracted_at = CURRENT_TIMESTAMP` : 'DO NOTHING';
  for (let i = 0; i < rows.length; i += maxRows) {
    const group = rows.slice(i, i + maxRows);
    const values: WireValue[] = [];
    const tuples: string[] = [];
    group.forEach((row, r) => {
      values.push(row.id);
      for (const c of VALUE_COLUMNS) {
        const v = row.fields[c.name] ?? (c.name === 'call_seq' ? 0 : null);
        values.push(c.type === 'timestamp without time zone' ? isoText(v) : v);
      }
      tuples.push(`(${WRITTEN.map((_, k) => `$${r * width + k + 1}`).join(',')})`);
    });
    out.push({ text: `INSERT INTO ${USAGE_TABLE} (${WRITTEN.map((c) => c.name).join(', ')}) VALUES ${tuples.join(',')} ON CONFLICT (trace_id, call_seq) ${action}`, values, rows: group.length });
  }
  return out;
}

/** Indexes for the reports: per session, per day, per model (migration 7). */
export const USAGE_INDEXES: readonly (readonly string[])[] = [['session_id', 'start_time'], ['start_time'], ['served_model', 'start_time']];

/**
 * What a report sums, beside start_time in the index of billed calls: `ccproxy usage` reads it alone (an index-only
 * scan) instead of the whole rows, whose JSON columns make them several times wider.
 */
const REPORT_COLUMNS = ['session_id', 'provider', 'served_model', 'requested_model', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens', 'cost_usd', 'cost_note'];

/**
 * After a batch's usage rows are in (same transaction): a row that another row with usage names (its
 * `client_trace_id`: the flow whose request that row's flow carried on) is not billed — the call is counted at the
 * end nearest the provider. Either may come first, in this batch or an earlier one, so both are looked at: the
 * batch's rows that a stored row names, and the rows the batch's rows name. A row marked `unnamed` (its request
 * went on to no part of this process that links it) is not looked for: no row can name it. Null when there is
 * nothing to look for.
 */
export function billedFixup(ops: readonly Op[]): Statement | null {
  const named: string[] = [];
  const clients: string[] = [];
  for (const op of ops) {
    if (op.kind !== 'usage') continue;
    if (typeof op.fields.client_trace_id === 'string') clients.push(op.fields.client_trace_id);
    if (!op.unnamed) named.push(op.id);
  }
  if (named.length === 0 && clients.length === 0) return null;
  return {
    // The ids to mark, as one set probed through indexes (client_trace_id, then the key): written as an OR with a
    // correlated EXISTS, the planner may hash a scan of the whole table instead, on every batch.
    text: `UPDATE ${USAGE_TABLE} r SET billed = false
WHERE r.billed
  AND r.trace_id IN (SELECT unnest($2::text[])
                     UNION SELECT f.client_trace_id FROM ${USAGE_TABLE} f WHERE f.client_trace_id = ANY($1::text[]))`,
    values: [named, clients],
    rows: 0,
  };
}

/**
 * A trace's calls as one row, for readers that show a line per trace: `LEFT JOIN LATERAL (…) u ON true` after
 * the trace `t`. Models are the first call's, tokens and cost summed (cost NULL when a call was not priced);
 * u.trace_id is NULL when the trace has no usage row. An HTTP exchange's single row reads as it is.
 */
export const USAGE_OF_TRACE_SQL = (t: string) => `LEFT JOIN LATERAL (
  SELECT min(uc.trace_id) AS trace_id, count(*) AS calls,
         (array_agg(uc.requested_model ORDER BY uc.call_seq))[1] AS requested_model,
         (array_agg(uc.served_model ORDER BY uc.call_seq))[1] AS served_model,
         bool_or(uc.streamed) AS streamed,
         ${['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens'].map((c) => `sum(uc.${c})::bigint AS ${c}`).join(', ')},
         CASE WHEN bool_and(uc.cost_usd IS NOT NULL) THEN sum(uc.cost_usd) END AS cost_usd
  FROM ${USAGE_TABLE} uc WHERE uc.trace_id = ${t}.trace_id) u ON true`;

/** The view as migration 7 made it: the billed rule spelt out as a join (migration 8 replaces it). */
const CALLS_VIEW_V7_SQL = `
DROP VIEW IF EXISTS ${CALLS_VIEW};
CREATE VIEW ${CALLS_VIEW} AS
SELECT ${USAGE_COLUMNS.filter((c) => c.migration === undefined).map((c) => `u.${c.name}`).join(', ')}, link.parent_trace_id AS client_trace_id,
       t.method, t.host, t.path, t.status_code, t.duration_ms, t.ttfb_ms, t.error_type, t.traffic_type,
       t.request_headers ->> 'user-agent' AS user_agent
FROM ${USAGE_TABLE} u
JOIN ${TABLE} t ON t.trace_id = u.trace_id
LEFT JOIN ${TIMINGS_TABLE} link ON link.trace_id = u.trace_id
WHERE u.proxy_direction = 1
   OR NOT EXISTS (
     SELECT 1 FROM ${TIMINGS_TABLE} fw JOIN ${USAGE_TABLE} fu ON fu.trace_id = fw.trace_id
     WHERE fw.parent_trace_id = u.trace_id);
`;

/**
 * One row per billed call: the provider-side (forward) record where there is one, else the client-side
 * (reverse) record — a reverse row whose forward row links to it (`client_trace_id`, from
 * CCProxy_TraceTimings.parent_trace_id) is the same call seen earlier, and is not billed. With its trace's
 * request line, status, timings and client.
 */
const CALLS_VIEW_SQL = `
CREATE VIEW ${CALLS_VIEW} AS
SELECT u.*,
       t.method, t.host, t.path, t.status_code, t.duration_ms, t.ttfb_ms, t.error_type, t.traffic_type,
       t.request_headers ->> 'user-agent' AS user_agent
FROM ${USAGE_TABLE} u
JOIN ${TABLE} t ON t.trace_id = u.trace_id
WHERE u.billed;
`;

/** Migration 7: the table, its indexes, and the view of billed calls (as they were then). */
export const USAGE_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS ${USAGE_TABLE} (
  ${USAGE_COLUMNS.filter((c) => c.migration === undefined).map((c) => `${c.name} ${c.ddl}`).join(',\n  ')},
  CONSTRAINT "${USAGE_TABLE_NAME}_pkey" PRIMARY KEY (trace_id)
);
${USAGE_INDEXES.map((cols) => `CREATE INDEX IF NOT EXISTS "${USAGE_TABLE_NAME}_${cols.join('_')}_idx" ON ${USAGE_TABLE} (${cols.join(', ')});`).join('\n')}
${CALLS_VIEW_V7_SQL}
`;

/**
 * Migration 8: a forward row names its client row and a reverse row says whether it is billed, filled in for the
 * rows there are; the view selects billed rows; the reports' index holds billed calls with what they sum.
 */
export const USAGE_BILLED_SQL = `
${USAGE_COLUMNS.filter((c) => c.migration === 8).map((c) => `ALTER TABLE ${USAGE_TABLE} ADD COLUMN IF NOT EXISTS ${c.name} ${c.ddl};`).join('\n')}
UPDATE ${USAGE_TABLE} u SET client_trace_id = x.parent_trace_id
  FROM ${TIMINGS_TABLE} x WHERE x.trace_id = u.trace_id AND u.proxy_direction = 1 AND x.parent_trace_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS "${USAGE_TABLE_NAME}_client_trace_id_idx" ON ${USAGE_TABLE} (client_trace_id) WHERE client_trace_id IS NOT NULL;
UPDATE ${USAGE_TABLE} r SET billed = false
  WHERE r.proxy_direction <> 1 AND EXISTS (SELECT 1 FROM ${USAGE_TABLE} f WHERE f.client_trace_id = r.trace_id);
DROP INDEX IF EXISTS "${USAGE_TABLE_NAME}_start_time_idx";
CREATE INDEX IF NOT EXISTS "${USAGE_TABLE_NAME}_billed_start_time_idx" ON ${USAGE_TABLE} (start_time) INCLUDE (${REPORT_COLUMNS.join(', ')}) WHERE billed;
DROP VIEW IF EXISTS ${CALLS_VIEW};
${CALLS_VIEW_SQL}
`;

/**
 * Migration 9: a trace may hold several calls (a Responses WebSocket's turns), numbered by call_seq; the key
 * becomes (trace_id, call_seq), and the view is made again so that its u.* names the new column.
 */
export const USAGE_CALL_SEQ_SQL = `
${USAGE_COLUMNS.filter((c) => c.migration === 9).map((c) => `ALTER TABLE ${USAGE_TABLE} ADD COLUMN IF NOT EXISTS ${c.name} ${c.ddl};`).join('\n')}
ALTER TABLE ${USAGE_TABLE} DROP CONSTRAINT IF EXISTS "${USAGE_TABLE_NAME}_pkey";
ALTER TABLE ${USAGE_TABLE} ADD CONSTRAINT "${USAGE_TABLE_NAME}_pkey" PRIMARY KEY (trace_id, call_seq);
DROP VIEW IF EXISTS ${CALLS_VIEW};
${CALLS_VIEW_SQL}
`;
