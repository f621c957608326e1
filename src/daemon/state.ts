// The running ccproxy as other commands find it: a PID file (created exclusively, so two cannot start in one
// config directory) and a state file written once every component listens (pid, ports, URLs, log file,
// database backend, control port). A file whose process is gone is stale and is removed, never an error.
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-write.js';
import type { ComponentName } from '../components.js';
import { paths } from '../config/paths.js';
import { UserError } from '../errors.js';
import { createExclusive } from '../exclusive-create.js';
import { isAlive } from '../store/holder.js';


export interface ComponentState {
  /** Listening address (`http://127.0.0.1:4000`) or, for the database, its URL with the password hidden. */
  url: string | null;
  port: number | null;
  /**
   * The port was asked for by number, so the next start asks for it again; false for a free port the system chose
   * (port 0). Absent in state files of older versions: taken as true.
   */
  pinned?: boolean;
}

export interface DaemonState {
  pid: number;
  startedAt: string;
  /** The entry clients use: the reverse capture with --mitm, else the gateway. */
  url: string;
  mitm: boolean;
  detached: boolean;
  /** null in the foreground: the lines go to the terminal. */
  logFile: string | null;
  caCert: string | null;
  /** Loopback port of GET /ccproxy/status (live writer counters) and POST /ccproxy/ui-link (a viewer link). */
  controlPort: number;
  components: Partial<Record<ComponentName, ComponentState>>;
  database: null | { kind: 'embedded'; url: string; port: number; dataDir: string } | { kind: 'server'; url: string; source: string };
}

export function readPid(dir: string): number | null {
  try {
    const n = Number(readFileSync(paths.pidFile(dir), 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

export function readStateFile(dir: string): DaemonState | null {
  try {
    return JSON.parse(readFileSync(paths.stateFile(dir), 'utf8')) as DaemonState;
  } catch {
    return null;
  }
}

export type Found =
  | { running: true; pid: number; state: DaemonState | null }
  | { running: false; stalePid: number | null };

/** The ccproxy running for this config directory, if any; stale PID and state files are removed on the way. */
/**
 * Whether the process with this pid is a ccproxy (its command line names the CLI). After a crash the pid may
 * belong to an unrelated process by now: that one must not be taken for ccproxy, let alone signalled. Where
 * /proc is not there to ask, a live pid is taken at its word.
 */
export function isCcproxy(pid: number): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync('/proc/self');
  }
  return /ccproxy|cli[\\/]main\.js/.test(cmdline);
}

export function findRunning(dir: string): Found {
  const pid = readPid(dir);
  if (pid !== null && isAlive(pid) && isCcproxy(pid)) {
    const state = readStateFile(dir);
    return { running: true, pid, state: state?.pid === pid ? state : null };
  }
  if (pid !== null || readStateFile(dir)) removeFiles(dir, pid);
  return { running: false, stalePid: pid };
}

/** Claims the PID file for this process; throws a UserError naming the process that holds it. */
export function claimPidFile(dir: string): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createExclusive(paths.pidFile(dir), `${process.pid}\n`)) return;
    if (readPid(dir) === null) {
      // Empty: another process is between creating and writing it, or one died right there.
      if (ageMs(paths.pidFile(dir)) > 5_000) rmSync(paths.pidFile(dir), { force: true });
      else throw new UserError(`another ccproxy is starting in ${dir} (${paths.pidFile(dir)} was just created)`);
      continue;
    }
    const found = findRunning(dir);
    if (found.running && found.pid !== process.pid) throw alreadyRunning(dir, found.pid, found.state);
    // Stale: findRunning removed it; try again.
  }
  throw new UserError(`cannot claim ${paths.pidFile(dir)}: another ccproxy is starting in ${dir}`);
}

export function alreadyRunning(dir: string, pid: number, state: DaemonState | null): UserError {
  return new UserError(`already running (pid ${pid}${state ? `, ${state.url}` : ', starting'}; config directory ${dir}); stop it with ccproxy stop`);
}

export function writeState(dir: string, state: DaemonState): void {
  const file = paths.stateFile(dir);
  writeFileAtomic(file, JSON.stringify(state, null, 2));
}

/** Removes the PID and state files if they belong to `pid` (or to nobody alive). */
export function removeFiles(dir: string, pid: number | null): void {
  if (readPid(dir) === pid || readPid(dir) === null) rmSync(paths.pidFile(dir), { force: true });
  const state = readStateFile(dir);
  if (!state || state.pid === pid || !isAlive(state.pid)) rmSync(paths.stateFile(dir), { force: true });
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return Infinity;
  }
}
