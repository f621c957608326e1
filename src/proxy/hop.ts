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
