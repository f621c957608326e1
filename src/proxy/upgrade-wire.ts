// The wire of an upgrade relay: the upgrade request to the upstream (on node:http, which hands over the upgraded
// socket), and what the relay writes on the client's raw socket itself (after an upgrade request, Node's server
// no longer writes responses): the upstream's answer head byte for byte, or ccproxy's own JSON error.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { sniFor, type Target } from './context.js';
import { endToEndRaw } from './hop.js';
import { LINK_HEADER } from './link.js';
import { upstreamErrorBody, type ErrorType } from './upstream-error.js';

const NOT_SENT = [LINK_HEADER];

/**
 * The upgrade request, sent on at once: as it came (names' case, order), its hop-by-hop headers replaced by the
 * upgrade's own; with `link`, this process's link header (link.ts), the only one that goes on.
 */
export function upgradeRequest(req: IncomingMessage, target: Target, link?: string): http.ClientRequest {
  const headers = endToEndRaw(req.rawHeaders, target.hostHeader, NOT_SENT);
  headers.push('Connection', 'Upgrade', 'Upgrade', String(req.headers.upgrade ?? 'websocket'));
  if (link !== undefined) headers.push(LINK_HEADER, link);
  return (target.secure ? https : http).request({
    hostname: target.hostname,
    port: target.port,
    method: req.method,
    path: target.path,
    headers,
    setHost: false,
    agent: false,
    servername: sniFor(target),
  });
}

/** A status line and headers, byte for byte as the upstream sent them (Node reads header bytes as latin1). */
export function statusHead(res: IncomingMessage, raw: readonly string[]): Buffer {
  let s = `HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? ''}\r\n`;
  for (let i = 0; i < raw.length; i += 2) s += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return Buffer.from(`${s}\r\n`, 'latin1');
}

/** The JSON error an exchange would have answered, as a whole response that closes the connection. */
export function errorAnswer(status: number, upstreamName: string, failure: { type: ErrorType; message: string }): string {
  const body = upstreamErrorBody(upstreamName, failure.type, failure.message);
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-ccproxy-error: ${failure.type}\r\nconnection: close\r\n\r\n${body}`;
}
