// New rows go in with binary COPY: PostgreSQL then parses and plans nothing per batch and skips the conflict
// check, which costs it about a third of what a multi-row upsert does per row. Only rows that should not exist
// yet come here (a trace's first write, a WebSocket message, an LLM usage row); anything else goes through the
// upserts, and so do rows whose COPY failed because a replay repeats them.
import type { Writable } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { withClient } from './database.js';
import { groupByShape, type Op, type Shape, type WireValue } from './ops.js';
import { COLUMN_BY_NAME, TABLE, type ColumnType } from './table.js';
import { USAGE_TABLE, USAGE_TYPES, USAGE_VALUE_COLUMNS, withCallSeq } from './usage-table.js';
import { WS_TABLE, WS_TYPES, WS_VALUE_COLUMNS } from './ws-table.js';

/** A table COPY writes to: its quoted name and its columns' types (the first column is the row's trace_id). */
export interface CopyTarget {
  table: string;
  types: ReadonlyMap<string, ColumnType>;
}

export const TRACES_TARGET: CopyTarget = { table: TABLE, types: new Map([...COLUMN_BY_NAME].map(([name, c]) => [name, c.type])) };
export const MESSAGES_TARGET: CopyTarget = { table: WS_TABLE, types: WS_TYPES };
export const USAGE_TARGET: CopyTarget = { table: USAGE_TABLE, types: USAGE_TYPES };
const USAGE_COPY_COLUMNS = USAGE_VALUE_COLUMNS.map((c) => c.name);

export interface CopyPlan {
  /** One COPY per table and column set: trace creates by shape, then the messages, then the usage rows. */
  copies: { target: CopyTarget; shape: Pick<Shape, 'cols' | 'rows'> }[];
  /** Rows that go as statements (a trace's later writes, timing rows). */
  rest: Op[];
}

/** Splits merged rows into what COPY may carry (rows that should be new) and the rest. */
export function planCopies(rows: readonly Op[]): CopyPlan {
  const copies: CopyPlan['copies'] = groupByShape(rows.filter((r) => r.kind === 'create')).map((shape) => ({ target: TRACES_TARGET, shape }));
  const messages = rows.filter((r) => r.kind === 'ws');
  if (messages.length > 0) copies.push({ target: MESSAGES_TARGET, shape: { cols: WS_VALUE_COLUMNS, rows: messages } });
  const usage = rows.filter((r) => r.kind === 'usage');
  if (usage.length > 0) copies.push({ target: USAGE_TARGET, shape: { cols: USAGE_COPY_COLUMNS, rows: usage.map(withCallSeq) } });
  return { copies, rest: rows.filter((r) => r.kind === 'complete' || r.kind === 'timing') };
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
const PG_EPOCH_MS = 946_684_800_000;

/**
 * Whether the database takes COPY FROM STDIN. PGlite served over its socket (another ccproxy's embedded
 * database, reached through its URL) loses the protocol's synchronisation on COPY, so it gets upserts only.
 */
export async function carriesCopy(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ v: string }>('SELECT version() AS v');
  return !/PGlite/i.test(rows[0]?.v ?? '');
}

/** Thrown when a value cannot be put in binary form (an integer out of range): the rows take the upsert path. */
export class NotEncodable extends Error {}

/** Rows encoded per slice: each slice is one short task, so a large batch never holds the event loop for long. */
const SLICE_ROWS = 32;
const HEADER = Buffer.concat([SIGNATURE, Buffer.alloc(8)]); // flags and header extension: none
const TRAILER = Buffer.from([0xff, 0xff]); // a tuple count of -1

export function copyStatement(cols: readonly string[], target: CopyTarget = TRACES_TARGET): string {
  return `COPY ${target.table} (trace_id${cols.map((c) => `, ${c}`).join('')}) FROM STDIN (FORMAT binary)`;
}

/** Rows (sharing one column set) in PostgreSQL's binary COPY tuple format, written into one buffer. */
export function encodeRows(cols: readonly string[], rows: readonly Shape['rows'][number][], target: CopyTarget = TRACES_TARGET): Buffer {
  const types = cols.map((c) => target.types.get(c)!);
  // The buffer is sized exactly: an upper bound (3 bytes per UTF-16 unit) made it about three times the rows'
  // size, and a buffer that large is fresh memory from the system, each page of it a fault when first written.
  let size = 0;
  for (const row of rows) {
    size += 6 + Buffer.byteLength(row.id);
    for (let i = 0; i < cols.length; i++) size += 4 + bound(row.fields[cols[i]!] ?? null, types[i]!);
  }
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  for (const row of rows) {
    at = buf.writeInt16BE(cols.length + 1, at);
    at = writeText(buf, at, row.id);
    for (let i = 0; i < cols.length; i++) at = writeValue(buf, at, row.fields[cols[i]!] ?? null, types[i]!, cols[i]!);
  }
  return buf.subarray(0, at);
}

