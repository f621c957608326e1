// One stored request as a curl command a POSIX shell runs: the method, the URL, the headers as stored and the
// body — in single quotes when it is plain text (line feeds and tabs included), piped in as base64 through
// --data-binary @- when it is not text or holds other control characters, which no POSIX quoting writes visibly.
// Credentials are what the store kept: fingerprints, unless raw storage was chosen. Stored bodies are decoded, so
// the headers that described the wire form are left to curl.
import type { Flow } from '../flow/flow.js';
import { headerList } from './har-parts.js';

/** Headers curl sets itself from the command, or that described the body as it was on the wire. */
const LEFT_TO_CURL = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'content-encoding', 'accept-encoding', 'proxy-connection', 'expect']);

/** A word as a shell reads it back unchanged: bare when safe, else in single quotes. */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** How the body goes into the command: a quoted argument, or base64 to pipe in. */
function bodyArgument(body: Uint8Array): { arg: string; stdin?: string } {
  let text: string | null = null;
  if (!body.includes(0)) {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
    } catch {
      text = null;
    }
  }
  // Control characters other than tab and line feed would be taken literally inside single quotes but are hard to
  // see and to paste (a carriage return, an escape that a terminal acts on); bash's $'…' escapes them, but a POSIX
  // shell (dash) has no such quoting: such a body is piped in as base64, as bytes that are not text are.
  if (text === null || /[\x00-\x08\x0b-\x1f\x7f]/.test(text)) return { arg: '@-', stdin: Buffer.from(body).toString('base64') };
  return { arg: shellQuote(text) };
}

export interface CurlCommand {
  command: string;
  /** Things a user should know before running it (a cut body, fingerprinted credentials). */
  notes: string[];
}

export function flowToCurl(flow: Flow): CurlCommand {
  const q = flow.request;
  const notes: string[] = [];
  const url = q.url ?? `${flow.server.https ? 'https' : 'http'}://${q.host ?? 'localhost'}${q.path ?? '/'}`;
  const method = q.method ?? 'GET';
  const words: string[] = ['curl'];
  const hasBody = q.body !== null && q.body.length > 0;
  const implied = hasBody ? 'POST' : 'GET';
  if (method === 'HEAD' && !hasBody) words.push('--head');
  else if (method !== implied) words.push('-X', shellQuote(method));
  let compressed = false;
  for (const { name, value } of headerList(q.headers)) {
    if (name === 'accept-encoding') compressed = true;
    if (LEFT_TO_CURL.has(name)) continue;
    words.push('-H', shellQuote(`${name}: ${value}`));
    if (/\[redacted len=\d+ sha256=[0-9a-f]{8}\]/.test(value)) notes.push(`the ${name} header holds a fingerprint, not the credential: put the real one in before running`);
  }
  // The request asked for a compressed answer: --compressed asks again and decodes it for the terminal.
  if (compressed) words.push('--compressed');
  let stdin: string | undefined;
  if (hasBody) {
    const body = bodyArgument(q.body!);
    words.push('--data-binary', body.arg);
    stdin = body.stdin;
    if (q.bodyTruncated) notes.push(`the stored body was cut at ${q.body!.length} of ${q.bodySize} bytes: this sends only that part`);
  } else if (q.bodySize > 0) {
    notes.push(`the request had a body of ${q.bodySize} bytes that was not stored: this sends none`);
  }
  words.push(shellQuote(url));
  const curl = words.join(' ');
  return { command: stdin === undefined ? curl : `printf %s ${shellQuote(stdin)} | base64 -d | ${curl}`, notes };
}
