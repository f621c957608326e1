// The flow: one HTTP exchange as ccproxy understands it, whatever stores it — mitmproxy's HTTPFlow in TypeScript.
// Capture points produce flows, the store maps them to rows and back (store/flow-row.ts), and the read side
// (usage, HAR, the viewer) reads flows, never columns.

/** Which capture point saw it: where a client entered (reverse) or on its way to a provider (forward). */
export type Direction = 'reverse' | 'forward';

/** One end of the exchange's connection. */
export interface Endpoint {
  address: string | null;
  port: number | null;
}

export interface FlowRequest {
  method: string | null;
  /** Where the request went (after `map_remote`, if it applied). */
  url: string | null;
  /** What the client asked for, when `map_remote` sent it elsewhere. */
  originalUrl: string | null;
  host: string | null;
  path: string | null;
  /** Header names lower-cased; credentials already fingerprinted when redaction is on. */
  headers: Record<string, unknown>;
  /** The body as stored (decoded, redacted, up to max_body_size), or null when not captured. */
  body: Uint8Array | null;
  /** Bytes the body had on the wire. */
  bodySize: number;
  bodyTruncated: boolean;
  contentType: string | null;
}

export interface FlowResponse {
  status: number | null;
  headers: Record<string, unknown>;
  body: Uint8Array | null;
  bodySize: number;
  bodyTruncated: boolean;
  contentType: string | null;
}

/** Why an exchange did not complete normally: a documented error type and a message for people. */
export interface FlowError {
  type: string | null;
  message: string | null;
}

/** How long a new upstream connection took to set up, in ms (HAR's dns, connect, ssl); null for a step it did not take. */
export interface ConnectionTiming {
  dnsMs: number | null;
  /** The TCP connection, after DNS. */
  connectMs: number | null;
  /** The TLS handshake, after TCP. */
  tlsMs: number | null;
}

/** Most response chunks whose arrival time a flow keeps. */
export const CHUNK_TIMES_MAX = 4096;

/** Moments of the exchange, as epoch milliseconds; the ones not known (or not stored) are absent. */
export interface FlowTiming {
  start: number | null;
  /** The first byte of the response. */
  firstByte?: number;
  end: number | null;
  /** When the request's body had all been passed on (its end from the client), ms after start: HAR's `send` ends here. */
  requestSent?: number;
  /** The set-up of the upstream connection, when the request opened one (absent when it reused one). */
  connection?: ConnectionTiming;
  /** When each chunk of the response body arrived, ms after start: the first CHUNK_TIMES_MAX of them. */
  chunks?: number[];
  /** How many chunks the response body came in (more than `chunks` holds when it was cut at the bound). */
  chunkCount?: number;
}

export interface Flow {
  id: string;
  direction: Direction;
  sessionId: string | null;
  /** `llm`, `mcp`, `web`, … as classified at capture. */
  trafficType: string | null;
  client: Endpoint;
  server: Endpoint & { https: boolean };
  request: FlowRequest;
  response: FlowResponse | null;
  error: FlowError | null;
  timing: FlowTiming;
  /** The reverse flow whose request caused this forward one (through the gateway), when known. */
  parentId?: string;
  /**
   * A reverse flow's request went on with its link to a gateway of this process (link.ts): a forward flow may name
   * it as its parent. False when it went anywhere else; unset when the capture point did not say.
   */
  linkedOut?: boolean;
  /** Free space for stages (usage, links) to hang what they derive. */
  metadata: Record<string, unknown>;
}

/** A flow with nothing known yet but its id and direction: capture points fill it in as the exchange goes. */
export function newFlow(id: string, direction: Direction): Flow {
  return {
    id,
    direction,
    sessionId: null,
    trafficType: null,
    client: { address: null, port: null },
    server: { address: null, port: null, https: false },
    request: { method: null, url: null, originalUrl: null, host: null, path: null, headers: {}, body: null, bodySize: 0, bodyTruncated: false, contentType: null },
    response: null,
    error: null,
    timing: { start: null, end: null },
    metadata: {},
  };
}
