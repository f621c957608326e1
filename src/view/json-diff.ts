// A structural diff of two JSON values with a path for each difference: objects key by key, arrays aligned by their
// longest common subsequence of equal elements (jsdiff's diffArrays), so one inserted message reads as one insertion,
// not as every later message changed. The pair and cache views of the viewer show these.
import { isDeepStrictEqual } from 'node:util';
import { diffArrays } from 'diff';

export type ChangeKind = 'added' | 'removed' | 'changed';

/** One difference: where (a JSON Pointer, RFC 6901, into the values), what kind, and the values on each side. */
export interface JsonChange {
  /**
   * `/messages/3/content/0/text`; `` (empty) is the whole value. Array indexes of a removed element count in
   * `before`; of an added or changed one, in `after`.
   */
  path: string;
  kind: ChangeKind;
  /** The value before (absent when added). */
  before?: unknown;
  /** The value after (absent when removed). */
  after?: unknown;
}

export interface JsonDiff {
  changes: JsonChange[];
  /** More differences than `limit`: the list stops there. */
  truncated: boolean;
}

export interface JsonDiffOptions {
  /** Object keys left out of the comparison wherever they occur (e.g. `cache_control`). */
  ignoreKeys?: readonly string[];
  /** Most changes listed (default 500). */
  limit?: number;
}

export const DEFAULT_CHANGE_LIMIT = 500;

/** A path segment escaped for a JSON Pointer. */
export function pointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

type Plain = Record<string, unknown>;
/**
 * A value's JSON text (`undefined` for what JSON cannot hold), the key arrays are aligned by; remembered per object,
 * since the requests of a thread are diffed in a chain and each body is the `after` of one diff and the `before` of
 * the next.
 */
const texts = new WeakMap<object, string>();
function text(v: unknown): string {
  if (typeof v !== 'object' || v === null) return JSON.stringify(v) ?? 'undefined';
  let t = texts.get(v);
  if (t === undefined) {
    t = JSON.stringify(v) ?? 'undefined';
    texts.set(v, t);
  }
  return t;
}
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `value` with the ignored keys removed at every depth (a copy; the input is untouched). */
export function withoutKeys(value: unknown, keys: readonly string[]): unknown {
  if (keys.length === 0) return value;
  if (Array.isArray(value)) return value.map((v) => withoutKeys(v, keys));
  if (isPlain(value)) {
    const out: Plain = {};
    for (const [k, v] of Object.entries(value)) if (!keys.includes(k)) out[k] = withoutKeys(v, keys);
    return out;
  }
  return value;
}

/** The differences between two JSON values. Never throws. */
export function jsonDiff(before: unknown, after: unknown, options: JsonDiffOptions = {}): JsonDiff {
  const limit = options.limit ?? DEFAULT_CHANGE_LIMIT;
  const a = withoutKeys(before, options.ignoreKeys ?? []);
  const b = withoutKeys(after, options.ignoreKeys ?? []);
  const out: JsonChange[] = [];
  let truncated = false;
  const push = (c: JsonChange): boolean => {
    if (out.length >= limit) {
      truncated = true;
      return false;
    }
    out.push(c);
    return true;
  };
  const walk = (x: unknown, y: unknown, at: (string | number)[]): boolean => {
    if (x === y) return true;
    if (isPlain(x) && isPlain(y)) {
      for (const k of Object.keys(x)) {
        if (!Object.hasOwn(y, k)) {
          if (!push({ path: pointer([...at, k]), kind: 'removed', before: x[k] })) return false;
        } else if (!walk(x[k], y[k], [...at, k])) return false;
      }
      for (const k of Object.keys(y)) if (!Object.hasOwn(x, k) && !push({ path: pointer([...at, k]), kind: 'added', after: y[k] })) return false;
      return true;
    }
    if (Array.isArray(x) && Array.isArray(y)) return walkArrays(x, y, at);
    if (isDeepStrictEqual(x, y)) return true;
    return push({ path: pointer(at), kind: 'changed', before: x, after: y });
  };
  const walkArrays = (x: unknown[], y: unknown[], at: (string | number)[]): boolean => {
    // Elements are aligned by their JSON text: one serialisation each, then string comparisons.
    const parts = diffArrays(x.map(text), y.map(text));
    let i = 0;
    let j = 0;
    for (let p = 0; p < parts.length; p++) {
      const part = parts[p]!;
      const count = part.value.length;
      if (!part.added && !part.removed) {
        i += count;
        j += count;
        continue;
      }
      const next = parts[p + 1];
      if (part.removed && next?.added) {
        // A run replaced by another: pair them up element by element (changed), the rest removed or added.
        const removed = count;
        const added = next.value.length;
        const paired = Math.min(removed, added);
        for (let k = 0; k < paired; k++) if (!walk(x[i + k], y[j + k], [...at, j + k])) return false;
        for (let k = paired; k < removed; k++) if (!push({ path: pointer([...at, i + k]), kind: 'removed', before: x[i + k] })) return false;
        for (let k = paired; k < added; k++) if (!push({ path: pointer([...at, j + k]), kind: 'added', after: y[j + k] })) return false;
        i += removed;
        j += added;
        p++;
        continue;
      }
      if (part.removed) {
        for (let k = 0; k < count; k++) if (!push({ path: pointer([...at, i + k]), kind: 'removed', before: x[i + k] })) return false;
        i += count;
      } else {
        for (let k = 0; k < count; k++) if (!push({ path: pointer([...at, j + k]), kind: 'added', after: y[j + k] })) return false;
        j += count;
      }
    }
    return true;
  };
  try {
    walk(a, b, []);
  } catch {
    // A value too deep to walk: say that it differs as a whole.
    if (out.length === 0) out.push({ path: '', kind: 'changed', before, after });
  }
  return { changes: out, truncated };
}
