// Stopping the running ccproxy: SIGTERM, a bounded wait while it closes its listeners and drains the writer,
// SIGKILL after that; then the PID, state and embedded-database holder files of a killed process are removed,
// and every port it was configured to listen on is checked to be free for the next start.
import { rmSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from '../config/paths.js';
import { isAlive, readHolder } from '../store/holder.js';
import { findRunning, removeFiles, type DaemonState } from './state.js';
import { unbracket } from '../host-name.js';

/** Listener grace (2 s) + writer drain (5 s) + closing the database, with room to spare on a loaded machine. */
export const STOP_WAIT_MS = 15_000;
/** After SIGKILL the kernel frees the process at once; this only bounds a pathological case. */
const KILL_WAIT_MS = 5_000;

export interface StopResult {
  /** Nothing was running (a stale PID file, if any, was removed). */
  notRunning: boolean;
  stalePid: number | null;
  pid: number | null;
  /** It did not exit within STOP_WAIT_MS and was killed. */
  killed: boolean;
  /** Configured ports of the stopped process that accept connections after it exited: another program holds them. */
  openPorts: number[];
}

export async function stopDaemon(dir: string, waitMs = STOP_WAIT_MS): Promise<StopResult> {
  const found = findRunning(dir);
  if (!found.running) return { notRunning: true, stalePid: found.stalePid, pid: null, killed: false, openPorts: [] };
  const { pid, state } = found;
  signal(pid, 'SIGTERM');
  let killed = false;
  if (!(await exited(pid, waitMs))) {
    killed = true;
    signal(pid, 'SIGKILL');
    await exited(pid, KILL_WAIT_MS);
  }
  removeFiles(dir, pid);
  if (readHolder(dir)?.pid === pid) rmSync(paths.pgliteHolder(dir), { force: true });
  const openPorts = state ? await stillOpen(state) : [];
  return { notRunning: false, stalePid: null, pid, killed, openPorts };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function exited(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * The configured ports of a process that has exited which accept connections now. Its own listeners closed with
 * it, so whatever accepts there is another program, and the next start cannot listen there. A port the system
 * chose (port 0) is not looked at: another program may well be given it once it is free (tests running side by
 * side are), and the next start is given another one.
 */
export async function stillOpen(state: Pick<DaemonState, 'components'>): Promise<number[]> {
  const ports = new Set<{ host: string; port: number }>();
  for (const c of Object.values(state.components)) {
    if (!c?.url || c.port === null || c.pinned === false) continue;
    try {
      const u = new URL(c.url);
      ports.add({ host: unbracket(u.hostname), port: c.port });
    } catch {
      /* not a URL */
    }
  }
  const open: number[] = [];
  for (const p of ports) if (await accepts(p.host === '0.0.0.0' ? '127.0.0.1' : p.host, p.port)) open.push(p.port);
  return open;
}

export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(1_000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** Stops ccproxy for the config directory and prints what happened (`stop`, `restart`); 1 when a port is still open afterwards. */
export async function stopCcproxy(dir: string): Promise<number> {
  const r = await stopDaemon(dir);
  if (r.notRunning) {
    console.log(r.stalePid !== null ? `ccproxy was not running (removed the stale PID file of process ${r.stalePid})` : 'ccproxy is not running');
    return 0;
  }
  console.log(r.killed ? `ccproxy (pid ${r.pid}) did not stop within ${STOP_WAIT_MS / 1000}s and was killed; queued traces are in the spill file and are replayed on the next start` : `ccproxy stopped (pid ${r.pid})`);
  if (r.openPorts.length > 0) {
    process.stderr.write(`ccproxy: configured port(s) ${r.openPorts.join(', ')} accept connections after the process exited: another program holds them, and the next start cannot listen there\n`);
    return 1;
  }
  return 0;
}
