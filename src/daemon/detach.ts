// `ccproxy start --detach`: the same command again as a background process (its own session, stdout and stderr
// appended to ccproxy.log in the config directory, named to it by --daemon-log). The parent returns only when the
// child's state file says every component listens, or fails with the child's own error message taken from the log.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from '../config/paths.js';
import { UserError } from '../errors.js';
import { DAEMON_NODE_FLAGS, daemonEnv } from './footprint.js';
import { readStateFile, type DaemonState } from './state.js';

/**
 * Internal to --detach: `start --daemon-log <file>` is how the background child is started, and tells it that it
 * is that child (run, do not detach again) and where its stdout and stderr go. Not in `start`'s usage; an
 * argument rather than an environment variable, so that nothing the daemon starts inherits it.
 */
export const DAEMON_LOG_FLAG = 'daemon-log';
/** Opening the embedded database for the first time and migrating it takes a few seconds on a slow machine. */
const READY_TIMEOUT_MS = 60_000;
const POLL_MS = 100;
/** How long a start may stay silent before the parent says what it waits for. */
export const SLOW_START_MS = 2_000;

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/**
 * `waiting` is called once if the child is not ready after `slowMs` (a first start unpacking the embedded database
 * on a loaded machine takes seconds), with its pid and log file, so that the caller can say what it waits for.
 */
export async function startDetached(
  dir: string,
  startArgv: string[],
  env: NodeJS.ProcessEnv,
  waiting?: (pid: number, logFile: string) => void,
  slowMs = SLOW_START_MS,
): Promise<DaemonState & { warnings: string[] }> {
  mkdirSync(dir, { recursive: true });
  const logFile = paths.logFile(dir);
  const offset = sizeOf(logFile);
  const fd = openSync(logFile, 'a', 0o600);
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, CLI, 'start', ...startArgv, `--${DAEMON_LOG_FLAG}`, logFile], { detached: true, stdio: ['ignore', fd, fd], env: daemonEnv(env) });
  closeSync(fd);
  let exited: number | null | undefined;
  let signal: NodeJS.Signals | null = null;
  child.once('exit', (code, sig) => {
    exited = code;
    signal = sig;
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const slowAt = Date.now() + slowMs;
  let told = false;
  for (;;) {
    const state = readStateFile(dir);
    if (state && state.pid === child.pid) {
      child.unref();
      return { ...state, warnings: warningsFromLog(logFile, offset) };
    }
    if (exited !== undefined) {
      const reason = reasonFromLog(logFile, offset) ?? exitedWithout(logFile, offset, signal ?? `code ${exited}`);
      throw new UserError(reason, exited || 1);
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new UserError(`the background process (pid ${child.pid}) was not ready after ${READY_TIMEOUT_MS / 1000}s and was stopped; see ${logFile}`);
    }
    if (!told && waiting && Date.now() >= slowAt) {
      told = true;
      waiting(child.pid!, logFile);
    }
    await sleep(POLL_MS);
  }
}

/** The child's error as the CLI printed it (`ccproxy: …` and the lines after it), from this start's part of the log. */
export function reasonFromLog(logFile: string, offset: number): string | null {
  let text: string;
  try {
    text = readFileSync(logFile).subarray(offset).toString('utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith('ccproxy: '));
  if (at < 0) return null;
  return lines.slice(at).join('\n').replace(/^ccproxy: /, '').trimEnd();
}

/** How many of the child's last log lines an exit without its own message shows. */
const TAIL_LINES = 8;

/** The child exited without a `ccproxy: …` message (a crash, say): the last lines it logged, so the user sees why. */
export function exitedWithout(logFile: string, offset: number, how: string): string {
  let tail: string[] = [];
  try {
    tail = readFileSync(logFile).subarray(offset).toString('utf8').trimEnd().split('\n').filter((l) => l.trim() !== '').slice(-TAIL_LINES);
  } catch {
    tail = [];
  }
  const head = `the background process exited (${how}) before it was ready; see ${logFile}`;
  return tail.length === 0 ? head : `${head}; its last lines:\n${tail.map((l) => `  ${l}`).join('\n')}`;
}

/** Warnings the child logged while it started (a deployment ccproxy cannot call, say), to show the user at once. */
export function warningsFromLog(logFile: string, offset: number): string[] {
  try {
    const text = readFileSync(logFile).subarray(offset).toString('utf8');
    return text.split('\n').filter((l) => / (warn|error) +\[/.test(l)).map((l) => l.replace(/^\S+ +/, ''));
  } catch {
    return [];
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
