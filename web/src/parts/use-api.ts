// One API read as view state: the last answer kept while a newer one loads (live updates do not flicker), the
// failure kept beside it (a database that goes away leaves the last page on screen with a notice), a reload.
import { useCallback, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, getJson } from '../api';

export interface ApiState<T> {
  data: T | null;
  error: ApiFailure | null;
  loading: boolean;
  reload: () => void;
}

export function useApi<T>(path: string | null): ApiState<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const lastPath = useRef<string | null>(null);
  // A layout effect: the read starts as the view mounts, not a frame later.
  useLayoutEffect(() => {
    if (path === null) {
      setLoading(false);
      return;
    }
    // A new path forgets the old answer; a reload of the same one keeps it until the new one is here.
    if (lastPath.current !== path) setData(null);
    lastPath.current = path;
    const ctl = new AbortController();
    setLoading(true);
    getJson<T>(path, ctl.signal).then(
      (v) => {
        setData(v);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if ((e as Error).name === 'AbortError') return;
        setError(e instanceof ApiFailure ? e : new ApiFailure(0, 'error', (e as Error).message));
        setLoading(false);
      },
    );
    return () => ctl.abort();
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}
