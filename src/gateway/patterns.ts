// LiteLLM's wildcard model names in config.yaml (`*`, `anthropic/*`, `claude-*`): which pattern a requested model
// matches, and the deployment model it becomes, the parts matched by each `*` carried into the target's `*`s in
// order. When several patterns match, the most specific wins by LiteLLM's own sort
// (router_utils/pattern_match_deployments.py): the pattern turned into a regex as Python's re.escape writes it,
// longest regex first, then the most regex metacharacters; ties keep config.yaml's order. Unlike LiteLLM's
// re.match, a pattern must match the whole name (`claude-*-latest` does not match `claude-x-latest-2`).

const WILDCARD = '*';
/** The characters Python 3.7+'s re.escape escapes: LiteLLM's regex length (its specificity) counts their backslashes. */
const PY_ESCAPED = new Set('()[]{}?*+-|^$\\.&~# \t\n\r\v\f');
/** The characters LiteLLM counts as regex complexity, the second key of its sort. */
const COMPLEXITY = new Set('*+?\\^$|()');

export const isPattern = (name: string): boolean => name.includes(WILDCARD);

export interface Pattern {
  /** The model_name as written, e.g. `claude-*`. */
  name: string;
  /** LiteLLM's sort key: [length of its regex, metacharacters in it]; larger is more specific. */
  specificity: [number, number];
  regex: RegExp;
}

/** The regex LiteLLM builds for a pattern: re.escape(pattern) with each escaped `*` replaced by `(.*)`. */
function litellmRegexSource(pattern: string): string {
  let out = '';
  for (const ch of pattern) out += ch === WILDCARD ? '(.*)' : PY_ESCAPED.has(ch) ? `\\${ch}` : ch;
  return out;
}

export function compilePattern(name: string): Pattern {
  const source = litellmRegexSource(name);
  let complexity = 0;
  for (const ch of source) if (COMPLEXITY.has(ch)) complexity++;
  // The matching regex: the same groups, JavaScript escaping, anchored at both ends.
  const js = name
    .split(WILDCARD)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))
    .join('(.*)');
  return { name, specificity: [source.length, complexity], regex: new RegExp(`^${js}$`, 's') };
}

/** Most specific first; a stable sort, so equal patterns keep their config.yaml order (as Python's sorted does). */
export function bySpecificity<T extends { pattern: Pattern }>(entries: readonly T[]): T[] {
  return [...entries].sort((a, b) => b.pattern.specificity[0] - a.pattern.specificity[0] || b.pattern.specificity[1] - a.pattern.specificity[1]);
}

export interface PatternMatch<T> {
  entry: T;
  /** What each `*` matched, in order. */
  segments: string[];
}

/** The first of `sorted` (see bySpecificity) whose pattern matches all of `name`. */
export function matchPattern<T extends { pattern: Pattern }>(sorted: readonly T[], name: string): PatternMatch<T> | null {
  for (const entry of sorted) {
    const m = entry.pattern.regex.exec(name);
    if (m) return { entry, segments: m.slice(1).map((s) => s ?? '') };
  }
  return null;
}

/**
 * The deployment model for a match, as LiteLLM's set_deployment_model_name: a target without `*` is used as is;
 * otherwise each `*` takes the next matched segment; more segments than the target has `*`s: the requested name.
 */
export function fillTarget(target: string, segments: readonly string[], requested: string): string {
  if (!isPattern(target)) return target;
  const wildcards = target.split(WILDCARD).length - 1;
  if (segments.length > wildcards) return requested;
  let out = target;
  for (const s of segments) out = out.replace(WILDCARD, () => s);
  return out;
}
