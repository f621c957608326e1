// `ccproxy status [--json]`: each component (gateway, reverse capture, forward capture, database) with running,
// pid, address and log file; the database backend; the writer's live counters; the CA path; `url`, the main
// entry. Exit 0 when running, 3 when not, so scripts can test it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { configDir } from '../../config/paths.js';
import { queryControl } from '../../daemon/control.js';
import { findRunning, type ComponentName, type DaemonState } from '../../daemon/state.js';
import { CA_CERT_FILE } from '../../proxy/tls/ca.js';
import { parseFlags } from '../args.js';
import type { Command } from '../main.js';

export const NOT_RUNNING = 3;

interface ComponentStatus {
  running: boolean;
  pid: number | null;
  url: string | null;
  port: number | null;
  log_file: string | null;
}

const LABELS: Record<ComponentName, string> = { gateway: 'gateway', reverse: 'reverse capture', forward: 'forward capture', database: 'database' };

export function statusJson(dir: string, pid: number | null, state: DaemonState | null, writer: unknown, caCert: string | null) {
  const components = {} as Record<ComponentName, ComponentStatus>;
  for (const name of Object.keys(LABELS) as ComponentName[]) {
    const c = state?.components[name];
    components[name] = { running: !!c, pid: c ? state!.pid : null, url: c?.url ?? null, port: c?.port ?? null, log_file: c ? (state!.logFile ?? null) : null };
  }
  return {
    running: pid !== null,
    url: state?.url ?? null,
    pid,
    started_at: state?.startedAt ?? null,
    mitm: state?.mitm ?? false,
    detached: state?.detached ?? false,
    config_dir: dir,
    log_file: state?.logFile ?? null,
    ca_cert: caCert,
    components,
    database: state?.database ?? null,
    writer,
  };
}

const command: Command = {
  summary: 'Show whether ccproxy runs: each component, the database, the trace writer counters (exit 3 when not running)',
  usage: 'ccproxy status [--json]',
  async run(argv) {
    const { values } = parseFlags(argv, { json: { type: 'boolean' } }, this.usage, false);
    // Read even when ccproxy.yaml is broken (it may have been edited while ccproxy runs).
    const dir = configDir();
    let certDir = dir;
    try {
      certDir = loadConfig().config.ccproxy.mitm.cert_dir ?? dir;
    } catch {
      /* the default place */
    }
    const found = findRunning(dir);
    const state = found.running ? found.state : null;
    const live = state ? await queryControl(state.controlPort) : null;
    const defaultCa = join(certDir, CA_CERT_FILE);
    const caCert = state?.caCert ?? (existsSync(defaultCa) ? defaultCa : null);
    const s = statusJson(dir, found.running ? found.pid : null, state, live?.writer ?? null, caCert);
    if (values.json) {
      console.log(JSON.stringify(s, null, 2));
      return s.running ? 0 : NOT_RUNNING;
    }
    if (!found.running) {
      console.log(`ccproxy is not running (config directory ${dir})${found.stalePid !== null ? `; removed the stale PID file of process ${found.stalePid}` : ''}`);
      return NOT_RUNNING;
    }
    if (!state) {
      console.log(`ccproxy (pid ${found.pid}) is starting`);
      return 0;
    }
    const rows: string[] = [`ccproxy is running (pid ${found.pid}, since ${state.startedAt}): ${state.url}`];
    for (const [name, label] of Object.entries(LABELS) as [ComponentName, string][]) {
      const c = s.components[name];
      rows.push(`  ${label.padEnd(16)} ${c.running ? `running  pid ${c.pid}  ${c.url}` : 'not running'}`);
    }
    const db = state.database;
    if (db) rows.push(`  backend          ${db.kind === 'embedded' ? `embedded (PGlite in ${db.dataDir}), served on loopback port ${db.port}` : `server ${db.url} (from ${db.source})`}`);
    const w = live?.writer;
    if (w) rows.push(`  writer           ${w.state}: ${w.queued} queued, ${w.written} written, ${w.spilled} spilled (${w.spillPending} pending), ${w.dropped} dropped`);
    else if (state.mitm) rows.push('  writer           counters unavailable (the control endpoint did not answer)');
    if (caCert) rows.push(`  CA certificate   ${caCert}`);
    rows.push(`  log file         ${state.logFile ?? '(foreground: the terminal it runs in)'}`);
    console.log(rows.join('\n'));
    return 0;
  },
};
export default command;
