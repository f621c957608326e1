// Test databases: a temporary database on the PostgreSQL server, or a temporary config dir for the embedded one.
// Without a server, server tests are skipped with a message, except under CI=true where that is a failure.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';

export const SERVER_URL = process.env.CCPROXY_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

let available: Promise<boolean> | undefined;

export function serverAvailable(): Promise<boolean> {
  available ??= (async () => {
    const c = new pg.Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      await c.end();
      return true;
    } catch {
      return false;
    }
  })();
  return available;
}

/** For `describe(..., { skip })`: false when the server is there; a reason to skip otherwise; throws under CI. */
export async function serverSkip(): Promise<false | string> {
  if (await serverAvailable()) return false;
  const msg = `PostgreSQL server not reachable at ${SERVER_URL} (set CCPROXY_TEST_DATABASE_URL)`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`${msg}; CI=true: server tests must run, not skip`);
  console.warn(`SKIPPED server tests: ${msg}`);
  return `SKIPPED: ${msg}`;
}

export async function createTempDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `ccproxy_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client(SERVER_URL);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(SERVER_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      const c = new pg.Client(SERVER_URL);
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export function tempConfigDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ccproxy-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A config as ccproxy would load it for this config dir, optionally pointed at a server URL. */
export function configFor(dir: string, databaseUrl?: string, extraEnv: Record<string, string> = {}): LoadedConfig {
  return loadConfig({ CCPROXY_CONFIG_DIR: dir, ...(databaseUrl ? { CCPROXY_DATABASE_URL: databaseUrl } : {}), ...extraEnv });
}

export interface BackendCase {
  name: 'embedded' | 'server';
  skip: () => Promise<false | string>;
  /** A fresh config dir, and a fresh server database for the server case. */
  setup(): Promise<{ dir: string; loaded: LoadedConfig; env: Record<string, string>; cleanup(): Promise<void> }>;
}

export const BACKENDS: BackendCase[] = [
  {
    name: 'embedded',
    skip: async () => false,
    async setup() {
      const cfg = tempConfigDir();
      return { dir: cfg.dir, loaded: configFor(cfg.dir), env: { CCPROXY_CONFIG_DIR: cfg.dir }, cleanup: async () => cfg.remove() };
    },
  },
  {
    name: 'server',
    skip: serverSkip,
    async setup() {
      const cfg = tempConfigDir();
      const db = await createTempDatabase();
      return {
        dir: cfg.dir,
        loaded: configFor(cfg.dir, db.url),
        env: { CCPROXY_CONFIG_DIR: cfg.dir, CCPROXY_DATABASE_URL: db.url },
        cleanup: async () => {
          await db.drop();
          cfg.remove();
        },
      };
    },
  },
];
