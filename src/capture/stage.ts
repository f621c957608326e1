// A capture stage: one small object that derives or cleans part of a flow at the moments (hooks) it cares
// about, as mitmproxy's addons do. The stages run in the order of stages.ts, after the bytes they read have
// moved on; a stage that throws is skipped (run-stages.ts), so none can fail an exchange.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { BodyCopy } from '../flow/body-copy.js';
import type { Flow } from '../flow/flow.js';
import type { WsMessage } from '../flow/websocket.js';
import type { MaybePromise } from './maybe-promise.js';
import type { CaptureSettings } from './settings.js';

export type RawHeaders = IncomingHttpHeaders | OutgoingHttpHeaders;

/** What the stages work on: the flow being built, and what the capture point saw before any stage touched it. */
export interface Capture {
  flow: Flow;
  settings: CaptureSettings;
  /** The request's headers as they came; `flow.request.headers` becomes their stored form. */
  requestHeaders: RawHeaders;
  /** Bounded copies of the bodies as they came on the wire (still encoded); null when not kept. */
  requestCopy: BodyCopy | null;
  responseHeaders: RawHeaders | null;
  responseCopy: BodyCopy | null;
  /** Whether a session id came from a header (then the body is not read for one). */
  sessionFromHeader?: boolean;
}

/**
 * The moments of an exchange: its request's head, its request's end (body complete), an upgrade's answer, and
 * the end of the response (or the failure). Body work happens only at the two ends, never per chunk.
 */
export type Hook = 'requestHeaders' | 'requestBody' | 'responseHeaders' | 'responseEnd' | 'afterEnd';

export interface Stage {
  /** For logs: what the stage does. */
  readonly name: string;
  requestHeaders?(c: Capture): void;
  requestBody?(c: Capture): MaybePromise<void>;
  responseHeaders?(c: Capture): void;
  responseEnd?(c: Capture): MaybePromise<void>;
  /** One message of an upgraded connection, as stored (after the connection's 101 and before its end). */
  message?(c: Capture, m: WsMessage): void;
  /**
   * After the response's end has gone out and the flow has been handed over (a later turn of the event loop): work
   * the client must not wait for, such as reading the LLM calls. What it hangs on the flow reaches the sink's
   * `responseRead`.
   */
  afterEnd?(c: Capture): MaybePromise<void>;
  /** When one of its hooks threw: leave the flow safe to store (redaction drops what it could not clean). */
  failed?(c: Capture, hook: Hook | 'message'): void;
}

/** A header's value as one string (the first of repeats), or undefined. */
export function firstHeader(h: RawHeaders, name: string): string | undefined {
  const v = h[name];
  return v === undefined ? undefined : Array.isArray(v) ? String(v[0]) : String(v);
}
