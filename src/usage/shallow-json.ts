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

/** Reads the object at `start` (leading space allowed) up to `end`; anything but an object is not ok. */
export function readTopLevel(b: Buffer, start = 0, end = b.length): ShallowResult {
  const fields = new Map<string, Field>();
  let i = start;
  const space = () => {
    while (i < end && isSpace(b[i])) i++;
  };
  /** From an opening quote to just past its closing one; false when the text ends first. */
  const skipString = (): boolean => {
    let from = i + 1;
    for (;;) {
      const q = b.indexOf(QUOTE, from);
      if (q < 0 || q >= end) {
        i = end;
        return false;
      }
      let escapes = 0;
      for (let k = q - 1; b[k] === BACKSLASH; k--) escapes++;
      from = q + 1;
      if (escapes % 2 === 0) {
        i = from;
        return true;
      }
    }
  };
  /** Over an array or object from its opening bracket; the count of an array's items, or -1 when the text ends first. */
  const skipNested = (): number => {
    let depth = 0;
    let commas = 0;
    let item = false;
    while (i < end) {
      const c = b[i]!;
      if (c === QUOTE) {
        if (depth === 1) item = true;
        if (!skipString()) return -1;
        continue;
      }
      i++;
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
  };
  const bad = (what: string) => ({ ok: false as const, reason: `${what} at byte ${i - start}` });
  const whole = () => ({ ok: true as const, object: new ShallowObject(b, fields), cut: false });
  const cut = () => ({ ok: true as const, object: new ShallowObject(b, fields), cut: true });

  space();
  if (i >= end) return bad('no JSON value');
  if (b[i] !== 0x7b) return bad('not a JSON object');
  i++;
  for (;;) {
    space();
    if (i >= end) return cut();
    if (b[i] === 0x7d) return whole();
    if (b[i] !== QUOTE) return bad('expected a field name');
    const nameAt = i;
    if (!skipString()) return cut();
    let name: string;
    try {
      name = JSON.parse(b.toString('utf8', nameAt, i)) as string;
    } catch {
      return bad('a field name that is not a JSON string');
    }
    space();
    if (i >= end) return cut();
    if (b[i] !== 0x3a) return bad('expected a colon');
    i++;
    space();
    if (i >= end) return cut();
    const valueAt = i;
    const c = b[i]!;
    if (c === 0x5b || c === 0x7b) {
      const n = skipNested();
      if (n < 0) return cut();
      fields.set(name, c === 0x5b ? { kind: 'array', length: n } : { kind: 'object', start: valueAt, end: i });
    } else {
      if (c === QUOTE) {
        if (!skipString()) return cut();
      } else {
        while (i < end && b[i] !== 0x2c && b[i] !== 0x7d && !isSpace(b[i])) i++;
        if (i >= end) return cut();
      }
      try {
        fields.set(name, { kind: 'scalar', value: JSON.parse(b.toString('utf8', valueAt, i)) as unknown });
      } catch {
        i = valueAt;
        return bad(`the value of "${name}" is not JSON`);
      }
    }
    space();
    if (i >= end) return cut();
    if (b[i] === 0x2c) {
      i++;
      continue;
    }
    if (b[i] === 0x7d) return whole();
    return bad('expected a comma or a closing brace');
  }
}