const FIXED: Partial<Record<ColumnType, number>> = { integer: 4, 'double precision': 8, boolean: 1, 'timestamp without time zone': 8 };

function bound(v: WireValue, type: ColumnType): number {
  if (v === null) return 0;
  if (type === 'bytea') return (v as Buffer).length;
  if (type === 'text') return Buffer.byteLength(String(v));
  if (type === 'jsonb') return 1 + Buffer.byteLength(String(v));
  return FIXED[type]!;
}

function writeText(buf: Buffer, at: number, text: string): number {
  const n = buf.write(text, at + 4);
  buf.writeInt32BE(n, at);
  return at + 4 + n;
}

function writeValue(buf: Buffer, at: number, v: WireValue, type: ColumnType, name: string): number {
  if (v === null) return buf.writeInt32BE(-1, at);
  switch (type) {
    case 'bytea': {
      const b = v as Buffer;
      at = buf.writeInt32BE(b.length, at);
      return at + b.copy(buf, at);
    }
    case 'text':
      return writeText(buf, at, String(v));
    case 'jsonb': {
      const n = buf.write(String(v), at + 5);
      buf.writeInt32BE(n + 1, at);
      buf[at + 4] = 1; // jsonb binary format version 1
      return at + 5 + n;
    }
    case 'integer': {
      const n = v as number;
      if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) throw new NotEncodable(`${name}: ${String(v)} is not a 32-bit integer`);
      at = buf.writeInt32BE(4, at);
      return buf.writeInt32BE(n, at);
    }
    case 'double precision':
      at = buf.writeInt32BE(8, at);
      return buf.writeDoubleBE(v as number, at);
    case 'boolean':
      at = buf.writeInt32BE(1, at);
      buf[at] = v ? 1 : 0;
      return at + 1;
    case 'timestamp without time zone': {
      const ms = typeof v === 'number' ? v : Date.parse(String(v));
      if (Number.isNaN(ms)) throw new NotEncodable(`${name}: ${String(v)} is not a timestamp`);
      at = buf.writeInt32BE(8, at);
      return buf.writeBigInt64BE(BigInt(ms - PG_EPOCH_MS) * 1000n, at);
    }
  }
}

/**
 * Rows in COPY's binary form, encoded slice by slice (one short task each, so a large batch never holds the
 * event loop for long). A value that cannot be encoded throws NotEncodable here, before anything is sent.
 */
export async function encodeCopy({ cols, rows }: Pick<Shape, 'cols' | 'rows'>, target: CopyTarget = TRACES_TARGET): Promise<Buffer[]> {
  const chunks: Buffer[] = [HEADER];
  for (let i = 0; i < rows.length; i += SLICE_ROWS) {
    if (i > 0) await turn();
    chunks.push(encodeRows(cols, rows.slice(i, i + SLICE_ROWS), target));
  }
  chunks.push(TRAILER);
  return chunks;
}

/**
 * Runs one COPY of encoded rows on `client`: the slices are sent one per turn of the event loop, waiting for the
 * socket to drain when it is full. Resolves when the server has taken the COPY (committed, outside a transaction).
 */
export function sendCopy(client: pg.ClientBase, cols: readonly string[], chunks: readonly Buffer[], target: CopyTarget = TRACES_TARGET): Promise<void> {
  return send(client.query(copyFrom(copyStatement(cols, target))), chunks);
}

/** One COPY on a client of the pool, in its own transaction. */
export async function copyRows(pool: pg.Pool, shape: Pick<Shape, 'cols' | 'rows'>, target: CopyTarget = TRACES_TARGET): Promise<void> {
  const chunks = await encodeCopy(shape, target);
  await withClient(pool, (client) => sendCopy(client, shape.cols, chunks, target));
}

function send(stream: Writable, chunks: readonly Buffer[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let failed = false;
    stream.once('error', (err) => {
      failed = true;
      reject(err);
    });
    stream.once('finish', resolve);
    let i = 0;
    const next = () => {
      if (failed) return;
      // The signature and the first rows go together; each later slice on its own turn.
      while (i < chunks.length) {
        const ok = stream.write(chunks[i++]!);
        if (i === 1) continue;
        if (i < chunks.length) {
          if (ok) setImmediate(next);
          else stream.once('drain', next);
          return;
        }
      }
      stream.end();
    };
    next();
  });
}
