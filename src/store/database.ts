// Opens the configured trace database, embedded or server, as one pg pool: the rest of ccproxy sees one contract.
import pg from 'pg';
import type { LoadedConfig } from '../config/load.js';
import { paths } from '../config/paths.js';
import { UserError } from '../errors.js';
import { attachEmbedded } from './embedded.js';
import { hidePassword } from '../url-credentials.js';
import { SchemaClashError, type MigrationResult } from './migrations.js';
import { prepareSchema } from './schema.js';

export type Backend =
  | { kind: 'embedded'; dataDir: string; url: string; port: number; owner: boolean; holderPid: number }
  | { kind: 'server'; url: string; safeUrl: string; source: string };

export interface Database {
  pool: pg.Pool;
  backend: Backend;
  /** For messages: where the data lives and where that setting came from. */
  describe(): string;
  migrated?: MigrationResult;
  /** Embedded and not the holder: find the current holder again (or become it) after the old one went away. */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** A short command: a long-running ccproxy that finds it holding the embedded database waits for it to exit. */
  transient?: boolean;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  poolSize?: number;
}

/** Bounded so a black-holed server fails with a message instead of hanging a command. */
const CONNECT_TIMEOUT_MS = 5_000;
/** How long closing waits for queries in flight before cutting their connections. */
const CLOSE_TIMEOUT_MS = 1_000;

// Timestamps are stored as UTC wall-clock time (TIMESTAMP without time zone, as the spec has it).
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 1114) return (v: string) => new Date(`${v.replace(' ', 'T')}Z`);
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

/**
 * A pool's settings on `url`: the types and session settings every pool of ccproxy's uses (timestamps as UTC wall
 * time), so a pool opened elsewhere (a reader, the writer's thread) reads and writes as the database's own does.
 */
export function poolOptions(url: string, kind: Backend['kind'], max: number, name: string): pg.PoolConfig {
  return {
    connectionString: url,
    max,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 10_000,
    types,
    options: kind === 'server' ? '-c TimeZone=UTC' : undefined,
    application_name: name,
  };
}

/**
 * Another pool on an open database, for a reader that must never hold the writer's connections (the viewer).
 * Same types and session settings as the database's own pool.
 */
export function readerPool(backend: Backend, max: number, name: string): pg.Pool {
  const pool = new pg.Pool(poolOptions(backend.url, backend.kind, max, name));
  pool.on('error', () => {});
  return pool;
}

export async function openDatabase(loaded: LoadedConfig, opts: OpenOptions = {}): Promise<Database> {
  const url = loaded.config.ccproxy.mitm.database_url;
  let backend: Backend;
  let release = async () => {};
  if (url) {
    const source = loaded.sources.database_url ?? 'configuration';
    validateUrl(url, source);
    backend = { kind: 'server', url, safeUrl: hidePassword(url), source };
  } else {
    const handle = await attachEmbedded(loaded.dir, { transient: opts.transient ?? false });
    backend = { kind: 'embedded', dataDir: paths.pgliteData(loaded.dir), url: handle.url, port: handle.port, owner: handle.owner, holderPid: handle.holderPid };
    release = handle.close;
  }
  const clients = new Set<pg.PoolClient>();
  const makePool = (url: string) => {
    const pool = new pg.Pool(poolOptions(url, backend.kind, opts.poolSize ?? 4, 'ccproxy'));
    // An idle client losing its server emits here; the next query reports it where it can be handled.
    pool.on('error', () => {});
    pool.on('connect', (c) => clients.add(c));
    pool.on('remove', (c) => clients.delete(c));
    return pool;
  };
  const db: Database = {
    pool: makePool(backend.url),
    backend,
    describe: () => describeBackend(db.backend),
    refresh: async () => {
      if (db.backend.kind !== 'embedded' || db.backend.owner) return;
      const handle = await attachEmbedded(loaded.dir, { transient: opts.transient ?? false });
      if (handle.url === db.backend.url) return;
      const old = db.pool;
      db.pool = makePool(handle.url);
      db.backend = { ...db.backend, url: handle.url, port: handle.port, owner: handle.owner, holderPid: handle.holderPid };
      release = handle.close;
      void old.end().catch(() => {});
    },
    close: async () => {
      // A query stuck on a hung server would hold pool.end() forever: give it a deadline, then cut the sockets.
      const ended = db.pool.end().catch(() => {});
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), CLOSE_TIMEOUT_MS).unref());
      if ((await Promise.race([ended, timer])) === 'timeout') {
        for (const c of clients) (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      }
      await release();
    },
  };
  if (opts.migrate ?? true) {
    try {
      db.migrated = (await withClient(db.pool, (client) => prepareSchema(client, false))).migrated;
    } catch (err) {
      await db.close();
      throw explainDbError(err, db);
    }
  }
  return db;
}

