// Redaction before storage and logging: credentials keep only a fingerprint — enough to tell two keys apart,
// never enough to use one. Headers by name, query parameters in URLs, form fields; JSON and SSE bodies are
// in redact-json.ts. The names come from one list (secret-names.ts).
import { createHash } from 'node:crypto';
import { fieldClass, isSecretHeader, isSecretParam, keepsScheme, normalise, OAUTH_MARK, credentialShaped } from './secret-names.js';

export { SECRET_HEADERS } from './secret-names.js';

/** `[redacted len=108 sha256=1a2b3c4d]`: a length and 32 bits of a hash say which key, not what it is. */
export function fingerprint(secret: string): string {
  return `[redacted len=${secret.length} sha256=${createHash('sha256').update(secret).digest('hex').slice(0, 8)}]`;
}

const FINGERPRINT = /^\[redacted len=\d+ sha256=[0-9a-f]{8}\]$/;

/** A secret value as stored: `Bearer [redacted …]` for authorization-like names (the scheme kept), else the fingerprint. */
export function redactValue(normalisedName: string, value: string): string {
  if (keepsScheme(normalisedName)) {
    const m = /^(\S+)\s+(.+)$/.exec(value);
    if (m) return `${m[1]} ${fingerprint(m[2]!)}`; // keep the scheme: Bearer, Basic
  }
  return fingerprint(value);
}

export type HeaderMap = Record<string, string | string[]>;

/** Headers whose value is a URL (an OAuth redirect's `?code=`, a page's `?token=`): their query is redacted. */
const URL_HEADERS = new Set(['location', 'content-location', 'referer']);
/** Browsers cannot set headers on a WebSocket, so some APIs take the key as a subprotocol (`openai-insecure-api-key.sk-…`). */
const WS_PROTOCOL = 'sec-websocket-protocol';
const PROTOCOL_SECRET = /^(.*?(?:api-key|token)\.)(.+)$/i;

/** What to do with a header, by lower-case name: cached, as the same few names come on every exchange. */
type HeaderRule = 'secret' | 'url' | 'protocol' | null;
const ruleCache = new Map<string, HeaderRule>();
/** Bound on the cache: names are chosen by clients, and a hostile one could send a new name each time. */
const RULE_CACHE_MAX = 4096;

function headerRule(lower: string): HeaderRule {
  let rule = ruleCache.get(lower);
  if (rule !== undefined) return rule;
  rule = isSecretHeader(normalise(lower)) ? 'secret' : URL_HEADERS.has(lower) ? 'url' : lower === WS_PROTOCOL ? 'protocol' : null;
  if (ruleCache.size < RULE_CACHE_MAX) ruleCache.set(lower, rule);
  return rule;
}

/** The extra names of `redact_headers`, as a set per configured list (settings keep one list for a listener's life). */
const extraSets = new WeakMap<readonly string[], Set<string>>();
function extraNames(extra: readonly string[]): Set<string> | null {
  if (extra.length === 0) return null;
  let names = extraSets.get(extra);
  if (!names) extraSets.set(extra, (names = new Set(extra.map((h) => h.toLowerCase()))));
  return names;
}

function storedValue(lower: string, rule: HeaderRule, value: string): string {
  if (rule === 'secret') return redactValue(normalise(lower), value);
  if (rule === 'url') return redactQuery(value);
  if (rule === 'protocol') {
    return value
      .split(',')
      .map((p) => {
        const m = PROTOCOL_SECRET.exec(p);
        return m ? `${m[1]}${fingerprint(m[2]!)}` : p;
      })
      .join(',');
  }
  return value;
}

/**
 * Headers as stored: plain strings (arrays for repeated headers), credentials reduced to fingerprints when
 * `redact` is on — the maintained list plus `extra` (redact_headers). One pass over Node's header object.
 */
