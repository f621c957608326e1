// Starting ccproxy as `start` and `restart` ask: in the foreground (until it stops), detached (the same command
// again as a background child, see detach.ts), or as that child; and restarting it the way the running one ran.
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { UserError } from '../errors.js';
import { listenSetting, type ListenSetting } from '../gateway/settings.js';
import { prepareGateway } from '../gateway/start.js';
import { silentLogger } from '../log.js';
import { startDetached } from './detach.js';
import { alreadyRunning, findRunning, type DaemonState } from './state.js';
import { stopCcproxy } from './stop.js';

/** The flags of `start` and `restart` (node:util parseArgs options), each a field of StartRequest. */
export const START_FLAGS = {
  mitm: { type: 'boolean' },
  detach: { type: 'boolean', short: 'd' },
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
} as const;

export interface StartRequest {
  mitm: boolean;
  detach: boolean;
  port?: string;
  host?: string;
  /**
   * Set only in the detached child, by startDetached (as `start --daemon-log <file>`): the log file its stdout
   * and stderr already go to. The child then runs ccproxy itself instead of detaching again, records the file
   * in its state, and prints nothing on the terminal it no longer has.
   */
  daemonLog?: string;
}

/** What the settings say to listen on: ccproxy.port/host (or litellm.*), overridden by --port/--host. */
function listenFor(loaded: LoadedConfig, r: StartRequest): ListenSetting {
  const at = listenSetting(loaded);
  if (r.port !== undefined) {
    const n = Number(r.port);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UserError(`--port ${r.port}: expected a port number from 0 to 65535`, 2);
    at.port = n;
    at.portSource = '--port';
  }
  if (r.host !== undefined) at.host = r.host;
  return at;
}

/** Starts ccproxy as asked (with the configuration already loaded, if given); in the foreground this returns when it has stopped. */
export async function startCcproxy(r: StartRequest, env: NodeJS.ProcessEnv = process.env, loaded: LoadedConfig = loadConfig(env)): Promise<number> {
  const mitm = r.mitm || loaded.config.ccproxy.mitm.enabled;
  const listen = listenFor(loaded, r);
  const childLog = r.daemonLog;
  if (r.detach && !childLog) {
    const found = findRunning(loaded.dir);
    if (found.running) throw alreadyRunning(loaded.dir, found.pid, found.state);
    const argv = [...(r.mitm ? ['--mitm'] : []), '--detach', ...(r.port !== undefined ? ['--port', r.port] : []), ...(r.host !== undefined ? ['--host', r.host] : [])];
    const state = await startDetached(loaded.dir, argv, env, (pid, log) =>
      process.stderr.write(`starting in the background (pid ${pid}, log ${log}); waiting until it listens (up to a minute: a first start on the embedded database unpacks and migrates it)\n`),
    );
    console.log(describeStarted(state));
    for (const w of state.warnings) console.log(w);
    return 0;
  }
  // The stack (gateway, captures, database) is loaded only by the process that runs it, not by a detaching parent.
  const { runDaemon } = await import('./daemon.js');
  return runDaemon({
    loaded,
    mitm,
    listen,
    logFile: childLog ?? null,
    env,
    onReady: (url) => {
      if (!childLog) console.log(`ccproxy listening on ${url} (${mitm ? 'reverse → gateway → forward' : 'gateway, no capture'}); Ctrl-C stops`);
    },
  });
}

/**
 * Checks the configuration, stops the running ccproxy, then starts it. A flag left out (undefined) means "as
 * the running one ran" when neither --mitm nor --detach is given, since a flag cannot say "as before".
 */
export async function restartCcproxy(r: Partial<StartRequest>, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const loaded = loadConfig(env);
  await prepareGateway(loaded, env, silentLogger);
  const found = findRunning(loaded.dir);
  const before = found.running ? found.state : null;
  const flagsGiven = r.mitm !== undefined || r.detach !== undefined;
  if (!before && !flagsGiven) {
    throw new UserError(`ccproxy is not running (config directory ${loaded.dir}), so there is no way it ran to restart it as; start it with: ccproxy start [--mitm] [--detach]`, 3);
  }
  const code = await stopCcproxy(loaded.dir);
  if (code !== 0) return code;
  return startCcproxy(
    {
      mitm: flagsGiven ? (r.mitm ?? false) : (before?.mitm ?? false),
      detach: flagsGiven ? (r.detach ?? false) : (before?.detached ?? false),
      port: r.port,
      host: r.host,
    },
    env,
    loaded,
  );
}

export function describeStarted(s: DaemonState): string {
  const lines = [`ccproxy started in the background (pid ${s.pid}): ${s.url}`];
  const c = s.components;
  if (s.mitm) {
    lines.push(`  reverse          ${c.reverse?.url}  → gateway ${c.gateway?.url}`);
    lines.push(`  forward          ${c.forward?.url}  (HTTPS_PROXY; CA ${s.caCert})`);
    lines.push(`  database         ${s.database?.kind === 'embedded' ? `embedded, ${s.database.url}` : s.database?.url}`);
    if (c.viewer) lines.push(`  viewer           ${c.viewer.url}  (ccproxy ui opens it)`);
  } else {
    lines.push(`  gateway          ${c.gateway?.url}  (no capture: --mitm records traffic)`);
  }
  lines.push(`  log              ${s.logFile}`);
  lines.push('ccproxy status shows it; ccproxy run <command> runs a client through it; ccproxy stop stops it.');
  return lines.join('\n');
}
