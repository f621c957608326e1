// Starting the gateway from a loaded configuration: read config.yaml, build the rules and hooks (refusing a
// configuration with problems, each named by file and line), then listen. `ccproxy start` calls this; the daemon
// (a later issue) hosts the same function in-process beside the capture listeners.
import { locate, type LoadedConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { registerGateway } from '../proxy/link.js';
import { listen } from '../proxy/listen.js';
import { describeConfigured, loadModels, type ModelTable } from './config.js';
import { loadMasterKey } from './settings.js';
import { OatSources } from './credentials.js';
import { createHooks, type NamedHook, type RoutingState } from './hooks.js';
import { createRule, type NamedRule } from './rules.js';
import { createGatewayServer } from './server.js';
import type { Cooldown } from './router/health.js';
import { Router } from './router/router.js';
import { fallbackTargets, routerSettings } from './router/settings.js';
import { unimplementedWarning } from './router/unimplemented.js';
import { createUpstream } from './upstream.js';
import { unknownSettings } from '../config/unknown-settings.js';

export interface GatewayOptions {
  loaded: LoadedConfig;
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  /** Provider keys (os.environ/…), HTTPS_PROXY / NO_PROXY, NODE_EXTRA_CA_CERTS and oat_sources commands read this. */
  env?: NodeJS.ProcessEnv;
  /** Instead of reading config.yaml from the config directory. */
  models?: ModelTable;
  /** Origins (`host:port`) of the listener in front of the gateway, whose pages' requests it passes on. */
  originsAlso?: Set<string>;
  /** general_settings.master_key, when already read (else read from config.yaml). */
  masterKey?: string | null;
}

export interface RunningGateway {
  url: string;
  port: number;
  /** Where outbound calls go through (HTTPS_PROXY), if anywhere. */
  proxy: string | null;
  /** Deployments the router has cooling down now. */
  cooldowns(): Cooldown[];
  close(): Promise<void>;
}

/** What the configuration files say the gateway is: read and checked, every problem named by file and line. */
export interface PreparedGateway {
  state: RoutingState;
  hooks: readonly NamedHook[];
  router: Router;
}

export async function prepareGateway(loaded: LoadedConfig, env: NodeJS.ProcessEnv, logger: Logger, preloaded?: ModelTable): Promise<PreparedGateway> {
  const cfg = loaded.config.ccproxy;
  const models = preloaded ?? loadModels(loaded.dir, env);
  for (const w of [...unknownSettings(loaded), ...models.warnings]) logger.warn(w);
  const settings = routerSettings(models.file, models.text);
  const ignored = unimplementedWarning(models.file, models.text);
  if (ignored) logger.warn(ignored);
  for (const f of fallbackTargets(settings)) {
    if (!models.explain(f.to)) logger.warn(`${models.file}: ${f.setting}: "${f.from}" falls back to "${f.to}", which no model_name or pattern routes; it is skipped`);
  }
  const at = (path: (string | number)[]) => locate(loaded.file, loaded.text ?? '', path);
  const problems: string[] = [];
  const rules: NamedRule[] = [];
  for (const [i, r] of cfg.rules.entries()) {
    try {
      rules.push({ name: r.name, rule: await createRule(r, loaded.dir) });
    } catch (err) {
      problems.push(`${at(['ccproxy', 'rules', i, 'rule'])}: ccproxy.rules[${i}].rule: ${(err as Error).message}`);
    }
    if (!models.resolve(r.name)) {
      problems.push(`${at(['ccproxy', 'rules', i, 'name'])}: ccproxy.rules[${i}].name: "${r.name}" labels requests, but ${models.file} has no model_name or pattern for "${r.name}" (${describeConfigured(models)})`);
    }
  }
  const state: RoutingState = { rules, models, passthrough: cfg.default_model_passthrough };
  let hooks;
  try {
    hooks = await createHooks(cfg.hooks, state, loaded.dir);
  } catch (err) {
    const i = (err as { hookIndex?: number }).hookIndex ?? 0;
    problems.push(`${at(['ccproxy', 'hooks', i])}: ccproxy.hooks[${i}]: ${(err as Error).message}`);
  }
  if (problems.length > 0 || !hooks) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return { state, hooks, router: new Router(settings) };
}

export async function startGateway(o: GatewayOptions): Promise<RunningGateway> {
  const env = o.env ?? process.env;
  const { loaded } = o;
  const cfg = loaded.config.ccproxy;
  const { state, hooks, router } = await prepareGateway(loaded, env, o.logger, o.models);
  const mitm = cfg.mitm;
  const upstream = createUpstream({ env, certDir: mitm.cert_dir ?? loaded.dir, connectTimeoutMs: mitm.connect_timeout * 1000, idleTimeoutMs: mitm.idle_timeout * 1000 });
  const masterKey = o.masterKey !== undefined ? o.masterKey : loadMasterKey(loaded.dir, env);
  const server = createGatewayServer({ state, hooks, oat: new OatSources(cfg.oat_sources, env), upstream, env, log: o.logger, masterKey, router });
  let running;
  try {
    running = await listen(
      server,
      o.host,
      o.port,
      () => {
        server.webSockets.closeAll();
        void upstream.dispatcher.close().catch(() => {});
      },
      () => {
        server.webSockets.terminateAll();
        void upstream.dispatcher.destroy().catch(() => {});
      },
      () => {},
      { masterKey, bearer: true, warn: (m) => o.logger.warn(m), originsAlso: o.originsAlso },
    );
  } catch (err) {
    await upstream.dispatcher.close().catch(() => {});
    throw err;
  }
  // The reverse capture of this process links its rows to the forward rows of what it sends here.
  const unregister = registerGateway(running.url);
  const close = running.close;
  return { url: running.url, port: running.port, proxy: upstream.proxy, cooldowns: () => router.cooldowns(), close: () => {
      unregister();
      return close();
    },
  };
}
