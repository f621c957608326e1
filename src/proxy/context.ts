// What every exchange of a listener shares (sink, capture settings, stages, timeouts, upstream pools) and the
// shapes of where a request goes (Target) and what its row says about that (Seen).
import { isIP } from 'node:net';
import type { Dispatcher } from 'undici';
import { StageRunner } from '../capture/run-stages.js';
import type { CaptureSettings } from '../capture/settings.js';
import { STAGES } from '../capture/stages.js';
import type { FlowSink } from '../flow/sink.js';
import type { Logger } from '../log.js';
import { upstreamAgent } from './upstream-agent.js';

export interface ExchangeContext {
  /** Where flows go: the trace writer, or nothing. */
  sink: FlowSink | null;
  capture: CaptureSettings;
  /** The capture stages, run for each moment of each exchange. */
  stages: StageRunner;
  log: Logger;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Keep-alive pools to the upstreams, one per origin. */
  upstream: Dispatcher;
  /** Upgraded connections (and upgrades waiting for their answer), cut when the listener has closed. */
  upgrades?: Set<{ cut(): void }>;
}

/** Where the request goes. */
export interface Target {
  secure: boolean;
  hostname: string;
  port: number;
  /** Path and query as sent upstream. */
  path: string;
  /** The Host header upstream. */
  hostHeader: string;
}

/** What the row says about where the request went. */
export interface Seen {
  url: string;
  host: string;
  path: string;
  isHttps: boolean;
  /** The URL the client asked for, when map_remote sent the request to `url` instead. */
  originalUrl?: string;
}

/** What a listener is given: its context without the parts each listener makes for itself. */
export type CaptureOptions = Omit<ExchangeContext, 'upstream' | 'stages' | 'upgrades'>;

/** A listener's exchange context: its settings, its stages, and upstream pools made with its timeouts. */
export function exchangeContext(o: CaptureOptions): ExchangeContext {
  return { ...o, upstream: upstreamAgent(o.connectTimeoutMs, o.idleTimeoutMs), stages: new StageRunner(STAGES, o.log), upgrades: new Set() };
}

export const targetName = (t: Target) => `${t.secure ? 'https' : 'http'}://${t.hostHeader}`;

export const originOf = (t: Target) => `${t.secure ? 'https' : 'http'}://${isIP(t.hostname) === 6 ? `[${t.hostname}]` : t.hostname}:${t.port}`;

/** SNI carries host names only, never IP addresses (RFC 6066). */
export const sniFor = (t: Target) => (t.secure && isIP(t.hostname) === 0 ? t.hostname : undefined);
