// The embedded database's holder record (pglite.json: which process serves it, on which port) and whether a
// process is alive: what commands read to find the holder, without loading PGlite or its settings.
import { readFileSync } from 'node:fs';
import { paths } from '../config/paths.js';

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

export function readHolderAt(file: string): HolderRecord | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as HolderRecord;
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
