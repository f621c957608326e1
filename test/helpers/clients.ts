// What the real-client tests share: the pinned AI command-line clients (a package of their own under test/clients,
// installed with `npm ci` on first use so that ccproxy's own install stays small), and a ccproxy set up as a user
// sets it up — `ccproxy install` in a fresh config directory, only `api_base` edited in the config.yaml it wrote,
// `start --mitm --detach` — with each client run through `ccproxy run` in a home directory of its own, so no
// developer's settings or credentials reach it and nothing it writes lands in the developer's home.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseDocument, isMap, isSeq } from 'yaml';
import { isAlive } from '../../src/store/holder.js';
import { outputOf, runCli, type CliResult } from './cli.js';
import { createTempDatabase, serverAvailable, tempConfigDir } from './pg.js';

/** The client package (source tree, not dist/: it is installed where its package.json is). */
export const CLIENTS_DIR = fileURLToPath(new URL('../../../test/clients/', import.meta.url));
/** npm's hidden lockfile: written last by a finished install, and valid while newer than package-lock.json. */
const HIDDEN_LOCK = join(CLIENTS_DIR, 'node_modules', '.package-lock.json');
/** Held while one test process installs; others wait for it. */
const INSTALL_LOCK = join(CLIENTS_DIR, '.install-lock');
/** Polling interval while another process installs. */
const LOCK_POLL_MS = 250;
/** A lock without a pid this long after it was made was left by a process that died before writing one. */
const PIDLESS_LOCK_STALE_MS = 60_000;

/** Installed, by `npm ci` here or by .ci/run, from the package-lock.json that is there now. */
function installed(): boolean {
  if (!existsSync(HIDDEN_LOCK)) return false;
  if (statSync(HIDDEN_LOCK).mtimeMs < statSync(join(CLIENTS_DIR, 'package-lock.json')).mtimeMs) return false;
  return (['claude', 'codex', 'gemini'] as const).every((name) => existsSync(clientBin(name)));
}

/**
 * Makes sure test/clients/node_modules holds exactly the locked clients: runs `npm ci --prefix test/clients` when it
 * is missing or older than the lock file. Safe when several test files ask at once: one installs (it
 * holds a lock directory with its pid), the others wait; a lock left by a process that died is taken over.
 */
