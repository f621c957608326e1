// Where the page is: the part of the URL after `#`, as a route name, its parameter and its query, kept in the
// address bar so a view can be reloaded, bookmarked and gone back to.
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  name: 'sessions' | 'session' | 'trace' | 'traces' | 'quota' | 'unknown';
  id: string | null;
  query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const [path = '', qs = ''] = h.split('?', 2);
  const query = new URLSearchParams(qs);
  const parts = path.split('/').filter((p) => p !== '');
  const id = parts[1] === undefined ? null : decodeURIComponent(parts.slice(1).join('/'));
  switch (parts[0]) {
    case undefined:
    case 'sessions':
      return { name: 'sessions', id: null, query };
    case 'session':
    case 'trace':
      return id === null ? { name: 'unknown', id: null, query } : { name: parts[0], id, query };
    case 'traces':
    case 'quota':
      return { name: parts[0], id: null, query };
    default:
      return { name: 'unknown', id: null, query };
  }
}

/** The hash of a view: `href('session', id, {tab: 'conversation'})`. */
export function href(name: Route['name'], id: string | null = null, query: Record<string, string | null | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined && v !== '') q.set(k, v);
  const qs = q.toString();
  return `#/${name}${id === null ? '' : `/${encodeURIComponent(id)}`}${qs ? `?${qs}` : ''}`;
}

export function useRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return parseRoute(hash);
}

/** Changes the query of the current view without adding a history entry for each key typed. */
export function replaceQuery(route: Route, changes: Record<string, string | null>): void {
  const q = new URLSearchParams(route.query);
  for (const [k, v] of Object.entries(changes)) if (v === null || v === '') q.delete(k);
  else q.set(k, v);
  const name = route.name === 'unknown' ? 'sessions' : route.name;
  location.hash = href(name, route.id, Object.fromEntries(q)).slice(1);
}
