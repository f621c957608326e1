// Reads the viewer's JSON API: one fetch helper that turns every failure (HTTP error, a refused session, the server
// gone, an answer that is not JSON) into an ApiFailure the views can show, never an exception that blanks the page.

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    /** The 0-based column of a filter error, when the server names one. */
    readonly position: number | null = null,
  ) {
    super(message);
  }
}

/** A path of the API with its query, leaving out empty parameters. */
export function apiPath(path: string, params: Record<string, string | number | null | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' }, signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiFailure(0, 'unreachable', 'The viewer cannot be reached: is ccproxy still running?');
  }
  const text = await res.text().catch(() => '');
  let value: unknown = undefined;
  try {
    value = text === '' ? undefined : JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!res.ok) {
    const e = (value as { error?: { type?: string; message?: string; position?: number | null } } | undefined)?.error;
    if (res.status === 401 || res.status === 403) throw new ApiFailure(res.status, e?.type ?? 'refused', e?.message ?? 'This browser is not signed in to the viewer: open the link `ccproxy ui` prints.');
    throw new ApiFailure(res.status, e?.type ?? 'http_error', e?.message ?? `${res.status} ${res.statusText}`, typeof e?.position === 'number' ? e.position : null);
  }
  if (value === undefined) throw new ApiFailure(res.status, 'bad_answer', `${path} did not answer JSON`);
  return value as T;
}

/** Everything the server read of a body (the detail carries only its start when it is long). */
export async function getText(path: string, signal?: AbortSignal): Promise<string> {
  let res: Response;
  try {
    res = await fetch(path, { credentials: 'same-origin', signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiFailure(0, 'unreachable', 'The viewer cannot be reached: is ccproxy still running?');
  }
  if (!res.ok) throw new ApiFailure(res.status, 'http_error', `${res.status} ${res.statusText}`);
  return res.text();
}

export const enc = encodeURIComponent;
