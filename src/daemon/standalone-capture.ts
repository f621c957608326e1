// One capture point on its own, in the foreground (`ccproxy mitm start`): its settings are ccproxy.yaml <
// environment (CCPROXY_MITM_*) < flags, settled here into a copy, so the loaded configuration stays as it was
// read; then the capture is opened and the point listens (capture-point.ts) until SIGINT or SIGTERM, when the
// listener closes and the writer drains.
import type { CapturePointName } from '../components.js';
import { sourceOf, type LoadedConfig } from '../config/load.js';
import { tightenedMessage, tightenTree } from '../config/private-files.js';
import type { MitmConfig } from '../config/schema.js';
import { UserError } from '../errors.js';
import { createLogger } from '../log.js';
import { waitForSignal } from '../wait-for-signal.js';
import { openCapture } from './capture-point.js';
import { stoppedLine } from '../store/counters.js';
import { unknownSettings } from '../config/unknown-settings.js';

/** The flags of `mitm start` (node:util parseArgs options), each a field of StandaloneRequest. */
export const STANDALONE_FLAGS = {
  port: { type: 'string', short: 'p' },
  mode: { type: 'string' },
  upstream: { type: 'string' },
  host: { type: 'string' },
} as const;

export interface StandaloneRequest {
  port?: string;
  mode?: string;
  upstream?: string;
  host?: string;
}

export interface StandaloneSettings {
  /** ccproxy.mitm with the flags applied. */
  mitm: MitmConfig;
  point: CapturePointName;
  /** The reverse point's upstream; null for the forward point. */
  upstream: URL | null;
  /** Where the port came from, for "port in use" messages. */
  portSource: string;
}

/** ccproxy.mitm with the flags applied, checked; a usage error (exit 2) names the flag or setting at fault. */
export function standaloneSettings(loaded: LoadedConfig, r: StandaloneRequest): StandaloneSettings {
  const mitm: MitmConfig = { ...loaded.config.ccproxy.mitm };
  let portSource = sourceOf(loaded, 'port');
  let upstreamSource = sourceOf(loaded, 'upstream_proxy');
  if (r.port !== undefined) {
    const n = Number(r.port);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UserError(`--port ${r.port}: expected a port number from 0 to 65535`, 2);
    mitm.port = n;
    portSource = '--port';
  }
  if (r.mode !== undefined) {
    if (r.mode !== 'reverse' && r.mode !== 'forward') throw new UserError(`--mode ${r.mode}: expected reverse or forward`, 2);
    mitm.mode = r.mode;
  }
  if (r.upstream !== undefined) {
    mitm.upstream_proxy = r.upstream;
    upstreamSource = '--upstream';
  }
  if (r.host !== undefined) mitm.listen_host = r.host;
  const point: CapturePointName = mitm.mode === 'forward' ? 'forward' : 'reverse';
  let upstream: URL | null = null;
  if (point === 'reverse') {
    try {
      upstream = new URL(mitm.upstream_proxy);
      if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new UserError(`invalid upstream ${JSON.stringify(mitm.upstream_proxy)} (from ${upstreamSource}): expected an http:// or https:// URL`, 2);
    }
  }
  return { mitm, point, upstream, portSource };
}

/** Runs the capture point until SIGINT or SIGTERM; the first line on stdout says where it listens. */
export async function runStandaloneCapture(loaded: LoadedConfig, r: StandaloneRequest): Promise<number> {
  const { mitm, point, upstream, portSource } = standaloneSettings(loaded, r);
  const log = createLogger(point, { debug: mitm.debug });
  for (const w of unknownSettings(loaded)) log.warn(w);
  const tightened = tightenedMessage(loaded.dir, tightenTree(loaded.dir));
  if (tightened) log.warn(tightened);
  const capture = await openCapture(loaded, mitm, log, point === 'forward');
  const at = { host: mitm.listen_host, port: mitm.port, portSource, portHint: '--port', hostHint: 'ccproxy.mitm.listen_host or --host' };
  let proxy;
  try {
    proxy = point === 'forward' ? await capture.startForward({ at, log }) : await capture.startReverse({ at, log, upstream: upstream! });
  } catch (err) {
    await capture.close();
    throw err;
  }
  const where = point === 'forward' ? `as HTTPS_PROXY (CA: ${capture.ca!.certPath})` : `→ ${upstream!.origin}${upstream!.pathname === '/' ? '' : upstream!.pathname}`;
  console.log(`ccproxy mitm (${mitm.mode}) listening on ${proxy.url} ${where}; traces to ${capture.store.db.describe()}`);
  await waitForSignal();
  log.info('stopping: closing the listener and draining the trace writer');
  await proxy.close();
  const c = await capture.close();
  log.info(stoppedLine(c));
  return 0;
}
