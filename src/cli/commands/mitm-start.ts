// `ccproxy mitm start`: one capture proxy in the foreground, logging to the terminal, until Ctrl-C
// (then the writer drains). Settings: ccproxy.yaml < environment (CCPROXY_MITM_*) < flags.
import { loadConfig, sourceOf } from '../../config/load.js';
import { UserError } from '../../errors.js';
import { tightenedMessage, tightenTree } from '../../config/private-files.js';
import { createLogger } from '../../log.js';
import { startForwardProxy } from '../../proxy/forward.js';
import { captureOptions, listenOrExplain } from '../../proxy/listen.js';
import { startReverseProxy } from '../../proxy/reverse.js';
import { loadOrCreateCA } from '../../proxy/tls/ca.js';
import { openTraceStore } from '../../store/store.js';
import { parseFlags } from '../args.js';
import type { Command } from '../main.js';

/** How long Ctrl-C waits for queued traces to reach the database before spilling the rest. */
const DRAIN_MS = 5_000;

const command: Command = {
  summary: 'Run one capture proxy in the foreground (reverse: to an upstream URL; forward: HTTPS_PROXY with TLS interception) until Ctrl-C',
  usage: 'ccproxy mitm start [--port N] [--mode reverse|forward] [--upstream URL] [--host ADDR]',
  details: [
    'Defaults: --port 8081 (ccproxy.mitm.port, CCPROXY_MITM_PORT; 0 picks a free port), --mode reverse (ccproxy.mitm.mode,',
    'CCPROXY_MITM_MODE), --upstream http://localhost:4000 (ccproxy.mitm.upstream_proxy, CCPROXY_MITM_UPSTREAM),',
    '--host 127.0.0.1 (ccproxy.mitm.listen_host). Flags override the environment, which overrides ccproxy.yaml.',
  ].join('\n'),
  async run(argv) {
    const { values } = parseFlags(
      argv,
      { port: { type: 'string', short: 'p' }, mode: { type: 'string' }, upstream: { type: 'string' }, host: { type: 'string' } },
      this.usage,
      false,
    );
    const loaded = loadConfig();
    const mitm = loaded.config.ccproxy.mitm;
    if (values.port !== undefined) {
      const n = Number(values.port);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UserError(`--port ${values.port}: expected a port number from 0 to 65535`, 2);
      mitm.port = n;
      loaded.sources.port = '--port';
    }
    if (values.mode !== undefined) {
      if (values.mode !== 'reverse' && values.mode !== 'forward') throw new UserError(`--mode ${values.mode}: expected reverse or forward`, 2);
      mitm.mode = values.mode;
    }
    if (values.upstream !== undefined) {
      mitm.upstream_proxy = values.upstream;
      loaded.sources.upstream_proxy = '--upstream';
    }
    if (values.host !== undefined) mitm.listen_host = values.host;
    const forward = mitm.mode === 'forward';
    let upstream: URL | null = null;
    if (!forward) {
      try {
        upstream = new URL(mitm.upstream_proxy);
        if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') throw new Error('scheme');
      } catch {
        throw new UserError(`invalid upstream ${JSON.stringify(mitm.upstream_proxy)} (from ${sourceOf(loaded, 'upstream_proxy')}): expected an http:// or https:// URL`, 2);
      }
    }
    const ca = forward ? await loadOrCreateCA(mitm.cert_dir ?? loaded.dir) : null;

    const log = createLogger(forward ? 'mitm-forward' : 'mitm-reverse', { debug: mitm.debug });
    const tightened = tightenedMessage(loaded.dir, tightenTree(loaded.dir));
    if (tightened) log.warn(tightened);
    const store = await openTraceStore(loaded, log);
    const at = { host: mitm.listen_host, port: mitm.port, portSource: sourceOf(loaded, 'port'), portHint: '--port', hostHint: 'ccproxy.mitm.listen_host or --host' };
    const common = { ...captureOptions(mitm, forward ? 1 : 0, store.writer, log), port: mitm.port };
    let proxy;
    try {
      proxy = await listenOrExplain(() => (forward ? startForwardProxy({ ...common, ca: ca!, excludedHosts: mitm.excluded_hosts, mapRemote: mitm.map_remote }) : startReverseProxy({ ...common, upstream: upstream! })), at);
    } catch (err) {
      await store.close();
      throw err;
    }
    const where = forward ? `as HTTPS_PROXY (CA: ${ca!.certPath})` : `→ ${upstream!.origin}${upstream!.pathname === '/' ? '' : upstream!.pathname}`;
    console.log(`ccproxy mitm (${mitm.mode}) listening on ${proxy.url} ${where}; traces to ${store.db.describe()}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    log.info('stopping: closing the listener and draining the trace writer');
    await proxy.close();
    const c = await store.close(DRAIN_MS);
    log.info(`stopped: ${c.written} operations written, ${c.spilled} spilled${c.spilled ? ' (replayed on the next start)' : ''}, ${c.dropped} dropped`);
    return 0;
  },
};
export default command;
