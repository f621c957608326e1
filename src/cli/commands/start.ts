// `ccproxy start [--mitm] [--detach]`: the gateway on the main port, or with --mitm (or ccproxy.mitm.enabled)
// both capture points around it, in one process. Foreground: log lines on the terminal until Ctrl-C. Detached:
// in the background with its log in the config directory; this command returns once every component listens.
import { loadConfig, type LoadedConfig } from '../../config/load.js';
import { UserError } from '../../errors.js';
import { listenSetting, type ListenSetting } from '../../gateway/config.js';
import { runDaemon } from '../../daemon/daemon.js';
import { DAEMON_LOG_ENV, startDetached } from '../../daemon/detach.js';
import { alreadyRunning, findRunning, type DaemonState } from '../../daemon/state.js';
import { parseFlags } from '../args.js';
import type { Command } from '../main.js';

export const START_OPTIONS = {
  mitm: { type: 'boolean' },
  detach: { type: 'boolean', short: 'd' },
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
} as const;

export const START_USAGE = 'ccproxy start [--mitm] [--detach|-d] [--port N] [--host ADDR]';

export interface StartRequest {
  mitm: boolean;
  detach: boolean;
  port?: string;
  host?: string;
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
export async function start(r: StartRequest, env: NodeJS.ProcessEnv = process.env, loaded: LoadedConfig = loadConfig(env)): Promise<number> {
  const mitm = r.mitm || loaded.config.ccproxy.mitm.enabled;
  const listen = listenFor(loaded, r);
  const childLog = env[DAEMON_LOG_ENV];
  if (r.detach && !childLog) {
    const found = findRunning(loaded.dir);
    if (found.running) throw alreadyRunning(loaded.dir, found.pid, found.state);
    const argv = [...(r.mitm ? ['--mitm'] : []), '--detach', ...(r.port !== undefined ? ['--port', r.port] : []), ...(r.host !== undefined ? ['--host', r.host] : [])];
    const state = await startDetached(loaded.dir, argv, env);
    console.log(describeStarted(state));
    for (const w of state.warnings) console.log(w);
    return 0;
  }
  return runDaemon({
    loaded,
    mitm,
    listen,
    logFile: childLog ?? null,
    env,
    onReady: (url) => {
      if (!childLog) console.log(`ccproxy listening on ${url} (${mitm ? 'reverse capture → gateway → forward capture' : 'gateway, no capture'}); Ctrl-C stops`);
    },
  });
}

export function describeStarted(s: DaemonState): string {
  const lines = [`ccproxy started in the background (pid ${s.pid}): ${s.url}`];
  const c = s.components;
  if (s.mitm) {
    lines.push(`  reverse capture  ${c.reverse?.url}  → gateway ${c.gateway?.url}`);
    lines.push(`  forward capture  ${c.forward?.url}  (HTTPS_PROXY; CA ${s.caCert})`);
    lines.push(`  database         ${s.database?.kind === 'embedded' ? `embedded, ${s.database.url}` : s.database?.url}`);
  } else {
    lines.push(`  gateway          ${c.gateway?.url}  (no capture: --mitm records traffic)`);
  }
  lines.push(`  log              ${s.logFile}`);
  lines.push('ccproxy status shows it; ccproxy run <command> runs a client through it; ccproxy stop stops it.');
  return lines.join('\n');
}

const command: Command = {
  summary: 'Start the gateway; with --mitm both capture points around it (traces to the database); --detach runs it in the background',
  usage: START_USAGE,
  details: [
    'The main entry listens on --port/--host, else ccproxy.port/ccproxy.host (or litellm.port/host), default 127.0.0.1:4000;',
    'with --mitm (or ccproxy.mitm.enabled) the forward capture listens on ccproxy.mitm.port (CCPROXY_MITM_PORT), default 8081,',
    'and the gateway on a free loopback port. --detach: PID, state and log files in the config directory.',
  ].join('\n'),
  async run(argv) {
    const { values } = parseFlags(argv, START_OPTIONS, this.usage, false);
    return start({ mitm: values.mitm ?? false, detach: values.detach ?? false, port: values.port, host: values.host });
  },
};
export default command;
