// The embedded database: one process at a time holds the PGlite data folder open and serves it over the
// PostgreSQL wire protocol on a loopback port, recorded in pglite.json; every other process connects there.
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from '../config/paths.js';
import { writeFileAtomic } from '../atomic-write.js';
import { UserError } from '../errors.js';
import { createExclusive } from '../exclusive-create.js';
import { openPGlite } from './pglite-settings.js';
import { closeOthersConnections } from '../proxy/peer-owner.js';
import { relayNotifications } from './pglite-notify.js';
import { isAlive, readHolder, readHolderAt, type HolderRecord } from './holder.js';
import { embeddedUrl } from './urls.js';

const recordText = (rec: HolderRecord) => JSON.stringify(rec, null, 2);

export interface EmbeddedHandle {
  url: string;
  port: number;
  /** True when this process opened the data folder itself. */
  owner: boolean;
  holderPid: number;
  close(): Promise<void>;
}

/** How long to wait for another process that is opening the database, or for a short command to finish. */
const HOLDER_WAIT_MS = 30_000;
/** The socket server multiplexes clients onto PGlite's single session; this bounds psql sessions plus our pool. */
const MAX_CONNECTIONS = 32;

export async function attachEmbedded(configDir: string, opts: { transient: boolean }): Promise<EmbeddedHandle> {
  mkdirSync(configDir, { recursive: true });
  const holderFile = paths.pgliteHolder(configDir);
  const deadline = Date.now() + HOLDER_WAIT_MS;
  for (;;) {
    const rec = readHolder(configDir);
    if (rec && rec.pid !== process.pid && isAlive(rec.pid)) {
      if (rec.port !== null && (!rec.transient || opts.transient)) {
        return { url: embeddedUrl(rec.host, rec.port), port: rec.port, owner: false, holderPid: rec.pid, close: async () => {} };
      }
    } else if (rec) {
      removeStale(holderFile, rec);
    } else if (createExclusive(holderFile, recordText({ pid: process.pid, host: '127.0.0.1', port: null, transient: opts.transient, dataDir: paths.pgliteData(configDir), startedAt: new Date().toISOString() }))) {
      try {
        return await openOwned(configDir, opts.transient);
      } catch (err) {
        rmSync(holderFile, { force: true });
        throw err;
      }
    }
    if (Date.now() > deadline) {
      throw new UserError(
        `the embedded database in ${paths.pgliteData(configDir)} is held by process ${rec?.pid}, which has not opened it for ${HOLDER_WAIT_MS / 1000}s; ` +
          `stop that process or remove ${holderFile} if it is not a ccproxy process`,
      );
    }
    await sleep(50);
  }
}

async function openOwned(configDir: string, transient: boolean): Promise<EmbeddedHandle> {
  const dataDir = paths.pgliteData(configDir);
  // Loaded lazily: the WebAssembly build is only needed by the process that holds the data folder.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  let db: InstanceType<typeof PGlite>;
  try {
    db = await openPGlite(PGlite, dataDir, { longRunning: !transient });
  } catch (err) {
    throw new UserError(`cannot open the embedded database in ${dataDir}: ${(err as Error).message}`);
  }
  await db.exec(`SET TIME ZONE 'UTC'`);
  // Notifications (LISTEN ccproxy_traces) reach the socket's listeners through the holder: see pglite-notify.ts.
  const relay = relayNotifications(db);
  const server = new PGLiteSocketServer({ db: relay.db, host: '127.0.0.1', port: 0, maxConnections: MAX_CONNECTIONS });
  await server.start();
  // Served on loopback TCP, with no password: only connections of this user are let through to PostgreSQL.
  const net = (server as unknown as { server: import('node:net').Server | null }).server;
  if (net) {
    closeOthersConnections(net);
    relay.attach(net);
  }
  const port = Number(server.getServerConn().split(':').pop());
  const rec: HolderRecord = { pid: process.pid, host: '127.0.0.1', port, transient, dataDir, startedAt: new Date().toISOString() };
  const holderFile = paths.pgliteHolder(configDir);
  writeFileAtomic(holderFile, recordText(rec));
  let closed = false;
  const release = () => {
    const current = readHolder(configDir);
    if (current?.pid === process.pid) rmSync(holderFile, { force: true });
  };
  process.once('exit', release);
  return {
    url: embeddedUrl('127.0.0.1', port),
    port,
    owner: true,
    holderPid: process.pid,
    close: async () => {
      if (closed) return;
      closed = true;
      await server.stop().catch(() => {});
      await db.close().catch(() => {});
      release();
      process.off('exit', release);
    },
  };
}

/**
 * Removes a holder record whose process is gone. A second lock file makes the check-and-remove atomic
 * between processes, so one cannot delete a record another has just written.
 */
function removeStale(file: string, seen: HolderRecord): void {
  const guard = `${file}.takeover`;
  try {
    if (Date.now() - statSync(guard).mtimeMs > 10_000) rmSync(guard, { force: true });
  } catch {
    /* no guard */
  }
  if (!createExclusive(guard, recordText({ ...seen, pid: process.pid }))) return;
  try {
    const current = readHolderAt(file);
    if (current && current.pid === seen.pid && current.startedAt === seen.startedAt) rmSync(file, { force: true });
  } finally {
    rmSync(guard, { force: true });
  }
}
