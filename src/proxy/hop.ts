// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are not forwarded: the fixed list plus
// whatever the Connection header names. Stripping them also keeps a client's `Connection: close` from
// closing pooled upstream sockets.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export function endToEnd(headers: IncomingHttpHeaders, keep: readonly string[] = []): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    if ((HOP.has(k) || named.has(k)) && !keep.includes(k)) continue;
    out[k] = v;
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
    if (raw[i]!.length !== 10 || raw[i]!.toLowerCase() !== 'connection') continue;
    for (const t of raw[i + 1]!.split(',')) {
      const name = t.trim().toLowerCase();
      if (name && name !== 'close' && name !== 'keep-alive') (named ??= new Set()).add(name);
    }
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
