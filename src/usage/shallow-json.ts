// The top level of a JSON object read without building the rest: where each field's name and value lie, an
// array's length, and where a nested object lies (read the same way on demand); a scalar is decoded when asked
// for. A request to an LLM API is mostly its conversation (86 KB from Claude Code, growing every turn), and the
// usage stage needs only its model, stream flag and message count: read this way that costs about a seventh of
// JSON.parse and allocates nothing for the rest. Strings are skipped by searching for their closing quote;
// numbers, true, false and null are checked as they are passed, strings only when decoded, and nothing inside
// nested values.
// A body cut short (the capture's size limit) gives the fields that ended before the cut.

export type ShallowResult = { ok: true; object: ShallowObject; cut: boolean } | { ok: false; reason: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** What a request reader asks of a JSON object's top level, read shallowly or already parsed. */
export interface TopLevel {
  /** A string field's value, or null. */
  string(name: string): string | null;
  /** A scalar field's value (string, number, boolean or null), or undefined when absent or not a scalar. */
  scalar(name: string): unknown;
  /** An array field's length, or null when it is not an array. */
  arrayLength(name: string): number | null;
  /** A nested object's top level, or null when the field is not an object. */
  object(name: string): TopLevel | null;
}

/** The same questions of an object already parsed (a WebSocket message, say). */
export function parsedTopLevel(o: Record<string, unknown>): TopLevel {
  return {
    string: (name) => (typeof o[name] === 'string' ? (o[name] as string) : null),
    scalar: (name) => {
      const v = o[name];
      return v === null || typeof v !== 'object' ? v : undefined;
    },
    arrayLength: (name) => (Array.isArray(o[name]) ? (o[name] as unknown[]).length : null),
    object: (name) => {
      const v = o[name];
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? parsedTopLevel(v as Record<string, unknown>) : null;
    },
  };
}

const SCALAR = 0;
const ARRAY = 1;
const OBJECT = 2;
/**
 * Numbers kept per field: name start and end (inside its quotes), kind, then a scalar's value start and end, an
 * array's length, or an object's start and end.
 */
const SPAN = 5;

/**
 * A JSON object's top-level fields, over the bytes they were read from: where each name and value lies, decoded
 * only when asked for. A name is compared with the bytes as they are (decoded first when it holds an escape); of
 * two fields with one name, the later counts, as with JSON.parse. A string value that does not decode (a bad
 * escape) reads as absent.
 */
export class ShallowObject implements TopLevel {
  constructor(
    private readonly bytes: Buffer,
    private readonly spans: readonly number[],
  ) {}

  string(name: string): string | null {
    const v = this.scalar(name);
    return typeof v === 'string' ? v : null;
  }

  scalar(name: string): unknown {
    const at = this.find(name);
    if (at < 0 || this.spans[at + 2] !== SCALAR) return undefined;
    return this.decode(this.spans[at + 3]!, this.spans[at + 4]!);
  }

  arrayLength(name: string): number | null {
    const at = this.find(name);
    return at >= 0 && this.spans[at + 2] === ARRAY ? this.spans[at + 3]! : null;
  }

  object(name: string): ShallowObject | null {
    const at = this.find(name);
    if (at < 0 || this.spans[at + 2] !== OBJECT) return null;
    const r = readTopLevel(this.bytes, this.spans[at + 3]!, this.spans[at + 4]!);
    return r.ok ? r.object : null;
  }

  /** The index in `spans` of the last field called `name`, or -1. */
  private find(name: string): number {
    const { bytes: b, spans } = this;
    const ascii = !/[^\x00-\x7f]/.test(name);
    for (let at = spans.length - SPAN; at >= 0; at -= SPAN) {
      const from = spans[at]!;
      const to = spans[at + 1]!;
      if (hasBackslash(b, from, to)) {
        if (this.decode(from - 1, to + 1) === name) return at;
        continue;
      }
      if (to - from !== name.length) {
        // Not the same length in bytes: equal only when the name has characters beyond ASCII.
        if (!ascii && b.toString('utf8', from, to) === name) return at;
        continue;
      }
      let k = 0;
      while (k < name.length && b[from + k] === name.charCodeAt(k)) k++;
      if (k === name.length) return at;
    }
    return -1;
  }

  /** A scalar's JSON text, decoded: a string without escapes straight from its bytes. */
  private decode(from: number, to: number): unknown {
    const b = this.bytes;
    if (b[from] === QUOTE) {
      if (!hasBackslash(b, from + 1, to - 1)) return b.toString('utf8', from + 1, to - 1);
    } else {
      const word = wordValue(b, from, to);
      if (word !== NOT_A_WORD) return word;
    }
    try {
      return JSON.parse(b.toString('utf8', from, to)) as unknown;
    } catch {
      return undefined;
    }
  }
}

/** Whether bytes `from` to `to` hold a backslash (an escape), searched within that range only. */
function hasBackslash(b: Buffer, from: number, to: number): boolean {
  if (to - from > 32) return b.subarray(from, to).includes(BACKSLASH);
  for (let i = from; i < to; i++) if (b[i] === BACKSLASH) return true;
  return false;
}

const NOT_A_WORD = Symbol('not a word');

const isTrue = (b: Buffer, i: number, n: number) => n === 4 && b[i] === 0x74 && b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65;
const isFalse = (b: Buffer, i: number, n: number) => n === 5 && b[i] === 0x66 && b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65;
const isNull = (b: Buffer, i: number, n: number) => n === 4 && b[i] === 0x6e && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c;

/** Whether the bytes are `true`, `false`, `null` or a JSON number (checked as the read passes them). */
function isWord(b: Buffer, from: number, to: number): boolean {
  const n = to - from;
  return isTrue(b, from, n) || isFalse(b, from, n) || isNull(b, from, n) || isNumber(b, from, to);
}

/** `true`, `false`, `null` or a JSON number from its bytes; NOT_A_WORD for anything else. */
function wordValue(b: Buffer, from: number, to: number): unknown {
  const n = to - from;
  if (isTrue(b, from, n)) return true;
  if (isFalse(b, from, n)) return false;
  if (isNull(b, from, n)) return null;
  return isNumber(b, from, to) ? Number(b.toString('latin1', from, to)) : NOT_A_WORD;
}

/** Whether the bytes are a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
function isNumber(b: Buffer, from: number, to: number): boolean {
  const digit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
  let i = from;
  if (b[i] === 0x2d) i++;
  if (b[i] === 0x30) i++;
  else if (digit(b[i]) && i < to) while (i < to && digit(b[i])) i++;
  else return false;
  if (i < to && b[i] === 0x2e) {
    i++;
    if (!(i < to && digit(b[i]))) return false;
    while (i < to && digit(b[i])) i++;
  }
  if (i < to && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < to && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    if (!(i < to && digit(b[i]))) return false;
    while (i < to && digit(b[i])) i++;
  }
  return i === to;
}

/** A position in the bytes of one JSON text, moving forward only. */
class Cursor {
  constructor(
    readonly b: Buffer,
    public i: number,
    readonly end: number,
  ) {}

  space(): void {
    const { b, end } = this;
    let i = this.i;
    while (i < end && isSpace(b[i])) i++;
    this.i = i;
  }

  /** From an opening quote to just past its closing one; false when the text ends first. */
  skipString(): boolean {
    const { b, end } = this;
    let from = this.i + 1;
    for (;;) {
      const q = b.indexOf(QUOTE, from);
      if (q < 0 || q >= end) {
        this.i = end;
        return false;
      }
      let escapes = 0;
      for (let k = q - 1; b[k] === BACKSLASH; k--) escapes++;
      from = q + 1;
      if (escapes % 2 === 0) {
        this.i = from;
        return true;
      }
    }
  }

  /** Over an array or object from its opening bracket: an array's item count, or -1 when the text ends first. */
  skipNested(): number {
    const { b, end } = this;
    let depth = 0;
    let commas = 0;
    let item = false;
    while (this.i < end) {
      const c = b[this.i]!;
      if (c === QUOTE) {
        if (depth === 1) item = true;
        if (!this.skipString()) return -1;
        continue;
      }
      this.i++;
      if (c === 0x7b || c === 0x5b) {
        if (depth === 1) item = true;
        depth++;
      } else if (c === 0x7d || c === 0x5d) {
        if (--depth === 0) return item ? commas + 1 : 0;
      } else if (depth === 1) {
        if (c === 0x2c) commas++;
        else if (!isSpace(c)) item = true;
      }
    }
    return -1;
  }

  /** Over a number, true, false or null: to the next comma, brace or space. */
  skipWord(): void {
    const { b, end } = this;
    let i = this.i;
    while (i < end && b[i] !== 0x2c && b[i] !== 0x7d && !isSpace(b[i])) i++;
    this.i = i;
  }
}

/** Reads the object at `start` (leading space allowed) up to `end`; anything but an object is not ok. */
export function readTopLevel(b: Buffer, start = 0, end = b.length): ShallowResult {
  const spans: number[] = [];
  const c = new Cursor(b, start, end);
  const bad = (what: string): ShallowResult => ({ ok: false, reason: `${what} at byte ${c.i - start}` });
  const read = (cut: boolean): ShallowResult => ({ ok: true, object: new ShallowObject(b, spans), cut });

  c.space();
  if (c.i >= end) return bad('no JSON value');
  if (b[c.i] !== 0x7b) return bad('not a JSON object');
  c.i++;
  for (;;) {
    c.space();
    if (c.i >= end) return read(true);
    if (b[c.i] === 0x7d) return read(false);
    if (b[c.i] !== QUOTE) return bad('expected a field name');
    const nameAt = c.i;
    if (!c.skipString()) return read(true);
    const nameEnd = c.i - 1;
    c.space();
    if (c.i >= end) return read(true);
    if (b[c.i] !== 0x3a) return bad('expected a colon');
    c.i++;
    c.space();
    if (c.i >= end) return read(true);
    const valueAt = c.i;
    const first = b[c.i]!;
    if (first === 0x5b || first === 0x7b) {
      const n = c.skipNested();
      if (n < 0) return read(true);
      if (first === 0x5b) spans.push(nameAt + 1, nameEnd, ARRAY, n, 0);
      else spans.push(nameAt + 1, nameEnd, OBJECT, valueAt, c.i);
    } else {
      if (first === QUOTE) {
        if (!c.skipString()) return read(true);
      } else {
        c.skipWord();
        if (c.i >= end) return read(true);
        if (!isWord(b, valueAt, c.i)) {
          c.i = valueAt;
          return bad(`the value of "${b.toString('utf8', nameAt + 1, nameEnd)}" is not JSON`);
        }
      }
      spans.push(nameAt + 1, nameEnd, SCALAR, valueAt, c.i);
    }
    c.space();
    if (c.i >= end) return read(true);
    if (b[c.i] === 0x2c) {
      c.i++;
      continue;
    }
    if (b[c.i] === 0x7d) return read(false);
    return bad('expected a comma or a closing brace');
  }
}
