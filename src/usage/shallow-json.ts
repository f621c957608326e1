// The top level of a JSON object read without building the rest: each field's value when it is a scalar, an
// array's length, and where a nested object lies (read the same way on demand). A request to an LLM API is mostly
// its conversation (86 KB from Claude Code, growing every turn), and the usage stage needs only its model, stream
// flag and message count: read this way that costs about a seventh of JSON.parse and allocates nothing for the
// rest. Strings are skipped by searching for their closing quote; nothing inside nested values is validated.
// A body cut short (the capture's size limit) gives the fields that ended before the cut.

export type Field = { kind: 'scalar'; value: unknown } | { kind: 'array'; length: number } | { kind: 'object'; start: number; end: number };

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

/** A JSON object's top-level fields, over the bytes they were read from. */
export class ShallowObject implements TopLevel {
  constructor(
    private readonly bytes: Buffer,
    readonly fields: ReadonlyMap<string, Field>,
  ) {}

  string(name: string): string | null {
    const f = this.fields.get(name);
    return f?.kind === 'scalar' && typeof f.value === 'string' ? f.value : null;
  }

  scalar(name: string): unknown {
    const f = this.fields.get(name);
    return f?.kind === 'scalar' ? f.value : undefined;
  }

  arrayLength(name: string): number | null {
    const f = this.fields.get(name);
    return f?.kind === 'array' ? f.length : null;
  }

  object(name: string): ShallowObject | null {
    const f = this.fields.get(name);
    if (f?.kind !== 'object') return null;
    const r = readTopLevel(this.bytes, f.start, f.end);
    return r.ok ? r.object : null;
  }
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

  /** The JSON text from `from` to here, parsed. */
  parse(from: number): unknown {
    return JSON.parse(this.b.toString('utf8', from, this.i)) as unknown;
  }
}

/** Reads the object at `start` (leading space allowed) up to `end`; anything but an object is not ok. */
export function readTopLevel(b: Buffer, start = 0, end = b.length): ShallowResult {
  const fields = new Map<string, Field>();
  const c = new Cursor(b, start, end);
  const bad = (what: string): ShallowResult => ({ ok: false, reason: `${what} at byte ${c.i - start}` });
  const read = (cut: boolean): ShallowResult => ({ ok: true, object: new ShallowObject(b, fields), cut });

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
    let name: string;
    try {
      name = c.parse(nameAt) as string;
    } catch {
      return bad('a field name that is not a JSON string');
    }
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
      fields.set(name, first === 0x5b ? { kind: 'array', length: n } : { kind: 'object', start: valueAt, end: c.i });
    } else {
      if (first === QUOTE) {
        if (!c.skipString()) return read(true);
      } else {
        c.skipWord();
        if (c.i >= end) return read(true);
      }
      try {
        fields.set(name, { kind: 'scalar', value: c.parse(valueAt) });
      } catch {
        c.i = valueAt;
        return bad(`the value of "${name}" is not JSON`);
      }
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
