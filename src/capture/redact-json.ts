// Secret fields in JSON text — whole bodies, NDJSON, SSE `data:` lines, WebSocket messages — replaced in place by
// their fingerprint. Every other byte stays as it came (nothing is re-serialised, so numbers, escapes, spacing and
// LLM content are stored exactly), and a body cut at the capture limit is read as far as it goes.
//
// The text is read as latin1 (one character per byte), so offsets are byte offsets and bytes that are not valid
// UTF-8 survive; only names and values that matter are decoded.
import { redactValue } from './redact.js';
import { credentialShaped, fieldClass, LOGPROB_MARKS, normalise, OAUTH_MARK, SECRET_NAME_STEMS, type FieldClass } from './secret-names.js';

/** A JSON string (its closing quote missing when the text was cut inside it), or an object's brace. */
const TOKEN = /"[^"\\]*(?:\\[\s\S][^"\\]*)*("?)|[{}]/g;
/** An SSE `data:` line whose payload is a JSON object or array; the line ends at CR, LF or CRLF. */
const SSE_JSON_LINE = /^data: ?(?=[{[])/gm;
const LINE_END = /[\r\n]/g;

interface Replacement {
  start: number;
  end: number;
  text: string;
}

/** A field whose fate depends on the rest of its object (a logprob entry's `token`, an OAuth request's `code`). */
interface Candidate {
  start: number;
  end: number;
  closed: boolean;
  name: string;
  value: string;
  cls: FieldClass;
}

interface Frame {
  pending: Candidate[];
  logprobs: boolean;
  oauth: boolean;
  /**
   * An object under a secret name (`"client_secret": {"value": "ek_…", "expires_at": …}`): its `value` is the
   * secret. Nothing else in it is, so a tool's JSON schema for a `password` parameter stays as it came.
   */
  secret: boolean;
}

/** A JSON string's text (latin1, quotes included) as the value it stands for. */
function decodeString(raw: string, closed: boolean): string {
  const text = Buffer.from(raw, 'latin1').toString('utf8');
  if (closed && text.includes('\\')) {
    try {
      return JSON.parse(text) as string;
    } catch {
      // a bad escape: fingerprint the text as it is
    }
  }
  return closed ? text.slice(1, -1) : text.slice(1);
}

function replacement(c: Candidate): Replacement {
  const json = Buffer.from(JSON.stringify(redactValue(c.name, c.value)), 'utf8').toString('latin1');
  return { start: c.start, end: c.end, text: c.closed ? json : json.slice(0, -1) };
}

function settle(frame: Frame, out: Replacement[]): void {
  for (const c of frame.pending) {
    const secret = c.cls === 'shaped' ? !frame.logprobs && credentialShaped(c.value) : frame.oauth;
    if (secret) out.push(replacement(c));
  }
}

interface Key {
  name: string;
  cls: FieldClass;
  mark: 'logprob' | 'oauth' | null;
}
/** What a field name means, by its text as written: bodies repeat the same few names thousands of times. */
const keys = new Map<string, Key>();
/** Bound on the cache: names are chosen by whoever sends the body. */
const KEY_CACHE_MAX = 4096;

function keyOf(tok: string): Key {
  let key = keys.get(tok);
  if (key) return key;
  const name = normalise(decodeString(tok, true));
  key = { name, cls: fieldClass(name), mark: LOGPROB_MARKS.has(name) ? 'logprob' : name === OAUTH_MARK ? 'oauth' : null };
  if (keys.size < KEY_CACHE_MAX && tok.length <= 64) keys.set(tok, key);
  return key;
}

/** The field of an object under a secret name that holds the secret itself. */
const SECRET_HOLDER = 'value';

const isSpace = (ch: number) => ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09;

/** Finds the secret fields of the JSON text `s` (which may be cut short); replacements at `offset` + their place. */
function scan(s: string, offset: number, out: Replacement[]): void {
  const stack: Frame[] = [];
  const loose: Frame = { pending: [], logprobs: false, oauth: false, secret: false }; // fields outside any object: malformed text
  let secretObject = false; // the next brace opens the value of a secret name
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN.exec(s)) !== null) {
    const tok = m[0];
    if (tok === '{') {
      stack.push({ pending: [], logprobs: false, oauth: false, secret: secretObject });
      secretObject = false;
      continue;
    }
    secretObject = false;
    if (tok === '}') {
      const done = stack.pop();
      if (done) settle(done, out);
      continue;
    }
    // A string: a field name when a colon follows.
    let i = TOKEN.lastIndex;
    while (i < s.length && isSpace(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 0x3a) continue;
    const frame = stack.at(-1) ?? loose;
    const key = keyOf(tok);
    if (key.mark === 'logprob') frame.logprobs = true;
    else if (key.mark === 'oauth') frame.oauth = true;
    const name = key.name;
    const cls = frame.secret && name === SECRET_HOLDER ? 'always' : key.cls;
    i++;
    while (i < s.length && isSpace(s.charCodeAt(i))) i++;
    TOKEN.lastIndex = i;
    if (cls === 'always' && s.charCodeAt(i) === 0x7b) secretObject = true;
    if (cls === null || s.charCodeAt(i) !== 0x22) continue; // not secret, or not a string: read on from the value
    const v = TOKEN.exec(s)!; // the value's string, which starts at i
    const closed = v[1] === '"';
    const value = decodeString(v[0], closed);
    if (value === '') continue;
    const c: Candidate = { start: offset + i, end: offset + i + v[0].length, closed, name, value, cls };
    if (cls === 'always') out.push(replacement(c));
    else frame.pending.push(c);
  }
  // Objects left open (the text was cut) are settled with what was seen of them.
  for (const f of stack) settle(f, out);
  settle(loose, out);
}

/** A name's closing quote before its colon, as written compactly or with a space (the first is almost always it). */
const NAME_ENDS = ['":', '" :'];
/** How far back an escape in a name is looked for (`"p\u0061ssword"`): longer names are not secret words. */
const NAME_MAX_CHARS = 40;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LETTER_U = 0x75;
/** ASCII letters compare in either case: the bit that tells them apart is set on both sides. */
const CASE_BIT = 0x20;

/** Whether the name that ends before `end` (its closing quote) ends with a stem, in any case, or holds a `\u`. */
function nameMayBeSecret(s: string, end: number): boolean {
  stems: for (const stem of SECRET_NAME_STEMS) {
    const start = end - stem.length;
    if (start < 0) continue;
    for (let j = stem.length - 1; j >= 0; j--) if ((s.charCodeAt(start + j) | CASE_BIT) !== (stem.charCodeAt(j) | CASE_BIT)) continue stems;
    return true;
  }
  for (let i = end - 1; i > 0 && i >= end - NAME_MAX_CHARS && s.charCodeAt(i) !== QUOTE; i--) {
    if (s.charCodeAt(i) === LETTER_U && s.charCodeAt(i - 1) === BACKSLASH) return true;
  }
  return false;
}

/**
 * Whether a text may hold a secret field, without parsing it: each name's end (a quote before a colon) is
 * compared with the secret endings; a `\u` escape in a name could spell one, so it counts too.
 */
export function mayHaveSecretField(s: string): boolean {
  for (const end of NAME_ENDS) {
    for (let i = s.indexOf(end); i >= 0; i = s.indexOf(end, i + end.length)) if (nameMayBeSecret(s, i)) return true;
  }
  return false;
}

function apply(s: string, out: Replacement[]): Buffer {
  out.sort((a, b) => a.start - b.start);
  const parts: string[] = [];
  let at = 0;
  for (const r of out) {
    parts.push(s.slice(at, r.start), r.text);
    at = r.end;
  }
  parts.push(s.slice(at));
  return Buffer.from(parts.join(''), 'latin1');
}

/** A JSON (or NDJSON) body or message with its secret fields fingerprinted; null when there was nothing to redact. */
export function redactJsonBytes(body: Buffer): Buffer | null {
  if (body.length === 0) return null;
  const s = body.toString('latin1');
  if (!mayHaveSecretField(s)) return null;
  const out: Replacement[] = [];
  scan(s, 0, out);
  return out.length === 0 ? null : apply(s, out);
}

/**
 * An SSE body with the secret fields of each JSON `data:` line fingerprinted; other lines and the framing are
 * kept byte for byte. Null when there was nothing to redact.
 */
export function redactSseBytes(body: Buffer): Buffer | null {
  if (body.length === 0) return null;
  const s = body.toString('latin1');
  if (!mayHaveSecretField(s)) return null;
  const out: Replacement[] = [];
  SSE_JSON_LINE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = SSE_JSON_LINE.exec(s)) !== null) {
    const start = SSE_JSON_LINE.lastIndex;
    LINE_END.lastIndex = start;
    const end = LINE_END.exec(s)?.index ?? s.length;
    const line = s.slice(start, end);
    if (mayHaveSecretField(line)) scan(line, start, out);
    SSE_JSON_LINE.lastIndex = end;
  }
  return out.length === 0 ? null : apply(s, out);
}
