// `ccproxy status [--json]`: each component (gateway, reverse, forward, database) with running,
// pid, address and log file; the database backend; the writer's live counters; the deployments cooling down and
// until when; the CA path; `url`, the main entry. Exit 0 when running, 3 when not, so scripts can test it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { COMPONENTS, type ComponentName } from '../../components.js';
import { loadConfigLazily } from '../../config/load-lazily.js';
import { configDir } from '../../config/paths.js';
import { findRunning, type DaemonState } from '../../daemon/state.js';
import { servingHolder, type ServingHolder } from '../../store/holder.js';
import type { Cooldown } from '../../gateway/router/health.js';
import { CA_CERT_FILE } from '../../proxy/tls/ca-files.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

export const NOT_RUNNING = 3;

interface ComponentStatus {
  running: boolean;
  pid: number | null;
  url: string | null;
  port: number | null;
  log_file: string | null;
}

/**
 * The status as JSON. `holder`: who serves the embedded database now; the state file records who served it when
 * ccproxy started (a `ccproxy ui` that held it then may have stopped, and ccproxy taken it over on another port).
 */
export function statusJson(dir: string, pid: number | null, state: DaemonState | null, writer: unknown, caCert: string | null, cooldowns: Cooldown[] | null = null, holder: ServingHolder | null = null) {
  const components = {} as Record<ComponentName, ComponentStatus>;
  for (const name of COMPONENTS) {
    const c = state?.components[name];
    components[name] = { running: !!c, pid: c ? state!.pid : null, url: c?.url ?? null, port: c?.port ?? null, log_file: c ? (state!.logFile ?? null) : null };
  }
  const embedded = state?.database?.kind === 'embedded' ? state.database : null;
  if (embedded && holder && components.database.running) components.database = { ...components.database, pid: holder.pid, url: holder.url, port: holder.port };
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
    database: embedded && holder ? { ...embedded, url: holder.url, port: holder.port } : (state?.database ?? null),
    writer,
    cooldowns: (cooldowns ?? []).map((c) => ({ model_name: c.name, model: c.model, where: c.where, until: new Date(c.until).toISOString(), reason: c.reason })),
  };
}

const command: Command = {
  usage: 'ccproxy status [--json]',
  async run(argv) {
    const { values } = parseFlags(argv, { json: { type: 'boolean' } }, this.usage, false);
    const dir = configDir();
    const found = findRunning(dir);
    const state = found.running ? found.state : null;
    // The control endpoint's client (and node:http with it) is loaded only when there is a ccproxy to ask.
    const live = state ? await (await import('../../daemon/control.js')).queryControl(state.controlPort) : null;
    const caCert = state?.caCert ?? (await caCertOnDisk(dir));
    const holder = state?.database?.kind === 'embedded' ? servingHolder(dir) : null;
    const s = statusJson(dir, found.running ? found.pid : null, state, live?.writer ?? null, caCert, live?.cooldowns ?? null, holder);
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
    for (const name of COMPONENTS) {
      const c = s.components[name];
      rows.push(`  ${name.padEnd(16)} ${c.running ? `running  pid ${c.pid}  ${c.url}${name === 'viewer' ? '  (ccproxy ui prints a link that signs a browser in)' : ''}` : 'not running'}`);
    }
    const db = s.database;
    if (db) rows.push(`  backend          ${db.kind === 'embedded' ? `embedded (PGlite in ${db.dataDir}), served on loopback port ${db.port}${holder && holder.pid !== found.pid ? ` by process ${holder.pid}` : ''}` : `server ${db.url} (from ${db.source})`}`);
    const w = live?.writer;
    if (w) rows.push(`  writer           ${w.state}: ${w.queued} queued, ${w.written} written, ${w.spilled} spilled (${w.spillPending} pending), ${w.dropped} dropped`);
    else if (state.mitm) rows.push('  writer           counters unavailable (the control endpoint did not answer)');
    for (const c of s.cooldowns) rows.push(`  cooling down     "${c.model_name}" (${c.model}, ${c.where}) until ${c.until} (in ${Math.max(0, Math.ceil((Date.parse(c.until) - Date.now()) / 1000))}s): ${c.reason}`);
    if (caCert) rows.push(`  CA certificate   ${caCert}`);
    rows.push(`  log file         ${state.logFile ?? '(foreground: the terminal it runs in)'}`);
    console.log(rows.join('\n'));
    return 0;
  },
};
export default command;

/**
 * The CA certificate where ccproxy.yaml's cert_dir (else the config directory) keeps it, if it is there. Read
 * even when ccproxy.yaml is broken (it may have been edited while ccproxy runs); only asked when the running
 * ccproxy does not name its CA, so a running one is shown without parsing the file.
 */
async function caCertOnDisk(dir: string): Promise<string | null> {
  let certDir = dir;
  try {
    certDir = (await loadConfigLazily()).config.ccproxy.mitm.cert_dir ?? dir;
  } catch {
    /* the default place */
  }
  const file = join(certDir, CA_CERT_FILE);
  return existsSync(file) ? file : null;
}
