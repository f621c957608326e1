// ccproxy.mitm.map_remote: the forward capture sends a client's request somewhere else than it asked for
// (mitmproxy's "map remote"), for clients that cannot be pointed at a base URL: `{ from: "https://api.openai.com",
// to: "http://127.0.0.1:4000" }` sends Codex through the gateway. Entries are URL prefixes matched at a path
// segment boundary; the longest matching `from` wins. Pure: parsing and rewriting only, no I/O.

/** One entry as ccproxy.yaml writes it. */
export interface MapRemoteEntry {
  from: string;
  to: string;
}

/** A URL prefix, split for matching: `scheme://host[:port]` in canonical form, and the path prefix. */
interface Prefix {
  origin: string;
  path: string;
}

interface Rule {
  from: Prefix;
  to: Prefix;
}

/** Why `value` is not a usable URL prefix, or null: an absolute http(s) URL with no query, fragment or credentials. */
export function prefixProblem(value: string): string | null {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return `${JSON.stringify(value)} is not an absolute URL (expected http://host[:port][/path] or https://…)`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `${JSON.stringify(value)}: expected an http:// or https:// URL (WebSocket ws:// and wss:// are mapped by the http:// and https:// entries)`;
  if (u.username || u.password) return `${JSON.stringify(value)}: a URL prefix carries no user or password`;
  if (u.search || u.hash || value.includes('?') || value.includes('#')) return `${JSON.stringify(value)}: a URL prefix has no query or fragment`;
  return null;
}

function prefix(value: string): Prefix {
  const u = new URL(value);
  // URL drops a default port and lower-cases scheme and host, as it does for the requests matched.
  return { origin: `${u.protocol}//${u.host}`, path: u.pathname };
}

/** Whether `path` lies under the prefix path `p`: `/v1` covers `/v1` and `/v1/…` but not `/v1beta`. */
function under(path: string, p: string): boolean {
  if (p.endsWith('/')) return path.startsWith(p);
  return path === p || path.startsWith(`${p}/`);
}

export class MapRemote {
  private readonly rules: Rule[];

  /** Entries are expected valid (the configuration schema checks them with prefixProblem). */
  constructor(entries: readonly MapRemoteEntry[]) {
    const rules = entries.map((e) => ({ from: prefix(e.from), to: prefix(e.to) }));
    // Longest `from` first, so a more specific entry wins over a broader one; equal lengths keep the file's order.
    this.rules = rules.map((r, i) => ({ r, i, len: r.from.origin.length + r.from.path.length })).sort((a, b) => b.len - a.len || a.i - b.i).map((x) => x.r);
  }

  get size(): number {
    return this.rules.length;
  }

  /** The URL `url` is sent to instead, or null when no entry matches. `url` is absolute (http or https). */
  map(url: string): URL | null {
    if (this.rules.length === 0) return null;
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return null;
    }
    const origin = `${u.protocol}//${u.host}`;
    for (const { from, to } of this.rules) {
      if (origin !== from.origin || !under(u.pathname, from.path)) continue;
      // What follows the matched prefix (from its slash on) goes after `to`'s path.
      const rest = u.pathname.slice(from.path.replace(/\/$/, '').length);
      return new URL(`${to.origin}${to.path.replace(/\/$/, '') + rest || '/'}${u.search}`);
    }
    return null;
  }
}
