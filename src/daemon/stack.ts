// Everything `ccproxy start` runs, in one process. Without capture: the gateway on the main port. With it (the
// spec's dual-proxy flow): the trace store, the reverse capture on the main port forwarding to the gateway on an
// internal loopback port, and the gateway's provider calls sent through the forward capture (ccproxy.mitm.port),
// which any other client may use as HTTPS_PROXY. Closing goes from the client side inwards, then drains the writer.
// The gateway reaches the forward capture with credentials only this process knows, so map_remote, which is for
// clients, never touches its provider calls.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { ComponentName } from '../components.js';
import { sourceOf, type LoadedConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { loadModels } from '../gateway/config.js';
import { loadMasterKey, type ListenSetting } from '../gateway/settings.js';
import type { Cooldown } from '../gateway/router/health.js';
import { startGateway, type RunningGateway } from '../gateway/start.js';
import type { Logger } from '../log.js';
import { ownHosts } from '../proxy/access.js';
import { listenOrExplain, type RunningProxy } from '../proxy/listen.js';
import type { Database } from '../store/database.js';
import type { WriterCounters } from '../store/writer.js';
import { openCapture } from './capture-point.js';
import type { ComponentState, DaemonState } from './state.js';

/** The user name in the gateway's proxy URL; the password is random per process. */
const GATEWAY_PROXY_USER = 'ccproxy';

/** Credentials the gateway presents to the forward capture (undici sends them as Proxy-Authorization: Basic). */
function gatewayProxyCredentials() {
  const secret = randomBytes(24).toString('hex');
  return { user: GATEWAY_PROXY_USER, secret, header: `Basic ${Buffer.from(`${GATEWAY_PROXY_USER}:${secret}`).toString('base64')}` };
}

function withCredentials(url: string, c: { user: string; secret: string }): string {
  const u = new URL(url);
  u.username = c.user;
  u.password = c.secret;
  return u.href.replace(/\/$/, '');
}

export interface StackOptions {
  loaded: LoadedConfig;
  /** Both capture points and the trace store around the gateway. */
  mitm: boolean;
  listen: ListenSetting;
  /** A logger per component: every line carries its name. */
  logger(component: string): Logger;
  env: NodeJS.ProcessEnv;
}

export interface RunningStack {
  url: string;
  components: Partial<Record<ComponentName, ComponentState>>;
  database: DaemonState['database'];
  caCert: string | null;
  /** The trace database (with capture), which the viewer reads. */
  db: Database | null;
  counters(): WriterCounters | null;
  /** The gateway's deployments cooling down now. */
  cooldowns(): Cooldown[];
  /** Closes the listeners, then drains the writer (bounded) and closes the database. */
  close(): Promise<WriterCounters | null>;
}

export async function startStack(o: StackOptions): Promise<RunningStack> {
  const { loaded, listen } = o;
  const mainEntry = { ...listen, portHint: '--port or ccproxy.port', hostHint: 'ccproxy.host or --host' };
  const cfg = loaded.config.ccproxy;
  const mitm = cfg.mitm;
  const gatewayLog = o.logger('gateway');
  const closers: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    if (!o.mitm) {
      const gw = await listenOrExplain(() => startGateway({ loaded, host: listen.host, port: listen.port, logger: gatewayLog, env: o.env }), mainEntry);
      return {
        url: gw.url,
        components: { gateway: { url: gw.url, port: gw.port, pinned: listen.port !== 0 } },
        database: null,
        caCert: null,
        db: null,
        counters: () => null,
        cooldowns: () => gw.cooldowns(),
        close: async () => {
          await gw.close();
          return null;
        },
      };
    }

    // The gateway's model list is read first: a missing or broken config.yaml stops the start before anything
    // is created (no database, no CA).
    const models = loadModels(loaded.dir, o.env);
    const masterKey = loadMasterKey(loaded.dir, o.env);
    // A warning about who may use the listeners concerns the whole process, not one capture point.
    const access = { masterKey, warn: (m: string) => o.logger('daemon').warn(m) };
    const capture = await openCapture(loaded, mitm, o.logger('database'), true);
    closers.push(() => capture.close());

    const own = gatewayProxyCredentials();
    const forward: RunningProxy = await capture.startForward({
      at: { host: mitm.listen_host, port: mitm.port, portSource: sourceOf(loaded, 'port'), portHint: 'CCPROXY_MITM_PORT or ccproxy.mitm.port', hostHint: 'ccproxy.mitm.listen_host' },
      log: o.logger('forward'),
      access,
      unmappedProxyAuthorization: own.header,
    });
    closers.push(() => forward.close());
    const forwardUrl = withCredentials(forward.url, own);

    // Every provider call of the gateway goes through the forward capture: no NO_PROXY exemptions.
    const gatewayEnv = { ...o.env, HTTPS_PROXY: forwardUrl, HTTP_PROXY: forwardUrl, https_proxy: forwardUrl, http_proxy: forwardUrl, NO_PROXY: '', no_proxy: '' };
    // The main entry passes its callers' Origin on; the gateway accepts the main entry's own origins.
    const mainOrigins = new Set<string>();
    const gw: RunningGateway = await startGateway({ loaded, host: '127.0.0.1', port: 0, logger: gatewayLog, env: gatewayEnv, models, masterKey, originsAlso: mainOrigins });
    closers.push(() => gw.close());

    const reverse: RunningProxy = await capture.startReverse({ at: mainEntry, log: o.logger('reverse'), access, upstream: new URL(gw.url) });
    closers.push(() => reverse.close());
    for (const h of ownHosts(reverse.server.address() as AddressInfo)) mainOrigins.add(h);

    const b = capture.store.db.backend;
    const database: DaemonState['database'] =
      b.kind === 'embedded' ? { kind: 'embedded', url: b.url, port: b.port, dataDir: b.dataDir } : { kind: 'server', url: b.safeUrl, source: b.source };
    return {
      url: reverse.url,
      components: {
        reverse: { url: reverse.url, port: reverse.port, pinned: listen.port !== 0 },
        gateway: { url: gw.url, port: gw.port, pinned: false },
        forward: { url: forward.url, port: forward.port, pinned: mitm.port !== 0 },
        database: { url: database.url, port: b.kind === 'embedded' ? b.port : null, pinned: false },
      },
      database,
      caCert: capture.ca!.certPath,
      db: capture.store.db,
      counters: () => capture.store.writer.counters(),
      cooldowns: () => gw.cooldowns(),
      close: async () => {
        await reverse.close();
        await gw.close();
        await forward.close();
        return capture.close();
      },
    };
  } catch (err) {
    await closeAll();
    if (err instanceof ConfigError) throw new ConfigError(`${err.message}\nccproxy start: not started`);
    throw err;
  }
}
