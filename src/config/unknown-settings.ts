// Settings in ccproxy.yaml that nothing reads: a misspelt section (`mtim:`) or key (`prot:`) would otherwise drop the
// user's settings without a word, sending traffic and traces somewhere else. `ccproxy.mitm` is strict (an unknown
// key there is an error); the rest of the `ccproxy` section and the top level keep what they do not know (the
// original tool's files load unchanged), so these are warnings, each with its file and line and the nearest name.
import { parseDocument } from 'yaml';
import { locate, type LoadedConfig } from './load.js';
import { ccproxySchema } from './schema.js';

/** Keys of the original tool's `ccproxy` section that ccproxy accepts and does not read (README, Gateway). */
const ORIGINAL_KEYS = ['handler', 'statusline', 'inspector', 'credentials'];
const TOP_LEVEL = ['ccproxy', 'litellm'];

/** One warning per key of ccproxy.yaml's top level and `ccproxy` section that ccproxy does not read. */
export function unknownSettings(loaded: Pick<LoadedConfig, 'file' | 'text'>): string[] {
  if (!loaded.text?.trim()) return [];
  let raw: unknown;
  try {
    raw = parseDocument(loaded.text).toJS();
  } catch {
    return []; // a file that does not parse was refused before this
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return [];
  const out: string[] = [];
  const check = (keys: string[], known: readonly string[], path: string[], what: string) => {
    for (const key of keys) {
      if (known.includes(key)) continue;
      const near = nearest(key, known);
      out.push(`${locate(loaded.file, loaded.text!, [...path, key])}: ${[...path, key].join('.')}: ${what}${near ? ` (did you mean ${[...path, near].join('.')}?)` : ''}; it is ignored`);
    }
  };
  const top = raw as Record<string, unknown>;
  check(Object.keys(top), TOP_LEVEL, [], 'not a section ccproxy reads');
  const section = top.ccproxy;
  if (section && typeof section === 'object' && !Array.isArray(section)) check(Object.keys(section), [...Object.keys(ccproxySchema.shape), ...ORIGINAL_KEYS], ['ccproxy'], 'not a setting ccproxy reads');
  return out;
}

/** The known name within two edits of `key`, if one is. */
function nearest(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/** Edit distance with adjacent transpositions (`mtim` is one from `mitm`). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
