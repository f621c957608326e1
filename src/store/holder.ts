// The embedded database's holder record (pglite.json: which process serves it, on which port) and whether a
// process is alive: what commands read to find the holder, without loading PGlite or its settings.
import { readFileSync } from 'node:fs';
import { paths } from '../config/paths.js';
import { embeddedUrl } from './urls.js';

export interface HolderRecord {
  pid: number;
  host: string;
  port: number | null;
  /** A short-lived command (db sql, db push): long-running processes wait for it to finish instead of connecting. */
  transient: boolean;
  dataDir: string;
  startedAt: string;
}

export function readHolder(configDir: string): HolderRecord | null {
  return readHolderAt(paths.pgliteHolder(configDir));
}

/** The process serving the embedded database on its loopback port now, and that port's URL. */
export interface ServingHolder {
  pid: number;
  port: number;
  url: string;
}

/** The embedded database's holder when one is alive and serves a port (not a short-lived command). */
export function servingHolder(configDir: string): ServingHolder | null {
  const rec = readHolder(configDir);
  if (!rec || rec.port === null || rec.transient || !isAlive(rec.pid)) return null;
  return { pid: rec.pid, port: rec.port, url: embeddedUrl(rec.host, rec.port) };
}

export function readHolderAt(file: string): HolderRecord | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as HolderRecord;
  } catch {
    return null;
  }
}

/**
 * Whether process `pid` is running. A zombie is not: it has exited (its sockets, files and mappings are released)
 * and only waits for its parent to reap it, which for a daemon whose parent has gone can take a second or more.
 * Read as alive, a SIGKILLed daemon's journal, spill and PID file would be left alone by a start right after it.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !exited(pid);
}

/** Linux: the process has exited and waits to be reaped (state Z, or X while it goes). Elsewhere: unknown, false. */
function exited(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return false;
  }
  // "pid (comm) S ...": the command name may hold spaces and parentheses, so the state follows the last ')'.
  const state = stat.charAt(stat.lastIndexOf(')') + 2);
  return state === 'Z' || state === 'X';
}