export function storedHeaders(headers: Readonly<Record<string, string | string[] | number | undefined>>, redact: boolean, extra: readonly string[] = []): HeaderMap {
  const more = redact ? extraNames(extra) : null;
  const out: HeaderMap = {};
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined) continue;
    if (!redact) {
      out[k] = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v : String(v);
      continue;
    }
    const lower = k.toLowerCase();
    const rule = more?.has(lower) ? 'secret' : headerRule(lower);
    if (Array.isArray(v)) out[k] = v.map((x) => storedValue(lower, rule, String(x)));
    else out[k] = storedValue(lower, rule, typeof v === 'string' ? v : String(v));
  }
  return out;
}

/** Percent-decoding that never throws: a malformed escape leaves the text as it came. */
function decodePart(s: string): string {
  const plus = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

/**
 * Redacts the values of `name=value` pairs joined by `&` whose name `secret` accepts; null when nothing was.
 * The rest of the text is kept byte for byte. `spaceAsPlus`: form encoding writes a space as `+`.
 */
function redactPairs(text: string, secret: (name: string, value: string) => boolean, spaceAsPlus: boolean): string | null {
  let changed = false;
  const pairs = text.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0 || eq === pair.length - 1) return pair;
    const value = decodePart(pair.slice(eq + 1));
    if (FINGERPRINT.test(value)) return pair; // already redacted (a URL logged after it was stored)
    if (!secret(normalise(decodePart(pair.slice(0, eq))), value)) return pair;
    changed = true;
    const encoded = encodeURIComponent(fingerprint(value));
    return `${pair.slice(0, eq)}=${spaceAsPlus ? encoded.replace(/%20/g, '+') : encoded}`;
  });
  return changed ? pairs.join('&') : null;
}

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)([^/?#@]+)@/i;

/**
 * Redacts credential query parameters in a URL or a path with a query (`/v1beta/…?key=AIza…`, `?token=`,
 * `X-Amz-Signature=`), and a password in the URL's user info.
 */
export function redactQuery(urlOrPath: string): string {
  let url = urlOrPath;
  const userinfo = USERINFO.exec(url);
  if (userinfo) url = `${userinfo[1]}${encodeURIComponent(fingerprint(decodePart(userinfo[2]!)))}@${url.slice(userinfo[0].length)}`;
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const end = hash < 0 ? url.length : hash;
  const query = redactPairs(url.slice(q + 1, end), (name) => isSecretParam(name), false);
  return query === null ? url : `${url.slice(0, q + 1)}${query}${url.slice(end)}`;
}

/**
 * An application/x-www-form-urlencoded body (OAuth token and revoke requests, login forms) with its secret
 * fields fingerprinted, as JSON fields are; null when there was nothing to redact.
 */
export function redactForm(text: string): string | null {
  let oauth: boolean | null = null;
  return redactPairs(
    text,
    (name, value) => {
      const cls = fieldClass(name);
      if (cls === 'always') return true;
      if (cls === 'shaped') return credentialShaped(value);
      if (cls === 'oauth-code') return (oauth ??= text.split('&').some((p) => normalise(decodePart(p.split('=')[0]!)) === OAUTH_MARK));
      return false;
    },
    true,
  );
}

const LOG_URL = /\S*\?\S*/g;
/** A credential after its scheme word: long enough that prose (`Basic auth`) is left alone. */
const LOG_AUTH = /\b(Bearer|Basic)\s+([A-Za-z0-9._~+/-]{8,}=*)/g;

/** A log line with every URL's query redacted and any `Bearer …` credential fingerprinted. */
export function redactLogLine(line: string): string {
  let out = line;
  if (out.includes('?')) out = out.replace(LOG_URL, (u) => redactQuery(u));
  if (out.includes('Bearer ') || out.includes('Basic ')) out = out.replace(LOG_AUTH, (_m, scheme: string, v: string) => `${scheme} ${fingerprint(v)}`);
  return out;
}
