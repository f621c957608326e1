// Writer operations as compact binary frames, for the crash journal: bodies are copied as they are (no base64,
// no JSON escaping), so journaling an exchange costs little more than a memory copy. Each frame carries its
// length first; a frame cut short by a crash mid-write is recognised and dropped on reading.
import { newOp, type Op, type WireValue } from './ops.js';

const KINDS: Op['kind'][] = ['create', 'complete', 'ws', 'timing', 'usage'];
/** The kind byte of the head that ends a mapped journal file's frames (journal-file.ts): no operation has it. */
export const END_KIND = 0xff;
const enum Tag {
  Null = 0,
  Text = 1,
  Number = 2,
  True = 3,
  False = 4,
  Bytes = 5,
}

/** Field names as bytes, made once each: the names are the tables' column names, a small fixed set. */
const NAMES = new Map<string, Buffer>();
function nameBytes(name: string): Buffer {
  let b = NAMES.get(name);
  if (b === undefined) {
    b = Buffer.from(name, 'latin1');
    if (NAMES.size < 1024) NAMES.set(name, b);
  }
  return b;
}

/** Copies a short byte string (a name) without a call into the runtime. */
function put(out: Buffer, at: number, src: Buffer): void {
  for (let i = 0; i < src.length; i++) out[at + i] = src[i]!;
}

/** Whether a short string is ASCII: then its length is its byte count, found without a call into the runtime. */
function isAscii(v: string): boolean {
  for (let k = 0; k < v.length; k++) if (v.charCodeAt(k) > 0x7f) return false;
  return true;
}

/**
 * The frames of `ops`, back to back, in one buffer. Texts are measured once and written once. With `scratch`
 * (a buffer the caller uses again once it is done with the result), frames that fit are written into it.
 */
export function encodeFrames(ops: readonly Op[], scratch?: Buffer): Buffer {
  let total = 0;
  const sizes: number[] = [];
  const textBytes: number[] = [];
  for (const op of ops) {
    // length, kind, id length + id, n, field count
    let size = 4 + 1 + 2 + Buffer.byteLength(op.id) + 4 + 1;
    const fields = op.fields;
    for (const name in fields) {
      const v = fields[name]!;
      size += 1 + name.length;
      if (v === null || typeof v === 'boolean') size += 1;
      else if (typeof v === 'number') size += 9;
      else if (typeof v === 'string') {
        const n = v.length <= 32 && isAscii(v) ? v.length : Buffer.byteLength(v);
        textBytes.push(n);
        size += 5 + n;
      } else size += 5 + v.length;
    }
    sizes.push(size);
    total += size;
  }
  const out = scratch !== undefined && total <= scratch.length ? scratch.subarray(0, total) : Buffer.allocUnsafe(total);
  let at = 0;
  let t = 0;
  ops.forEach((op, i) => {
    out.writeUInt32LE(sizes[i]! - 4, at);
    out[at + 4] = KINDS.indexOf(op.kind);
    const idLen = out.write(op.id, at + 7, 'utf8');
    out.writeUInt16LE(idLen, at + 5);
    at += 7 + idLen;
    out.writeUInt32LE(op.n, at);
    const countAt = at + 4;
    at += 5;
    let count = 0;
    const fields = op.fields;
    for (const name in fields) {
      const v = fields[name]!;
      const nb = nameBytes(name);
      out[at] = nb.length;
      put(out, at + 1, nb);
      at += 1 + nb.length;
      count++;
      if (v === null) out[at++] = Tag.Null;
      else if (v === true) out[at++] = Tag.True;
      else if (v === false) out[at++] = Tag.False;
      else if (typeof v === 'number') {
        out[at] = Tag.Number;
        out.writeDoubleLE(v, at + 1);
        at += 9;
      } else if (typeof v === 'string') {
        const n = textBytes[t++]!;
        out[at] = Tag.Text;
        out.writeUInt32LE(n, at + 1);
        if (n === v.length && n <= 32) for (let k = 0; k < n; k++) out[at + 5 + k] = v.charCodeAt(k);
        else out.write(v, at + 5, n, 'utf8');
        at += 5 + n;
      } else {
        out[at] = Tag.Bytes;
        out.writeUInt32LE(v.length, at + 1);
        v.copy(out, at + 5);
        at += 5 + v.length;
      }
    }
    out[countAt] = count;
  });
  return out;
}

/** The operations in `buf`, up to an end marker (a mapped file's); a last frame cut short is left out. */
export function decodeFrames(buf: Buffer): Op[] {
  const ops: Op[] = [];
  let at = 0;
  while (at + 4 <= buf.length) {
    const len = buf.readUInt32LE(at);
    // An end marker, or zeros: a mapped file not yet given its first end marker (a kill right after it was made).
    if (len === 0 || buf[at + 4] === END_KIND) break;
    const end = at + 4 + len;
    if (end > buf.length) break;
    const kind = KINDS[buf[at + 4]!];
    if (!kind) throw new Error(`journal frame at byte ${at}: unknown kind ${buf[at + 4]}`);
    const idLen = buf.readUInt16LE(at + 5);
    const id = buf.toString('utf8', at + 7, at + 7 + idLen);
    let p = at + 7 + idLen;
    const n = buf.readUInt32LE(p);
    const count = buf[p + 4]!;
    p += 5;
    const fields: Record<string, WireValue> = {};
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const name = buf.toString('latin1', p + 1, p + 1 + buf[p]!);
      p += 1 + buf[p]!;
      const tag = buf[p] as Tag;
      if (tag === Tag.Null) fields[name] = null;
      else if (tag === Tag.True || tag === Tag.False) fields[name] = tag === Tag.True;
      else if (tag === Tag.Number) {
        fields[name] = buf.readDoubleLE(p + 1);
        p += 8;
      } else {
        const len = buf.readUInt32LE(p + 1);
        if (tag === Tag.Text) fields[name] = buf.toString('utf8', p + 5, p + 5 + len);
        else {
          fields[name] = Buffer.from(buf.subarray(p + 5, p + 5 + len));
          bytes += len;
        }
        p += 4 + len;
      }
      p++;
    }
    ops.push(newOp(kind, id, fields, bytes, n));
    at = end;
  }
  return ops;
}
