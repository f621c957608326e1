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
 * case and every repeat in order, as a flat list sent without building a header object. `host`, when given,
 * replaces the Host header (first in the list); `drop` names more headers (lower case) to leave out.
 */
export function endToEndRaw(raw: readonly string[], host?: string, drop?: readonly string[]): string[] {
  let named: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') named = namedBy(raw[i + 1], named ?? undefined);
  }
  const out: string[] = host === undefined ? [] : ['Host', host];
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!;
    const lower = k.toLowerCase();
    if (HOP.has(lower) || (named !== null && named.has(lower)) || (host !== undefined && lower === 'host') || drop?.includes(lower)) continue;
    out.push(k, raw[i + 1]!);
  }
  return out;
}

/** Headers whose repeats Node's http module drops (the first one wins), as its `message.headers` documents. */
const FIRST_WINS = new Set(['age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent']);

/**
 * Raw headers as the object Node's `message.headers` would be: lower-case names; set-cookie an array; cookie
 * repeats joined with "; ", others with ", ", except those where the first wins. Rows store headers this way
 * whichever side they came from.
 */
export function headerObject(raw: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const prev = out[name];
    if (name === 'set-cookie') {
      if (prev === undefined) out[name] = [value];
      else (prev as string[]).push(value);
    } else if (prev === undefined) out[name] = value;
    else if (!FIRST_WINS.has(name)) out[name] = `${prev as string}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out;
}
