// The page's one connection to /api/live: new traces and the database's state pushed by the server (SSE). Views
// subscribe to "something changed" and refetch what they show; the banner shows whether the database is up.
import { useEffect, useState } from 'preact/hooks';

export interface LiveState {
  /** The event stream is open. */
  connected: boolean;
  /** The server's database, as /api/live last said; null before it said. */
  database: boolean | null;
  message: string | null;
}

type Listener = (payload: unknown) => void;

const listeners = new Set<Listener>();
const stateListeners = new Set<(s: LiveState) => void>();
let state: LiveState = { connected: false, database: null, message: null };
let source: EventSource | null = null;

function setState(s: Partial<LiveState>): void {
  state = { ...state, ...s };
  for (const l of stateListeners) l(state);
}

function open(): void {
  if (source || typeof EventSource === 'undefined') return;
  const es = new EventSource('/api/live');
  source = es;
  es.onopen = () => setState({ connected: true });
  // EventSource reconnects by itself (the server asks for a 1 s retry).
  es.onerror = () => setState({ connected: false });
  const read = (e: MessageEvent): unknown => {
    try {
      return JSON.parse(String(e.data));
    } catch {
      return null;
    }
  };
  es.addEventListener('hello', (e) => {
    const d = read(e as MessageEvent) as { database?: boolean | null } | null;
    setState({ connected: true, database: d?.database ?? null });
  });
  es.addEventListener('database', (e) => {
    const d = read(e as MessageEvent) as { up?: boolean; message?: string } | null;
    setState({ database: d?.up ?? null, message: d?.message ?? null });
    // Coming back: what the views show may be stale.
    if (d?.up) for (const l of listeners) l(null);
  });
  es.addEventListener('traces', (e) => {
    const payload = read(e as MessageEvent);
    for (const l of listeners) l(payload);
  });
}

/** A notification's payload (README: Live): the sessions written to, up to 20, `more` when there were others. */
interface TracesPayload {
  sessions?: string[];
  more?: boolean;
}

/** The payload may concern this session: it names it, names too many to tell, or says nothing (the database came back). */
export const concerns = (sessionId: string) => (payload: unknown): boolean => {
  const p = payload as TracesPayload | null;
  return !p || !Array.isArray(p.sessions) || p.more === true || p.sessions.includes(sessionId);
};

/** Calls `onChange` (at most every `minGapMs`) when new traces were written (and `match` says they matter). */
export function useLive(onChange: () => void, minGapMs = 300, match?: (payload: unknown) => boolean): void {
  useEffect(() => {
    open();
    let timer: ReturnType<typeof setTimeout> | null = null;
    let last = 0;
    const l: Listener = (payload) => {
      if (match && !match(payload)) return;
      if (timer) return;
      const wait = Math.max(0, last + minGapMs - Date.now());
      timer = setTimeout(() => {
        timer = null;
        last = Date.now();
        onChange();
      }, wait);
    };
    listeners.add(l);
    return () => {
      listeners.delete(l);
      if (timer) clearTimeout(timer);
    };
    // `match` is read when called: a new function each render does not resubscribe.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [onChange, minGapMs]);
}

export function useLiveState(): LiveState {
  const [s, set] = useState(state);
  useEffect(() => {
    open();
    stateListeners.add(set);
    set(state);
    return () => void stateListeners.delete(set);
  }, []);
  return s;
}
