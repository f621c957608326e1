// Renders query results the way psql does (aligned table, row count, command tags) or as JSON rows.
import type { FieldDef, QueryArrayResult } from 'pg';

/** pg type parsers that keep PostgreSQL's own text for every value, so both backends print the same. */
export const rawTypes = { getTypeParser: () => (v: string) => v };

const OID = { bool: 16, bytea: 17, int8: 20, int2: 21, int4: 23, oid: 26, json: 114, float4: 700, float8: 701, numeric: 1700, jsonb: 3802 };

export function toJsonValue(v: string | null, field: FieldDef): unknown {
  if (v === null) return null;
  switch (field.dataTypeID) {
    case OID.bool:
      return v === 't';
    case OID.int2:
    case OID.int4:
    case OID.oid:
      return Number(v);
    case OID.int8:
    case OID.numeric:
    case OID.float4:
    case OID.float8: {
      const n = Number(v);
      return Number.isFinite(n) && (field.dataTypeID !== OID.int8 || Number.isSafeInteger(n)) ? n : v;
    }
    case OID.json:
    case OID.jsonb:
      return JSON.parse(v);
    case OID.bytea:
      return Buffer.from(v.slice(2), 'hex').toString('base64');
    default:
      return v;
  }
}

export function resultToJson(r: QueryArrayResult): unknown {
  if (r.fields.length === 0) return { command: r.command, rowCount: r.rowCount };
  return r.rows.map((row) => Object.fromEntries(r.fields.map((f, i) => [f.name, toJsonValue(row[i] as string | null, f)])));
}

/** Longest cell shown in the table; the rest of the value is elided (use --json for whole values). */
const MAX_CELL = 120;

export function resultToTable(r: QueryArrayResult): string {
  if (r.fields.length === 0) return commandTag(r);
  const header = r.fields.map((f) => f.name);
  const rows = r.rows.map((row) => row.map((v) => cell(v as string | null)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const numeric = r.fields.map((f) => [OID.int2, OID.int4, OID.int8, OID.float4, OID.float8, OID.numeric, OID.oid].includes(f.dataTypeID));
  const line = (cells: string[], align: boolean) =>
    ' ' + cells.map((c, i) => (align && numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ').trimEnd();
  const out = [line(header.map((h, i) => center(h, widths[i]!)), false), widths.map((w) => '-'.repeat(w + 2)).join('+'), ...rows.map((row) => line(row, true))];
  out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return out.join('\n');
}

function commandTag(r: QueryArrayResult): string {
  if (r.command === 'INSERT') return `INSERT 0 ${r.rowCount ?? 0}`;
  if (['UPDATE', 'DELETE', 'SELECT', 'MOVE', 'FETCH', 'COPY', 'MERGE'].includes(r.command)) return `${r.command} ${r.rowCount ?? 0}`;
  return r.command ?? 'OK';
}

function cell(v: string | null): string {
  if (v === null) return '';
  const flat = v.replace(/\r?\n/g, '\\n');
  return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
}

function center(s: string, w: number): string {
  const left = Math.floor((w - s.length) / 2);
  return ' '.repeat(left) + s + ' '.repeat(w - s.length - left);
}
