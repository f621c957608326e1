// The small parts of a HAR entry, from what the store keeps: headers as HAR's name/value list, the query string,
// cookies (a request's Cookie header; a response's Set-Cookie through set-cookie-parser) and bodies as text or
// base64. Stored headers are lower-cased objects whose repeated headers are arrays; stored bodies are decoded.
import type { Cookie, Header, QueryString } from 'har-format';
import { splitCookiesString, parse as parseSetCookie } from 'set-cookie-parser';

/** A stored header object as HAR's list: one pair per value, in the stored order. */
export function headerList(headers: Record<string, unknown>): Header[] {
  const out: Header[] = [];
  for (const [name, v] of Object.entries(headers)) {
    if (Array.isArray(v)) for (const x of v) out.push({ name, value: String(x) });
    else if (v !== undefined && v !== null) out.push({ name, value: String(v) });
  }
  return out;
}

/** A header's values (a repeated header's in order); none when absent. */
export function headerValues(headers: Record<string, unknown>, name: string): string[] {
  const v = headers[name];
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

/** The query string's pairs, values percent-decoded as HAR's viewers show them. */
export function queryList(url: string): QueryString[] {
  const q = url.indexOf('?');
  if (q < 0) return [];
  const hash = url.indexOf('#', q);
  const params = new URLSearchParams(url.slice(q + 1, hash < 0 ? undefined : hash));
  return [...params].map(([name, value]) => ({ name, value }));
}

/** The cookies a request sent: `a=1; b=2` in its Cookie header(s), values as sent. */
export function requestCookies(headers: Record<string, unknown>): Cookie[] {
  const out: Cookie[] = [];
  for (const line of headerValues(headers, 'cookie')) {
    for (const part of line.split(';')) {
      const p = part.trim();
      if (!p) continue;
      const eq = p.indexOf('=');
      out.push(eq < 0 ? { name: '', value: p } : { name: p.slice(0, eq), value: p.slice(eq + 1) });
    }
  }
  return out;
}

/** The cookies a response set, with their attributes; values as sent (not percent-decoded). */
export function responseCookies(headers: Record<string, unknown>): Cookie[] {
  const lines = headerValues(headers, 'set-cookie').flatMap((l) => splitCookiesString(l));
  return parseSetCookie(lines, { decodeValues: false, silent: true }).map((c) => {
    const cookie: Cookie = { name: c.name, value: c.value };
    if (c.path !== undefined) cookie.path = c.path;
    if (c.domain !== undefined) cookie.domain = c.domain;
    if (c.expires !== undefined && !Number.isNaN(c.expires.getTime())) cookie.expires = c.expires.toISOString();
    if (c.httpOnly) cookie.httpOnly = true;
    if (c.secure) cookie.secure = true;
    // Not in HAR 1.2; Chromium, mitmproxy and Playwright write it under this name.
    if (c.sameSite !== undefined) Object.assign(cookie, { sameSite: c.sameSite });
    return cookie;
  });
}

export interface BodyText {
  text: string;
  /** `base64` when the bytes are not text. */
  encoding?: 'base64';
}

/**
 * A body as HAR text: UTF-8 text as it is, anything else (invalid UTF-8, NUL bytes) as base64. A body cut at the
 * storage limit may end inside a character: that partial character is left out of the text, not counted as binary.
 */
export function bodyText(body: Uint8Array, truncated: boolean): BodyText {
  if (!body.includes(0)) {
    try {
      const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
      const text = decoder.decode(body, { stream: truncated });
      return { text };
    } catch {
      // not UTF-8: base64 below
    }
  }
  return { text: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64'), encoding: 'base64' };
}

/** A media type without its parameters, lower-cased (`text/event-stream; charset=utf-8` → `text/event-stream`). */
export function mediaType(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}
