// The spec's "CCProxy_HttpTraces" table, column by column: one list drives the DDL, the writer and the schema check.
import type { WireValue } from './ops.js';

export const TABLE = '"CCProxy_HttpTraces"';
export const TABLE_NAME = 'CCProxy_HttpTraces';

/** PostgreSQL types as information_schema.columns.data_type reports them. */
export type ColumnType = 'text' | 'integer' | 'jsonb' | 'bytea' | 'timestamp without time zone' | 'double precision' | 'boolean';

export interface Column {
  name: string;
  type: ColumnType;
  ddl: string;
  /** Added by ccproxy beyond the spec (listed in the README). */
  extra?: boolean;
  /** Has a default: a null value from the capture is written as DEFAULT. */
  hasDefault?: boolean;
  /** The migration that added an extra column (2 unless said). */
  migration?: number;
}

export const col = (name: string, type: ColumnType, ddl: string, opts: Partial<Column> = {}): Column => ({ name, type, ddl, ...opts });

export const COLUMNS: readonly Column[] = [
  col('trace_id', 'text', 'TEXT NOT NULL'),
  col('proxy_direction', 'integer', 'INTEGER NOT NULL DEFAULT 0', { hasDefault: true }),
  col('session_id', 'text', 'TEXT'),
  col('method', 'text', 'TEXT'),
  col('url', 'text', 'TEXT'),
  col('host', 'text', 'TEXT'),
  col('path', 'text', 'TEXT'),
  col('request_headers', 'jsonb', `JSONB NOT NULL DEFAULT '{}'`, { hasDefault: true }),
  col('request_body', 'bytea', 'BYTEA'),
  col('request_body_size', 'integer', 'INTEGER NOT NULL DEFAULT 0', { hasDefault: true }),
  col('request_content_type', 'text', 'TEXT'),
  col('status_code', 'integer', 'INTEGER'),
  col('response_headers', 'jsonb', `JSONB NOT NULL DEFAULT '{}'`, { hasDefault: true }),
  col('response_body', 'bytea', 'BYTEA'),
  col('response_body_size', 'integer', 'INTEGER NOT NULL DEFAULT 0', { hasDefault: true }),
  col('response_content_type', 'text', 'TEXT'),
  col('start_time', 'timestamp without time zone', 'TIMESTAMP(3)'),
  col('end_time', 'timestamp without time zone', 'TIMESTAMP(3)'),
  col('duration_ms', 'double precision', 'DOUBLE PRECISION'),
  col('client_ip', 'text', 'TEXT'),
  col('server_ip', 'text', 'TEXT'),
  col('server_port', 'integer', 'INTEGER'),
  col('is_https', 'boolean', 'BOOLEAN NOT NULL DEFAULT false', { hasDefault: true }),
  col('error_message', 'text', 'TEXT'),
  col('error_type', 'text', 'TEXT'),
  col('traffic_type', 'text', `TEXT NOT NULL DEFAULT 'unknown'`, { hasDefault: true }),
  col('created_at', 'timestamp without time zone', 'TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP', { hasDefault: true }),
  // Additive columns (migration 2).
  col('ttfb_ms', 'double precision', 'DOUBLE PRECISION', { extra: true }),
  col('request_body_truncated', 'boolean', 'BOOLEAN NOT NULL DEFAULT false', { extra: true, hasDefault: true }),
  col('response_body_truncated', 'boolean', 'BOOLEAN NOT NULL DEFAULT false', { extra: true, hasDefault: true }),
  // Migration 5: the URL a client asked for when map_remote sent its request elsewhere (url is where it went).
  col('original_url', 'text', 'TEXT', { extra: true, migration: 5 }),
];

export const SPEC_COLUMNS = COLUMNS.filter((c) => !c.extra);
export const COLUMN_BY_NAME = new Map(COLUMNS.map((c) => [c.name, c]));

/** The spec's eight indexes, named as Prisma names them so a table made by `prisma db push` already has them. */
export const INDEXES: readonly string[][] = [
  ['start_time'],
  ['host'],
  ['traffic_type'],
  ['created_at'],
  ['status_code'],
  ['proxy_direction'],
  ['session_id'],
  ['session_id', 'start_time'],
];

export const indexName = (cols: string[]) => `${TABLE_NAME}_${cols.join('_')}_idx`;

/** A timestamp as PostgreSQL reads it in text: milliseconds become ISO 8601 in UTC; text (older spill files) stays. */
export const isoText = (v: WireValue): WireValue => (typeof v === 'number' ? new Date(v).toISOString() : v);

/** A trace row as the capture hands it over: any subset of columns besides trace_id. */
export type TraceFields = Partial<{
  proxy_direction: number;
  session_id: string | null;
  method: string | null;
  url: string | null;
  host: string | null;
  path: string | null;
  request_headers: Record<string, unknown> | null;
  request_body: Uint8Array | null;
  request_body_size: number | null;
  request_content_type: string | null;
  status_code: number | null;
  response_headers: Record<string, unknown> | null;
  response_body: Uint8Array | null;
  response_body_size: number | null;
  response_content_type: string | null;
  start_time: Date | null;
  end_time: Date | null;
  duration_ms: number | null;
  client_ip: string | null;
  server_ip: string | null;
  server_port: number | null;
  is_https: boolean | null;
  error_message: string | null;
  error_type: string | null;
  traffic_type: string | null;
  ttfb_ms: number | null;
  request_body_truncated: boolean | null;
  response_body_truncated: boolean | null;
  original_url: string | null;
}>;
