// The life of a running ccproxy, in the foreground or as the detached child: claim the PID file, start the
// stack, open the control endpoint, write the state file (the "ready" signal `start --detach` waits for), then
// wait for SIGINT/SIGTERM and shut down in order — listeners, writer drain, database — removing the files last.
// A second Ctrl-C in the foreground stops at once (queued traces stay in the spill file for the next start).
import type { LoadedConfig } from '../config/load.js';
import type { ListenSetting } from '../gateway/settings.js';
import { tightenedMessage, tightenTree } from '../config/private-files.js';
import { createLogger } from '../log.js';
import { stoppedLine } from '../store/counters.js';
import { waitForSignal } from '../wait-for-signal.js';
import { openViewer } from '../web/open.js';
import type { RunningViewer } from '../web/server.js';
import { startControl } from './control.js';
import { trimWhenQuiet } from './idle-trim.js';
import { startStack } from './stack.js';
import { claimPidFile, removeFiles, writeState } from './state.js';

export interface DaemonOptions {
  loaded: LoadedConfig;
  mitm: boolean;
  listen: ListenSetting;
  /** Set in the detached child: where its stderr goes. */
  logFile: string | null;
  env: NodeJS.ProcessEnv;
  /** Called once every component listens (the foreground prints where). */
  onReady?(url: string): void;
}

export async function runDaemon(o: DaemonOptions): Promise<number> {
  const { loaded } = o;
  const cfg = loaded.config.ccproxy;
  const debug = cfg.debug === true || cfg.mitm.debug;
  const logger = (component: string) => createLogger(component, { debug });
  const log = logger('daemon');
  const dir = loaded.dir;

  const tightened = tightenedMessage(dir, tightenTree(dir));
  if (tightened) log.warn(tightened);
  claimPidFile(dir);
  let stack;
  try {
    stack = await startStack({ loaded, mitm: o.mitm, listen: o.listen, logger, env: o.env });
  } catch (err) {
    removeFiles(dir, process.pid);
    throw err;
  }
  let viewer: RunningViewer | null = null;
  if (stack.db) {
    try {
      viewer = await openViewer(stack.db, { port: cfg.ui.port, portSource: 'ccproxy.ui.port', log: logger('viewer'), prices: cfg.prices });
    } catch (err) {
      await stack.close();
      removeFiles(dir, process.pid);
      throw err;
    }
    stack.components.viewer = { url: viewer.url, port: viewer.port, pinned: cfg.ui.port !== 0 };
  }
  const started = Date.now();
  const control = await startControl(
    () => ({ pid: process.pid, uptimeSeconds: Math.round((Date.now() - started) / 1000), writer: stack.counters(), cooldowns: stack.cooldowns() }),
    () => viewer?.link() ?? null,
  );
  writeState(dir, {
    pid: process.pid,
    startedAt: new Date(started).toISOString(),
    url: stack.url,
    mitm: o.mitm,
    detached: o.logFile !== null,
    logFile: o.logFile,
    caCert: stack.caCert,
    controlPort: control.port,
    components: stack.components,
    database: stack.database,
  });
  const stopTrim = trimWhenQuiet(() => stack.counters()?.enqueued ?? 0);
  const c = stack.components;
  if (o.mitm) {
    log.info(`listening on ${stack.url} (reverse) → gateway ${c.gateway!.url} → forward ${c.forward!.url} → providers; traces to ${stack.database!.url}; viewer on ${c.viewer?.url} (ccproxy ui)`);
  } else {
    log.info(`gateway listening on ${stack.url} (no capture: start with --mitm or set ccproxy.mitm.enabled to record traffic)`);
  }
  o.onReady?.(stack.url);

  const signal = await waitForSignal(['SIGINT', 'SIGTERM', 'SIGHUP']);
  process.once('SIGINT', () => {
    log.warn('second interrupt: stopping now');
    removeFiles(dir, process.pid);
    process.exit(130);
  });
  log.info(`${signal}: closing the listeners and draining the trace writer`);
  stopTrim();
  await viewer?.close();
  const counters = await stack.close();
  await control.close();
  removeFiles(dir, process.pid);
  if (counters) {
    log.info(stoppedLine(counters));
  } else {
    log.info('stopped');
  }
  return 0;
}
