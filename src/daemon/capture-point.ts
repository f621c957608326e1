// A capture point, assembled the one way both `ccproxy start --mitm` (two of them around the gateway) and
// `ccproxy mitm start` (one, in the foreground) run it: the trace store and the CA opened once per process,
// ccproxy.mitm turned into the options the proxies take, and each listener started with "port in use" and the
// like explained by the setting the port came from. Closing the listeners is their owner's; closing the capture
// drains the writer and closes the database.
import { bodyLimit } from '../capture/settings.js';
import type { CapturePointName } from '../components.js';
import type { LoadedConfig } from '../config/load.js';
import type { MitmConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { AccessPolicy } from '../proxy/access.js';
import type { CaptureOptions, ExchangeContext } from '../proxy/context.js';
import { startForwardProxy } from '../proxy/forward.js';
import { listenOrExplain, type ListenSettings, type RunningProxy } from '../proxy/listen.js';
import { startReverseProxy } from '../proxy/reverse.js';
import { loadOrCreateCA, type CertificateAuthority } from '../proxy/tls/ca.js';
import { backfillInBackground } from '../store/backfill.js';
import { openTraceStore, type TraceStore } from '../store/store.js';
import type { WriterCounters } from '../store/writer.js';
import { PriceBook } from '../usage/prices.js';
import { flushAfterEnded } from '../capture/after-end.js';
import { settleRecorders } from '../capture/recorder.js';

/** How long a stop waits for the hand-overs still on their way to the writer. */
const SETTLE_MS = 2_000;

/**
 * What both capture listeners take from ccproxy.mitm, for one capture point (reverse records direction 0, forward 1).
 * `priceBook` prices the calls the usage stage reads (ccproxy.prices over the bundled table).
 */
export function captureOptions(mitm: MitmConfig, point: CapturePointName, sink: ExchangeContext['sink'], log: Logger, priceBook?: PriceBook): CaptureOptions {
  return {
    sink,
    capture: { direction: point, bodyLimit: bodyLimit(mitm.max_body_size), captureBodies: mitm.capture_bodies, redact: mitm.redact, redactHeaders: mitm.redact_headers, llmHosts: mitm.llm_hosts, usage: mitm.usage, ...(priceBook ? { priceBook } : {}) },
    log,
    connectTimeoutMs: mitm.connect_timeout * 1000,
    idleTimeoutMs: mitm.idle_timeout * 1000,
  };
}

/** Where a capture point listens (and what to say when it cannot), what it logs under, who may use it. */
export interface PointOptions {
  at: ListenSettings;
  log: Logger;
  /** Who may use it besides the owner (the master key); the owner alone when absent. */
  access?: AccessPolicy;
}

export interface Capture {
  store: TraceStore;
  /** The CA the forward point issues its certificates from; null when it was not asked for. */
  ca: CertificateAuthority | null;
  /** Every request to one upstream URL, recorded as the reverse point. */
  startReverse(o: PointOptions & { upstream: URL }): Promise<RunningProxy>;
  /** An HTTP(S) proxy intercepting TLS with the CA, recorded as the forward point. */
  startForward(o: PointOptions & { unmappedProxyAuthorization?: string }): Promise<RunningProxy>;
  /** Drains the writer (bounded; the rest is spilled) and closes the database, once the listeners are closed. */
  close(): Promise<WriterCounters>;
}

/**
 * Opens the trace store (lines logged under `log`; the writer and retention under their own tags), then the CA
 * when `withCa` (created in cert_dir, else the config directory, the first time). `mitm` is ccproxy.mitm as the
 * caller settled it (flags applied); the store's own settings come from the loaded configuration.
 */
export async function openCapture(loaded: LoadedConfig, mitm: MitmConfig, log: Logger, withCa: boolean): Promise<Capture> {
  const store = await openTraceStore(loaded, log);
  let ca: CertificateAuthority | null = null;
  try {
    if (withCa) ca = await loadOrCreateCA(mitm.cert_dir ?? loaded.dir);
  } catch (err) {
    await store.close();
    throw err;
  }
  const priceBook = new PriceBook(loaded.config.ccproxy.prices ?? {});
  // Traces stored before the usage table existed get their rows once, in the background (store/backfill.ts), and so
  // do those a killed process's crash journal gave back, once they are written.
  const { writer } = store;
  const recovered = { traces: writer.recoveredTraces, written: () => writer.replayed };
  const backfill = backfillInBackground(store.db, priceBook, log.child('usage'), recovered);
  const options = (point: CapturePointName, o: PointOptions) => ({ ...captureOptions(mitm, point, store.writer, o.log, priceBook), host: o.at.host, port: o.at.port, access: o.access });
  return {
    store,
    ca,
    startReverse: (o) => listenOrExplain(() => startReverseProxy({ ...options('reverse', o), upstream: o.upstream }), o.at),
    startForward: async (o) => {
      if (!ca) throw new Error('the forward capture point needs the CA: open the capture with it');
      return listenOrExplain(
        () => startForwardProxy({ ...options('forward', o), ca, excludedHosts: mitm.excluded_hosts, mapRemote: mitm.map_remote, unmappedProxyAuthorization: o.unmappedProxyAuthorization }),
        o.at,
      );
    },
    close: async () => {
      await backfill.stop();
      // The usage of the last exchanges, still gathering, then whatever they still had on its way to the writer (a
      // connection's end behind a message still inflating, and the usage that follows it), goes to it before it drains.
      await flushAfterEnded();
      await settleRecorders(SETTLE_MS);
      return store.close();
    },
  };
}
