// The viewer over one trace database, as the running ccproxy and `ccproxy ui` both start it: the HTTP server, a
// pool of its own, the live feed listening on the same database, and a port in use explained with the setting it
// came from.
import type { Logger } from '../log.js';
import { UserError } from '../errors.js';
import { readerPool, type Database } from '../store/database.js';
import { liveFeed } from './live.js';
import { startViewer, type RunningViewer } from './server.js';
import type { PriceOverrides } from '../usage/price-overrides.js';
import { sessionViews } from './session-views.js';

/** Connections the viewer reads with, its own: a long read (a HAR download, a session's views) never holds the writer's. */
const VIEWER_CONNECTIONS = 4;
const REFRESH_MS = 1_000;

export async function openViewer(db: Database, o: { port: number; portSource: string; log: Logger; webDir?: string; prices?: PriceOverrides }): Promise<RunningViewer> {
  let current = { url: db.backend.url, pool: readerPool(db.backend, VIEWER_CONNECTIONS, 'ccproxy viewer') };
  // An embedded database whose holder changed is reached at its new address.
  const pool = () => {
    if (db.backend.url !== current.url) {
      void current.pool.end().catch(() => {});
      current = { url: db.backend.url, pool: readerPool(db.backend, VIEWER_CONNECTIONS, 'ccproxy viewer') };
    }
    return current.pool;
  };
  // The process holding an embedded database may stop: the next one to hold it (this one, if none) is found again,
  // at most once per REFRESH_MS.
  let refreshed = 0;
  const unreachable = () => {
    if (Date.now() - refreshed < REFRESH_MS) return;
    refreshed = Date.now();
    db.refresh().catch((err: unknown) => o.log.warn(`viewer: the embedded database cannot be reached: ${(err as Error).message}`));
  };
  const live = liveFeed(() => db.backend.url, o.log, unreachable);
  try {
    const viewer = await startViewer({ port: o.port, pool, backend: db.backend.kind, live, log: o.log, webDir: o.webDir, sessionViews: sessionViews(o.prices), unreachable });
    return {
      ...viewer,
      close: async () => {
        await viewer.close();
        await current.pool.end().catch(() => {});
      },
    };
  } catch (err) {
    live.close();
    void current.pool.end().catch(() => {});
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UserError(`the viewer's port ${o.port} (${o.portSource}) is in use: choose another, or 0 for a free one`);
    throw err;
  }
}
