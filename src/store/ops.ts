// A writer operation is a partial row keyed by trace_id. Creates and completions carry different columns,
// so applying them as upserts in any order, or twice, leaves the same row: that makes replay safe. A message
// operation ('ws') is a whole row of the WebSocket messages table, keyed by trace_id and seq, inserted once; a
// timing operation ('timing') a whole row of the trace timings table, keyed by trace_id, inserted once; a usage
// operation ('usage') a whole row of the LLM usage table, keyed by trace_id, inserted once.
import type { WsMessage } from '../flow/websocket.js';
import { COLUMN_BY_NAME, COLUMNS, TABLE, isoText, type ColumnType, type TraceFields } from './table.js';
import { buildTimingInserts, TIMINGS_TYPES } from './timings-table.js';
import { buildUsageInserts, USAGE_TYPES } from './usage-table.js';
import { buildWsInserts, WS_TYPES } from './ws-table.js';

export type WireValue = string | number | boolean | null | Buffer;

export interface Op {
  /** 'create' and 'complete' are partial trace rows; 'ws' is one WebSocket message row; 'timing' one trace timings row; 'usage' one LLM usage row. */
  kind: 'create' | 'complete' | 'ws' | 'timing' | 'usage';
  id: string;
  fields: Record<string, WireValue>;
  /** Body (or payload) bytes, for batch sizing. */
  bytes: number;
  /** How many handed-over operations this one carries (more than 1 once merged). */
  n: number;
  /**
   * A usage row of a reverse flow whose request went to no gateway of this process: no forward row can name it,
   * so the billed fix-up need not look for one. Not kept in spill lines: a replayed row is looked for.
   */
  unnamed?: true;
  /** The crash journal's marks on this operation (journal.ts), kept on it rather than in weak maps beside it. */
  journaled?: unknown;
  awaited?: unknown;
}

/**
 * A new operation, always of the same shape (every field present, the journal's marks too): an object that gains a
 * property later changes its hidden class, and the code that reads operations then sees several where it saw one.
 */
export const newOp = (kind: Op['kind'], id: string, fields: Record<string, WireValue>, bytes: number, n = 1, unnamed?: true): Op => ({ kind, id, fields, bytes, n, unnamed, journaled: undefined, awaited: undefined });

export const countOps = (ops: readonly Op[]) => ops.reduce((sum, op) => sum + op.n, 0);

const NUL = /\u0000/g;
const noNul = (s: string) => (s.includes('\u0000') ? s.replace(NUL, '') : s);

/**
 * Whether `op` rides with its trace's operations (the trace's timings row and its LLM usage rows, one per call,
 * handed over with its completion): the queue and batch limits count traces' operations, not these.
 */
export const rides = (op: Op): boolean => op.kind === 'timing' || op.kind === 'usage';

/**
 * Stored headers' JSON, by object: a response's head and its end are both written with the same headers object,
 * made by the redact stage, which makes a new one whenever they change and never changes one it has made.
 */
const HEADER_JSON = new WeakMap<object, string>();

/**
 * Converts capture values to what PostgreSQL accepts: JSON text without NUL, Buffers, and timestamps as
 * milliseconds since the epoch (UTC), which COPY encodes as they are and upserts and the spill turn into ISO text.
 */
export function makeOp(kind: Op['kind'], id: string, fields: TraceFields): Op {
  const out: Record<string, WireValue> = {};
  let bytes = 0;
  for (const name in fields) {
    const value = fields[name as keyof TraceFields];
    const column = COLUMN_BY_NAME.get(name);
    if (!column || name === 'trace_id' || value === undefined) continue;
    if (value === null) {
      out[name] = null;
      continue;
    }
    switch (column.type) {
      case 'bytea': {
        const u8 = value as Uint8Array;
        const buf = Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
        bytes += buf.length;
        out[name] = buf;
        break;
      }
      case 'jsonb': {
        const headers = name === 'request_headers' || name === 'response_headers';
        const cached = headers ? HEADER_JSON.get(value as object) : undefined;
        if (cached !== undefined) {
          out[name] = cached;
          break;
        }
        const json = JSON.stringify(value);
        out[name] = json.includes('\\u0000') ? json.replace(/\\u0000/g, '') : json;
        if (headers) HEADER_JSON.set(value as object, out[name] as string);
        break;
      }
      case 'timestamp without time zone': {
        const ms = typeof value === 'number' ? value : (value as Date).getTime();
        out[name] = Number.isFinite(ms) ? ms : null;
        break;
      }
      case 'text':
        out[name] = noNul(String(value));
        break;
      default:
        out[name] = value as number | boolean;
    }
  }
  return newOp(kind, noNul(id), out, bytes);
}

