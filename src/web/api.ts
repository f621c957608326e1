// The viewer's JSON API: one table of routes, each a thin adapter over a read module (sessions, exchanges,
// trace-detail, quota, the HAR writer, the session views, the live feed). Every list is paged by a keyset cursor;
// only the trace detail, body, pair, HAR and session-view routes read bodies. A filter that does not parse is a
// 400 naming the column; a database that cannot be reached is a 503; neither is ever thrown past this file.
import type http from 'node:http';
import type pg from 'pg';
import { FilterError, compileFilter } from '../read/filter.js';
import { isConnectionError } from '../store/database.js';
import { exportHar } from './har-download.js';
import { listExchanges } from './exchanges.js';
import type { LiveFeed } from './live.js';
import { quotaReport } from './quota.js';
import { ApiError, sendError, sendJson } from './respond.js';
import { listSessions } from './sessions.js';
import { tracePair } from './session-views.js';
import { readBody, traceDetail } from './trace-detail.js';
import { traceOf } from '../view/ws-turns.js';
import { listTracePage } from './trace-list.js';
import type { Tokens } from './tokens.js';

export interface ApiContext {
  /** The pool to read with, asked for each request (an embedded database's pool is replaced when its holder changes). */
  pool(): pg.Pool;
  /** `embedded` or `server`, for /api/health. */
  backend: string;
  /** Pushes database notifications to pages; null: /api/live answers 503. */
  live: LiveFeed | null;
  tokens: Tokens;
  /** Told when the database could not be reached (an embedded database's holder may have gone: find the new one). */
  unreachable?(): void;
  /** The session views computed from bodies (conversation, roles, diffs: session-views.ts), by the last path part under /api/sessions/:id/. */
  sessionViews?: Record<string, (pool: pg.Pool, sessionId: string, q: URLSearchParams) => Promise<unknown>>;
}

type Handler = (m: RegExpExecArray, q: URLSearchParams, ctx: ApiContext, req: http.IncomingMessage, res: http.ServerResponse) => Promise<unknown>;

/** Page sizes: a default that fills a screen, a maximum that keeps an answer small. */
export const LIMITS = { sessions: [50, 500], exchanges: [200, 1000], traces: [100, 1000] } as const;

export function intParam(q: URLSearchParams, name: string, [dflt, max]: readonly [number, number]): number {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ApiError(400, 'invalid_request', `${name} takes a whole number from 1 to ${max}, not "${v}"`);
  return n;
}

/** The filter of `q`, checked before any query runs; null when there is none. */
export function filterParam(q: URLSearchParams): string | null {
  const f = q.get('q');
  if (f === null || f.trim() === '') return null;
  compileFilter(f);
  return f;
}

const ROUTES: [RegExp, Handler][] = [
  [/^\/api\/health$/, async (_m, _q, ctx) => health(ctx)],
  [/^\/api\/sessions$/, async (_m, q, ctx) => listSessions(ctx.pool(), { filter: filterParam(q), limit: intParam(q, 'limit', LIMITS.sessions), before: q.get('before') })],
  [/^\/api\/sessions\/([^/]+)\/exchanges$/, async (m, q, ctx) => listExchanges(ctx.pool(), decodeURIComponent(m[1]!), { limit: intParam(q, 'limit', LIMITS.exchanges), after: q.get('after') })],
  [
    /^\/api\/sessions\/([^/]+)\/([a-z]+)$/,
    async (m, q, ctx) => {
      const view = ctx.sessionViews?.[m[2]!];
      if (!view) throw new ApiError(404, 'not_found', `no such route: /api/sessions/:id/${m[2]}`);
      return view(ctx.pool(), decodeURIComponent(m[1]!), q);
    },
  ],
  [/^\/api\/traces$/, async (_m, q, ctx) => listTracePage(ctx.pool(), { filter: filterParam(q), limit: intParam(q, 'limit', LIMITS.traces), before: q.get('before') })],
  [
    /^\/api\/traces\/([^/]+)$/,
    async (m, _q, ctx) => {
      const d = await traceDetail(ctx.pool(), traceOf(decodeURIComponent(m[1]!)));
      if (!d) throw new ApiError(404, 'not_found', `no trace with id ${decodeURIComponent(m[1]!)}`);
      return d;
    },
  ],
  [/^\/api\/traces\/([^/]+)\/pair$/, async (m, _q, ctx) => tracePair(ctx.pool(), decodeURIComponent(m[1]!))],
  [
    /^\/api\/traces\/([^/]+)\/body\/(request|response)$/,
    async (m, q, ctx, _req, res) => {
      const found = await readBody(ctx.pool(), traceOf(decodeURIComponent(m[1]!)), m[2] as 'request' | 'response', res, q.get('download') === '1');
      if (!found) throw new ApiError(404, 'not_found', `no trace with id ${decodeURIComponent(m[1]!)}`);
      return undefined;
    },
  ],
  [
    /^\/api\/export\/har$/,
    async (_m, q, ctx, _req, res) => {
      const ids = q.get('ids');
      const idList = ids === null ? null : ids.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (idList && idList.length > 10_000) throw new ApiError(400, 'invalid_request', 'ids: at most 10000 trace ids');
      await exportHar(ctx.pool(), { filter: idList ? null : filterParam(q), ids: idList }, res);
      return undefined;
    },
  ],
  [/^\/api\/quota$/, async (_m, q, ctx) => quotaReport(ctx.pool(), { since: q.get('since'), until: q.get('until') })],
  [
    /^\/api\/live$/,
    async (_m, _q, ctx, req, res) => {
      if (!ctx.live) throw new ApiError(503, 'unavailable', 'live updates are not available here');
      ctx.live.subscribe(req, res);
      return undefined;
    },
  ],
];

/** GET /api/health: the database answers. */
export interface Health {
  ok: boolean;
  database: { up: boolean; backend: string };
}

async function health(ctx: ApiContext): Promise<Health> {
  try {
    await ctx.pool().query('SELECT 1');
    return { ok: true, database: { up: true, backend: ctx.backend } };
  } catch (err) {
    ctx.unreachable?.();
    throw new ApiError(503, 'database_unavailable', `the database cannot be reached: ${(err as Error).message}`, { database: { up: false, backend: ctx.backend } });
  }
}

/** Answers one API request; never throws. */
export async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL, ctx: ApiContext): Promise<void> {
  try {
    for (const [re, handler] of ROUTES) {
      const m = re.exec(url.pathname);
      if (!m) continue;
      const value = await handler(m, url.searchParams, ctx, req, res);
      if (value !== undefined) sendJson(res, 200, value);
      return;
    }
    throw new ApiError(404, 'not_found', `no such route: ${url.pathname}`);
  } catch (err) {
    const e = toApiError(err);
    if (e.status === 503) ctx.unreachable?.();
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendError(res, e);
  }
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof FilterError) return new ApiError(400, 'invalid_filter', err.message, { position: err.position });
  // A regular expression PostgreSQL refused though JavaScript's check let it through: still the filter's fault.
  if ((err as { code?: string })?.code === '2201B') return new ApiError(400, 'invalid_filter', `invalid filter: ${(err as Error).message}`, { position: null });
  if (err instanceof URIError) return new ApiError(400, 'invalid_request', 'a path part is not valid percent-encoding');
  if (isConnectionError(err)) return new ApiError(503, 'database_unavailable', `the database cannot be reached: ${(err as Error).message}`);
  return new ApiError(500, 'internal_error', (err as Error)?.message ?? String(err));
}
