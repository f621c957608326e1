// Redaction before storage: credentials keep only a fingerprint — enough to tell two keys apart, never enough
// to use one. Headers by name; token fields in JSON and form bodies by key.
import { createHash } from 'node:crypto';

export const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'x-api-key', 'cookie', 'set-cookie'];
export const SECRET_FIELDS = ['access_token', 'refresh_token', 'id_token', 'api_key', 'client_secret'];

/** `[redacted len=108 sha256=1a2b3c4d]`: a length and 32 bits of a hash say which key, not what it is. */
export function fingerprint(secret: string): string {
  return `[redacted len=${secret.length} sha256=${createHash('sha256').update(secret).digest('hex').slice(0, 8)}]`;
}

function redactValue(name: string, value: string): string {
  if (name === 'authorization' || name === 'proxy-authorization') {
    const m = /^(\S+)\s+(.+)$/.exec(value);
    if (m) return `${m[1]} ${fingerprint(m[2]!)}`; // keep the scheme: Bearer, Basic
  }
  return fingerprint(value);
}

export type HeaderMap = Record<string, string | string[]>;

const DEFAULT_NAMES = new Set(SECRET_HEADERS);
/** The name set for each configured list (settings keep one list for the life of a listener). */
const namesFor = new WeakMap<readonly string[], Set<string>>();

function secretNames(extra: readonly string[]): Set<string> {
  if (extra.length === 0) return DEFAULT_NAMES;
  let names = namesFor.get(extra);
  if (!names) namesFor.set(extra, (names = new Set([...SECRET_HEADERS, ...extra.map((h) => h.toLowerCase())])));
  return names;
}

/**
 * Headers as stored: plain strings (arrays for repeated headers), credentials reduced to fingerprints when
 * `redact` is on. One pass over Node's header object, whose names are already lower case.
 */
export function storedHeaders(headers: Readonly<Record<string, string | string[] | number | undefined>>, redact: boolean, extra: readonly string[] = []): HeaderMap {
  const names = redact ? secretNames(extra) : null;
  const out: HeaderMap = {};
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined) continue;
    const secret = names !== null && names.has(k.toLowerCase());
    if (Array.isArray(v)) out[k] = secret ? v.map((x) => redactValue(k.toLowerCase(), String(x))) : v.map(String);
    else out[k] = secret ? redactValue(k.toLowerCase(), String(v)) : typeof v === 'string' ? v : String(v);
  }
  return out;
}

/** Redacts token fields anywhere in a JSON value; returns null when there was nothing to redact. */
export function redactJson(value: unknown): unknown | null {
  let changed = false;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (SECRET_FIELDS.includes(k.toLowerCase()) && typeof x === 'string' && x !== '') {
          out[k] = fingerprint(x);
          changed = true;
        } else out[k] = walk(x);
      }
      return out;
    }
    return v;
  };
  const result = walk(value);
  return changed ? result : null;
}

/** The same for application/x-www-form-urlencoded bodies (OAuth token requests). */
export function redactForm(text: string): string | null {
  const params = new URLSearchParams(text);
  let changed = false;
  for (const [k, v] of params) {
    if (SECRET_FIELDS.includes(k.toLowerCase()) && v !== '') {
      params.set(k, fingerprint(v));
      changed = true;
    }
  }
  return changed ? params.toString() : null;
}

const FIELD_TEXT = new RegExp(`("(?:${SECRET_FIELDS.join('|')})"\\s*:\\s*")((?:[^"\\\\]|\\\\.)*)(")?`, 'gi');

/** For JSON that does not parse (cut at the capture limit, say): token fields found in the text itself. */
export function redactJsonText(text: string): string | null {
  let changed = false;
  const out = text.replace(FIELD_TEXT, (_m, key: string, value: string, close: string | undefined) => {
    changed = true;
    return `${key}${fingerprint(value)}${close ?? ''}`;
  });
  return changed ? out : null;
}

/** Query parameters that carry credentials: Gemini's `key`, and the token fields. */
const SECRET_PARAMS = ['key', ...SECRET_FIELDS];

/** Redacts credential query parameters in a URL or a path with a query (`/v1beta/…?key=AIza…`). */
export function redactQuery(urlOrPath: string): string {
  const q = urlOrPath.indexOf('?');
  if (q < 0) return urlOrPath;
  let changed = false;
  const query = urlOrPath
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const name = decodeURIComponent(pair.slice(0, eq).replace(/\+/g, ' ')).toLowerCase();
      if (!SECRET_PARAMS.includes(name) || eq === pair.length - 1) return pair;
      changed = true;
      return `${pair.slice(0, eq)}=${encodeURIComponent(fingerprint(decodeURIComponent(pair.slice(eq + 1))))}`;
    })
    .join('&');
  return changed ? `${urlOrPath.slice(0, q)}?${query}` : urlOrPath;
}
