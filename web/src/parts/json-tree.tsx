// A JSON value as a tree that opens on click: only opened nodes are rendered, long arrays come in slices and long
// strings cut, so a 10 MB body opens at once. Paths marked by the caller (a diff) are highlighted.
import { useState } from 'preact/hooks';

/** Children rendered per slice of a long array or object. */
const SLICE = 100;
/** Characters of a string shown before "more". */
const STRING_CUT = 400;

interface Props {
  value: unknown;
  /** Levels open at first. */
  open?: number;
  /** JSON Pointers to highlight, with a class each (`changed`, `added`, `removed`). */
  marks?: ReadonlyMap<string, string>;
}

export function JsonTree({ value, open = 2, marks }: Props) {
  return (
    <div class="json-tree">
      <Node value={value} path="" depth={0} open={open} marks={marks} />
    </div>
  );
}

const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

function Leaf({ value }: { value: unknown }) {
  const [all, setAll] = useState(false);
  if (typeof value === 'string') {
    const long = value.length > STRING_CUT && !all;
    return (
      <span class="j-str">
        "{long ? value.slice(0, STRING_CUT) : value}
        {long ? (
          <button type="button" class="linkish" onClick={() => setAll(true)}>
            … {value.length - STRING_CUT} more characters
          </button>
        ) : null}
        "
      </span>
    );
  }
  if (value === null) return <span class="j-null">null</span>;
  if (typeof value === 'number') return <span class="j-num">{String(value)}</span>;
  if (typeof value === 'boolean') return <span class="j-bool">{String(value)}</span>;
  return <span>{String(value)}</span>;
}

function Node({ value, path, depth, open, marks, name }: { value: unknown; path: string; depth: number; open: number; marks?: ReadonlyMap<string, string>; name?: string }) {
  const isObj = value !== null && typeof value === 'object';
  const entries: [string, unknown][] = isObj ? (Array.isArray(value) ? value.map((v, i) => [String(i), v] as [string, unknown]) : Object.entries(value as Record<string, unknown>)) : [];
  const [expanded, setExpanded] = useState(depth < open && entries.length <= 1000);
  const [limit, setLimit] = useState(SLICE);
  const mark = marks?.get(path);
  const label = name === undefined ? null : <span class="j-key">{name}: </span>;
  if (!isObj) {
    return (
      <div class={`j-line ${mark ? `mark-${mark}` : ''}`}>
        {label}
        <Leaf value={value} />
      </div>
    );
  }
  const arr = Array.isArray(value);
  const summary = arr ? `[${entries.length}]` : `{${entries.length}}`;
  return (
    <div class={`j-node ${mark ? `mark-${mark}` : ''}`}>
      <button type="button" class="j-toggle" aria-expanded={expanded} onClick={() => setExpanded(!expanded)}>
        {expanded ? '▾' : '▸'} {label}
        <span class="j-sum">{summary}</span>
      </button>
      {expanded && (
        <div class="j-children">
          {entries.slice(0, limit).map(([k, v]) => (
            <Node key={k} value={v} name={k} path={`${path}/${esc(k)}`} depth={depth + 1} open={open} marks={marks} />
          ))}
          {entries.length > limit && (
            <button type="button" class="linkish" onClick={() => setLimit(limit + SLICE * 10)}>
              show {Math.min(SLICE * 10, entries.length - limit)} more of {entries.length - limit}
            </button>
          )}
        </div>
      )}
    </div>
  );
}
