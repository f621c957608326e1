// The upstream client of HTTP exchanges, one per listener; and how long each new upstream connection took to set
// up (DNS, TCP, TLS), which the first request on that connection claims for its flow (HAR's dns, connect, ssl).
import type { Socket } from 'node:net';
import { Agent, buildConnector } from 'undici';
import type { ConnectionTiming } from '../flow/flow.js';

/** Set-up times of connections no request has claimed yet. */
const setups = new WeakMap<Socket, ConnectionTiming>();

/** The set-up of `socket`, once: the request that opened it has it, later ones on the same connection do not. */
export function takeConnectionTiming(socket: Socket | null): ConnectionTiming | undefined {
  if (!socket) return undefined;
  const t = setups.get(socket);
  if (t) setups.delete(socket);
  return t;
}

/**
 * undici's own connector, timed: its socket's `lookup`, `connect` and `secureConnect` events mark the steps.
 * (The connector returns its socket though its types say void; if one day it does not, the whole set-up is
 * timed from the callback and counted as connect time.)
 */
function timedConnector(timeout: number): buildConnector.connector {
  const base = buildConnector({ timeout });
  return (opts, callback) => {
    const t0 = performance.now();
    const done: buildConnector.Callback = (...args) => {
      const s = args[1] as Socket | null;
      if (s && !args[0] && !setups.has(s)) setups.set(s, { dnsMs: null, connectMs: performance.now() - t0, tlsMs: null });
      callback(...args);
    };
    const socket = (base as unknown as (o: typeof opts, c: typeof done) => Socket | undefined)(opts, done);
    if (!socket) return;
    const t: ConnectionTiming = { dnsMs: null, connectMs: null, tlsMs: null };
    let mark = t0;
    const step = () => {
      const now = performance.now();
      const ms = now - mark;
      mark = now;
      return ms;
    };
    socket.once('lookup', () => void (t.dnsMs = step()));
    socket.once('connect', () => void (t.connectMs = step()));
    if (opts.protocol === 'https:') socket.once('secureConnect', () => void (t.tlsMs = step()));
    setups.set(socket, t);
  };
}

/**
 * The upstream client: undici's keep-alive pools (one per origin), whose dispatch API hands over the response's
 * raw headers and each body chunk with backpressure, for less CPU per exchange than node:http's client.
 * A connection must open within the connect timeout; headers, and then each body chunk, must come within the
 * idle timeout.
 */
export function upstreamAgent(connectTimeoutMs: number, idleTimeoutMs: number): Agent {
  return new Agent({ connections: 256, connect: timedConnector(connectTimeoutMs), headersTimeout: idleTimeoutMs, bodyTimeout: idleTimeoutMs });
}