/** One message of an upgraded connection as a row of the messages table (payload kept, not copied). */
export function makeWsOp(traceId: string, m: WsMessage): Op {
  const p = m.payload;
  const payload = p === null ? null : Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  const at = m.at instanceof Date ? m.at.getTime() : Number.NaN;
  const fields: Record<string, WireValue> = {
    seq: m.seq,
    direction: m.direction,
    // A message always has a time: one the capture could not give becomes the time it was handed over.
    at: Number.isFinite(at) ? at : Date.now(),
    opcode: m.opcode,
    size: m.size,
    payload,
    truncated: m.truncated === true,
  };
  return newOp('ws', noNul(traceId), fields, payload?.length ?? 0);
}

/** A trace's row of the timings table (values already as the table takes them: chunk_ms as JSON text). */
export function makeTimingOp(traceId: string, fields: Record<string, WireValue>): Op {
  return newOp('timing', noNul(traceId), fields, 0);
}

/** A trace's row of the LLM usage table (values as the table takes them: JSON as text, times as epoch ms). */
export function makeUsageOp(traceId: string, fields: Record<string, WireValue>, unnamed = false): Op {
  return newOp('usage', noNul(traceId), fields, 0, 1, unnamed ? true : undefined);
}

/**
 * Folds `op` into `into` (same trace): its values win. The fields become a new object made by spreading both:
 * assigning a completion's fields into its create's object one by one leaves V8 a dictionary past about twenty
 * fields, and every later pass over them (the journal's frame, the COPY tuple) is then a third slower.
 */
export function absorb(into: Op, op: Op): void {
  into.fields = { ...into.fields, ...op.fields };
  into.bytes += op.bytes;
  into.n += op.n;
}

/** One row per trace: later operations' values win, first appearance keeps the order. Messages pass as they are. */
export function mergeOps(ops: readonly Op[]): Op[] {
  const byId = new Map<string, Op>();
  const out: Op[] = [];
  for (const op of ops) {
    if (op.kind === 'ws' || op.kind === 'timing' || op.kind === 'usage') {
      out.push(op);
      continue;
    }
    const prev = byId.get(op.id);
    if (prev) absorb(prev, op);
    else {
      // A new operation, without the journal's marks: the journal is told of the operations it was handed.
      const row = newOp(op.kind, op.id, { ...op.fields }, op.bytes, op.n, op.unnamed);
      byId.set(op.id, row);
      out.push(row);
    }
  }
  return out;
}

export interface Statement {
  text: string;
  /** Parameters: values of columns, or a list of ids (a text[] parameter). */
  values: (WireValue | readonly string[])[];
  rows: number;
}

const COLUMN_BIT = new Map(COLUMNS.map((c, i) => [c.name, 2 ** i]));
/** Statement texts by column set and row count: batches repeat the same few shapes. */
const TEXT_CACHE = new Map<string, string>();
const TEXT_CACHE_MAX = 256;

/** Rows that set the same columns, in first-appearance order. */
export interface Shape {
  mask: number;
  /** Column names besides trace_id, in table order. */
  cols: string[];
  rows: Op[];
}

/**
 * Groups merged rows by the columns they set. A null for a column with a default means "not known": the
 * column is left out, so an insert takes the default and an update keeps what the row has.
 */
export function groupByShape(rows: readonly Op[]): Shape[] {
  const groups = new Map<number, Op[]>();
  for (const row of rows) {
    let mask = 0;
    for (const name in row.fields) {
      const bit = COLUMN_BIT.get(name);
      if (bit !== undefined && (row.fields[name] !== null || !COLUMN_BY_NAME.get(name)!.hasDefault)) mask += bit;
    }
    let g = groups.get(mask);
    if (!g) groups.set(mask, (g = []));
    g.push(row);
  }
  return [...groups].map(([mask, group]) => ({ mask, cols: COLUMNS.filter((c, i) => c.name !== 'trace_id' && Math.floor(mask / 2 ** i) % 2 === 1).map((c) => c.name), rows: group }));
}