export async function ensureClients(): Promise<void> {
  if (installed()) return;
  for (;;) {
    try {
      mkdirSync(INSTALL_LOCK);
      writeFileSync(join(INSTALL_LOCK, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid = 0;
      try {
        pid = Number(readFileSync(join(INSTALL_LOCK, 'pid'), 'utf8'));
      } catch {
        /* the holder has not written its pid yet */
      }
      const pidless = !pid && Date.now() - (statSync(INSTALL_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > PIDLESS_LOCK_STALE_MS;
      if ((pid && !isAlive(pid)) || pidless) rmSync(INSTALL_LOCK, { recursive: true, force: true });
      else await sleep(LOCK_POLL_MS);
      if (installed()) return;
    }
  }
  try {
    if (installed()) return;
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = await outputOf(spawn(npm, ['ci', '--prefix', CLIENTS_DIR, '--no-audit', '--no-fund'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    if (r.code !== 0) throw new Error(`npm ci --prefix ${CLIENTS_DIR} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  } finally {
    rmSync(INSTALL_LOCK, { recursive: true, force: true });
  }
}

/** The path of an installed client's executable (claude, codex, gemini). */
export function clientBin(name: 'claude' | 'codex' | 'gemini'): string {
  return join(CLIENTS_DIR, 'node_modules', '.bin', name);
}

/** PATH with the pinned clients first, so `ccproxy run claude` finds them by name as a user's shell would. */
export function clientPath(): string {
  return [join(CLIENTS_DIR, 'node_modules', '.bin'), process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'].join(delimiter);
}

/**
 * Sets `api_base` on every deployment of config.yaml whose litellm_params.model belongs to `provider` (e.g.
 * "anthropic" for "anthropic/claude-*"), changing nothing else in the file. Returns how many it set; none is an
 * error, since then the template no longer routes that provider's models at all.
 */
export function setApiBase(configYaml: string, provider: string, apiBase: string): number {
  const doc = parseDocument(readFileSync(configYaml, 'utf8'));
  const list = doc.get('model_list');
  if (!isSeq(list)) throw new Error(`${configYaml}: no model_list`);
  let set = 0;
  for (const item of list.items) {
    if (!isMap(item)) continue;
    const params = item.get('litellm_params');
    if (!isMap(params)) continue;
    const model = params.get('model');
    if (typeof model === 'string' && model.startsWith(`${provider}/`)) {
      params.set('api_base', apiBase);
      set++;
    }
  }
  if (set === 0) throw new Error(`${configYaml}: no deployment with model ${provider}/… to point at ${apiBase}`);
  writeFileSync(configYaml, doc.toString());
  return set;
}

/** Adds settings under `ccproxy.mitm` of the ccproxy.yaml that install wrote (its comments stay). */
export function setMitmSettings(ccproxyYaml: string, settings: Record<string, unknown>): void {
  const doc = parseDocument(readFileSync(ccproxyYaml, 'utf8'));
  for (const [key, value] of Object.entries(settings)) doc.setIn(['ccproxy', 'mitm', key], doc.createNode(value));
  writeFileSync(ccproxyYaml, doc.toString());
}

export interface ClientStack {
  dir: string;
  /** The environment for ccproxy commands (config dir, database, the stand-in's CA). */
  env: Record<string, string>;
  /** A home directory of the client's own. */
  home: string;
  /** `ccproxy run <args>` in the client's home, with `extra` added to its environment and the pinned clients first on PATH. */
  run(args: string[], extra?: Record<string, string>, cwd?: string): Promise<CliResult>;
  /** `ccproxy db sql --json <sql>`, parsed. */
  sql<T = Record<string, any>>(sql: string): Promise<T[]>;
  /** `ccproxy stop` (the writer drains: every row is in once it returns). */
  stop(): Promise<CliResult>;
  /** `ccproxy stop`, which must succeed; a failure shows what it printed (a port still open names the port). */
  stopCleanly(): Promise<void>;
  /** Stops if still running, drops the database and removes the directories. */
  cleanup(): Promise<void>;
}

/**
 * `ccproxy install` in a fresh config directory; `edit(dir)` then changes what a user would (api_base, map_remote);
 * `ccproxy start --mitm --detach` on free ports. On the PostgreSQL server when there is one (a database of its own),
 * else on the embedded database, as the quick start has it. `caPath` is the stand-in's CA, which the daemon trusts;
 * `port` the main entry's (0: any free one).
 */
export async function startClientStack(caPath: string, edit: (dir: string) => void, port = 0): Promise<ClientStack> {
  const cfg = tempConfigDir();
  const homeDir = tempConfigDir();
  const db = (await serverAvailable()) ? await createTempDatabase() : undefined;
  const env: Record<string, string> = { CCPROXY_CONFIG_DIR: cfg.dir, NODE_EXTRA_CA_CERTS: caPath, CCPROXY_MITM_PORT: '0', ...(db ? { CCPROXY_DATABASE_URL: db.url } : {}) };
  let running = false;
  const stack: ClientStack = {
    dir: cfg.dir,
    env,
    home: homeDir.dir,
    run: (args, extra = {}, cwd) => runCli(['run', ...args], { ...env, HOME: homeDir.dir, PATH: clientPath(), ...extra }, undefined, cwd ?? homeDir.dir),
    sql: async (sql) => {
      const r = await runCli(['db', 'sql', '--json', sql], env);
      if (r.code !== 0) throw new Error(`ccproxy db sql failed (${r.code}): ${r.stderr}`);
      return JSON.parse(r.stdout);
    },
    stop: async () => {
      const r = await runCli(['stop'], env);
      running = false;
      return r;
    },
    stopCleanly: async () => {
      const r = await stack.stop();
      assert.equal(r.code, 0, `ccproxy stop exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    },
    cleanup: async () => {
      if (running) await stack.stop();
      await db?.drop();
      cfg.remove();
      homeDir.remove();
    },
  };
  try {
    const install = await runCli(['install'], env);
    if (install.code !== 0) throw new Error(`ccproxy install failed: ${install.stderr}`);
    edit(cfg.dir);
    const start = await runCli(['start', '--mitm', '--detach', '--port', String(port)], env);
    if (start.code !== 0) throw new Error(`ccproxy start --mitm --detach failed: ${start.stderr}`);
    running = true;
  } catch (err) {
    await stack.cleanup();
    throw err;
  }
  return stack;
}
