// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are not forwarded: the fixed list plus
// whatever the Connection header names. Stripping them also keeps a client's `Connection: close` from
// closing pooled upstream sockets.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** The header names a Connection header lists (its `close` and `keep-alive` options are not header names). */
function namedBy(connection: string | string[] | undefined, into: Set<string> = new Set()): Set<string> {
  for (const t of String(connection ?? '').split(',')) {
    const name = t.trim().toLowerCase();
    if (name && name !== 'close' && name !== 'keep-alive') into.add(name);
  }
  return into;
}

export function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = namedBy(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const k in headers) {
    const v = headers[k];
    if (v !== undefined && !HOP.has(k) && !named.has(k)) out[k] = v;
  }
  return out;
}

/**
 * The same for headers as they came on the wire (`rawHeaders`: name, value, name, value…), keeping each name's
 * case and every repeat in order, as a flat list Node sends without building a header object. `host`, when
 * given, replaces the Host header (first in the list).
 */
export function endToEndRaw(raw: readonly string[], host?: string): string[] {
  let named: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') named = namedBy(raw[i + 1], named ?? undefined);
  }
  const out: string[] = host === undefined ? [] : ['Host', host];
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!;
    const lower = k.toLowerCase();
    if (HOP.has(lower) || (named !== null && named.has(lower)) || (host !== undefined && lower === 'host')) continue;
    out.push(k, raw[i + 1]!);
  }
  return out;
}