/**
 * Runs `fn` on a checked-out client. A checked-out pg client whose connection drops emits 'error' and,
 * with no listener, takes the process down: the listener here turns that into a rejected query instead.
 */
export async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  try {
    return await fn(client);
  } catch (err) {
    // A connection that failed midway is not given back to the pool for reuse.
    if (isConnectionError(err)) broken ??= err as Error;
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

export function describeBackend(b: Backend): string {
  return b.kind === 'server'
    ? `${b.safeUrl} (from ${b.source})`
    : `embedded database in ${b.dataDir} (served on ${b.url}${b.owner ? '' : ` by process ${b.holderPid}`})`;
}

function validateUrl(url: string, source: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`invalid database URL ${JSON.stringify(hidePassword(url))} (from ${source}): expected postgresql://user:password@host:port/database`);
  }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:') {
    throw new UserError(
      `invalid database URL ${JSON.stringify(hidePassword(url))} (from ${source}): scheme "${u.protocol.replace(/:$/, '')}" is not postgresql; expected postgresql://user:password@host:port/database`,
    );
  }
}

/** True for failures that mean "the database cannot be reached right now" rather than "this row is wrong". */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  const code = e?.code ?? '';
  if (/^(08|53|57P0[1-3])/.test(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) return true;
  const msg = e?.message ?? '';
  return /Connection terminated|connection timeout|not queryable|Client was closed|Cannot use a pool after calling end|timeout exceeded when trying to connect|ECONNREFUSED|ECONNRESET|socket hang up/i.test(msg);
}

/** Turns a driver error into one line naming the problem and where the setting came from. */
export function explainDbError(err: unknown, db: Pick<Database, 'backend' | 'describe'>): Error {
  if (err instanceof SchemaClashError) return new UserError(`${err.message}\n  database: ${db.describe()}`);
  if (err instanceof UserError) return err;
  const e = err as { code?: string; message?: string; address?: string; port?: number };
  const where = db.describe();
  let target = '';
  let user = '';
  let database = '';
  if (db.backend.kind === 'server') {
    try {
      const u = new URL(db.backend.url);
      target = `${u.hostname}:${u.port || 5432}`;
      user = decodeURIComponent(u.username) || process.env.USER || '';
      database = decodeURIComponent(u.pathname.slice(1)) || user;
    } catch {
      /* validated earlier */
    }
  }
  const problem = (() => {
    switch (e.code) {
      case 'ECONNREFUSED':
        return `connection refused by ${target || e.address} — is PostgreSQL running there?`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `host not found: ${target.split(':')[0]}`;
      case 'ETIMEDOUT':
        return `connection to ${target} timed out`;
      case '28P01':
        return `password authentication failed for user "${user}"`;
      case '28000':
        return `access refused for user "${user}": ${e.message}`;
      case '3D000':
        return `database "${database}" does not exist (create it with: createdb -h ${target.split(':')[0]} ${database})`;
      case '42501':
        return `permission denied: ${e.message}`;
    }
    if (/timeout/i.test(e.message ?? '')) return `connection to ${target || 'the database'} timed out after ${CONNECT_TIMEOUT_MS / 1000}s`;
    if (/SASL|password/i.test(e.message ?? '')) return `authentication failed: ${e.message}`;
    return e.message ?? String(err);
  })();
  return new UserError(`database error: ${problem}\n  database: ${where}`);
}