/** The statements that write merged rows: trace upserts, then message inserts, then timing and usage inserts. */
export function buildStatements(rows: readonly Op[]): Statement[] {
  const traces = rows.filter((r) => r.kind === 'create' || r.kind === 'complete');
  const messages = rows.filter((r) => r.kind === 'ws');
  const timings = rows.filter((r) => r.kind === 'timing');
  const usage = rows.filter((r) => r.kind === 'usage');
  return [
    ...(traces.length > 0 ? buildUpserts(traces) : []),
    ...(messages.length > 0 ? buildWsInserts(messages) : []),
    ...(timings.length > 0 ? buildTimingInserts(timings) : []),
    ...(usage.length > 0 ? buildUsageInserts(usage) : []),
  ];
}

/** One multi-row upsert per column set (trace rows only). */
export function buildUpserts(rows: readonly Op[]): Statement[] {
  return groupByShape(rows).map(({ mask, cols, rows: group }) => {
    const values: WireValue[] = [];
    const stamps = cols.map(isTimestamp);
    for (const row of group) {
      values.push(row.id);
      for (let i = 0; i < cols.length; i++) {
        const v = row.fields[cols[i]!] ?? null;
        values.push(stamps[i] ? isoText(v) : v);
      }
    }
    return { text: upsertText(mask, cols, group.length), values, rows: group.length };
  });
}

function upsertText(mask: number, cols: string[], rows: number): string {
  const key = `${mask}:${rows}`;
  let text = TEXT_CACHE.get(key);
  if (text !== undefined) return text;
  const width = cols.length + 1;
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    const ph: string[] = [];
    for (let i = 1; i <= width; i++) ph.push(`$${r * width + i}`);
    tuples.push(`(${ph.join(',')})`);
  }
  const action = cols.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${cols.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
  text = `INSERT INTO ${TABLE} (trace_id${cols.map((c) => `, ${c}`).join('')}) VALUES ${tuples.join(',')} ON CONFLICT (trace_id) ${action}`;
  if (TEXT_CACHE.size >= TEXT_CACHE_MAX) TEXT_CACHE.clear();
  TEXT_CACHE.set(key, text);
  return text;
}

const isTimestamp = (name: string) => COLUMN_BY_NAME.get(name)?.type === 'timestamp without time zone';
/** A field's column type in the table the operation writes to. */
const OTHER_TYPES: Partial<Record<Op['kind'], ReadonlyMap<string, ColumnType>>> = { ws: WS_TYPES, timing: TIMINGS_TYPES, usage: USAGE_TYPES };
const typeOf = (kind: Op['kind'], name: string): ColumnType | undefined => {
  const other = OTHER_TYPES[kind];
  return other ? other.get(name) : COLUMN_BY_NAME.get(name)?.type;
};

/** One JSON line per operation (`k` says which: create, complete, ws, timing, usage); bytea as base64, timestamps as ISO text. */
export function encodeOp(op: Op): string {
  const f: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(op.fields)) f[k] = Buffer.isBuffer(v) ? v.toString('base64') : typeOf(op.kind, k) === 'timestamp without time zone' ? isoText(v) : v;
  return JSON.stringify(op.n > 1 ? { k: op.kind, id: op.id, f, n: op.n } : { k: op.kind, id: op.id, f });
}

export function decodeOp(line: string): Op {
  const raw = JSON.parse(line) as { k: Op['kind']; id: string; f: Record<string, WireValue>; n?: number };
  let bytes = 0;
  for (const [k, v] of Object.entries(raw.f)) {
    if (typeof v !== 'string') continue;
    const type = typeOf(raw.k, k);
    if (type === 'bytea') {
      const buf = Buffer.from(v, 'base64');
      bytes += buf.length;
      raw.f[k] = buf;
    } else if (type === 'timestamp without time zone') {
      const ms = Date.parse(v);
      if (Number.isFinite(ms)) raw.f[k] = ms;
    }
  }
  return newOp(raw.k, raw.id, raw.f, bytes, raw.n ?? 1);
}
