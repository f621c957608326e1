// A writer operation is a partial row keyed by trace_id. Creates and completions carry different columns,
// so applying them as upserts in any order, or twice, leaves the same row: that makes replay safe.
import { COLUMN_BY_NAME, TABLE, type TraceFields } from './table.js';

export type WireValue = string | number | boolean | null | Buffer;

export interface Op {
  kind: 'create' | 'complete';
  id: string;
  fields: Record<string, WireValue>;
  /** Body bytes, for batch sizing. */
  bytes: number;
  /** How many handed-over operations this one carries (more than 1 once merged). */
  n: number;
}

export const countOps = (ops: readonly Op[]) => ops.reduce((sum, op) => sum + op.n, 0);

const NUL = /\u0000/g;

/** Converts capture values to what PostgreSQL accepts: UTC timestamps, JSON text without NUL, Buffers. */
export function makeOp(kind: Op['kind'], id: string, fields: TraceFields): Op {
  const out: Record<string, WireValue> = {};
  let bytes = 0;
  for (const [name, value] of Object.entries(fields)) {
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
      case 'jsonb':
        out[name] = JSON.stringify(value).replace(/\\u0000/g, '');
        break;
      case 'timestamp without time zone':
        out[name] = (value as Date).toISOString();
        break;
      case 'text':
        out[name] = String(value).replace(NUL, '');
        break;
      default:
        out[name] = value as number | boolean;
    }
  }
  return { kind, id: id.replace(NUL, ''), fields: out, bytes, n: 1 };
}

/** Folds `op` into `into` (same trace): its values win. */
export function absorb(into: Op, op: Op): void {
  Object.assign(into.fields, op.fields);
  into.bytes += op.bytes;
  into.n += op.n;
}

/** One row per trace: later operations' values win, first appearance keeps the order. */
export function mergeOps(ops: readonly Op[]): Op[] {
  const byId = new Map<string, Op>();
  for (const op of ops) {
    const prev = byId.get(op.id);
    if (prev) absorb(prev, op);
    else byId.set(op.id, { ...op, fields: { ...op.fields } });
  }
  return [...byId.values()];
}

export interface Statement {
  text: string;
  values: WireValue[];
  rows: number;
}

/** Groups merged rows by their column set and builds one multi-row upsert per group. */
export function buildUpserts(rows: readonly Op[]): Statement[] {
  const groups = new Map<string, Op[]>();
  for (const row of rows) {
    const key = Object.keys(row.fields).sort().join(',');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(row);
  }
  const statements: Statement[] = [];
  for (const [key, group] of groups) {
    const cols = key === '' ? [] : key.split(',');
    const values: WireValue[] = [];
    const tuples = group.map((row) => {
      values.push(row.id);
      const ph = [`$${values.length}`];
      for (const c of cols) {
        const v = row.fields[c] ?? null;
        if (v === null && COLUMN_BY_NAME.get(c)?.hasDefault) ph.push('DEFAULT');
        else {
          values.push(v);
          ph.push(`$${values.length}`);
        }
      }
      return `(${ph.join(',')})`;
    });
    const action = cols.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${cols.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
    statements.push({
      text: `INSERT INTO ${TABLE} (trace_id${cols.map((c) => `, ${c}`).join('')}) VALUES ${tuples.join(',')} ON CONFLICT (trace_id) ${action}`,
      values,
      rows: group.length,
    });
  }
  return statements;
}

/** One JSON line per operation; bytea as base64. */
export function encodeOp(op: Op): string {
  const f: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(op.fields)) f[k] = Buffer.isBuffer(v) ? v.toString('base64') : v;
  return JSON.stringify(op.n > 1 ? { k: op.kind, id: op.id, f, n: op.n } : { k: op.kind, id: op.id, f });
}

export function decodeOp(line: string): Op {
  const raw = JSON.parse(line) as { k: Op['kind']; id: string; f: Record<string, WireValue>; n?: number };
  let bytes = 0;
  for (const [k, v] of Object.entries(raw.f)) {
    if (typeof v === 'string' && COLUMN_BY_NAME.get(k)?.type === 'bytea') {
      const buf = Buffer.from(v, 'base64');
      bytes += buf.length;
      raw.f[k] = buf;
    }
  }
  return { kind: raw.k, id: raw.id, fields: raw.f, bytes, n: raw.n ?? 1 };
}
