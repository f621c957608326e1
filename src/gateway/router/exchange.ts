// One attempt of the router: the request to one deployment, read up to the point where the client would see the
// first byte — the whole answer when it does not stream, the first chunk when it does — within the attempt's
// timeout. A failure before that point (an error status, a network error, a timeout) is handed to the router as a
// Failover when it has somewhere else to go; past that point the answer is the client's, whatever happens.
import { Readable } from 'node:stream';
import consumers from 'node:stream/consumers';
import type { Dispatcher } from 'undici';
import { classifyOutboundError } from '../upstream.js';
import { classifyAnswer, classifyNetwork, retryAfterOf, type FailureKind } from './classify.js';
import { TokenTally } from './tokens.js';

/** The request as relay.ts and translated.ts send it. */
export type SendRequest = Dispatcher.RequestOptions & { signal?: AbortSignal };

/** An answer read up to its first byte: undici's shape, so the senders read it as they read undici's. */
export interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { text(): Promise<string>; json(): Promise<unknown>; arrayBuffer(): Promise<ArrayBuffer> };
}

export type Send = (req: SendRequest) => Promise<Answer>;

export interface Failure {
  kind: FailureKind;
  /** The provider's status, or null for a network failure. */
  status: number | null;
  /** For messages: `HTTP 429: …` or the network error. */
  detail: string;
  /** Seconds the provider asked to wait, if it did. */
  retryAfter: number | null;
  /** Hands this failure to a sender as if it had just happened (the client then gets it as it would have). */
  replay: Send;
}

/** Thrown out of a sender when the router takes the failure elsewhere; nothing has been written to the client. */
export class Failover extends Error {
  constructor(readonly failure: Failure) {
    super(`failover: ${failure.detail}`);
  }
}

export interface ExchangeOptions {
  dispatcher: Dispatcher;
  /** Streams commit at their first chunk; other answers once whole. */
  stream: boolean;
  /** Milliseconds until that point, or null. */
  timeoutMs: number | null;
  /** Whether the router takes `f` elsewhere (else the sender passes it to the client). */
  failOver(f: Failure): boolean;
  /** A failure the router counts, whether or not it fails over. */
  onFailure(f: Failure): void;
  /** The answer is the client's from here on. */
  onCommit(): void;
  /** With a tpm limit to keep: the tokens the answer used, once it has been read through. */
  onTokens: ((n: number) => void) | null;
  /** What the timeout is called in messages. */
  timeoutName: string;
}

/** An error status's body is read up to this size before deciding; the rest is not needed to classify it. */
const ERROR_BODY_LIMIT = 1024 * 1024;

export function exchangeSender(o: ExchangeOptions): Send {
  return async (req) => {
    const abort = new AbortController();
    const outer = req.signal;
    const onOuter = () => abort.abort(outer?.reason);
    if (outer?.aborted) abort.abort(outer.reason);
    outer?.addEventListener('abort', onOuter, { once: true });
    let timedOut = false;
    const timer = o.timeoutMs === null ? null : setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, o.timeoutMs);
    const done = () => {
      if (timer) clearTimeout(timer);
    };
    const timeoutError = () => Object.assign(new Error(`no answer within ${o.timeoutMs! / 1000}s (${o.timeoutName})`), { code: 'ETIMEDOUT' });
    const network = (err: unknown): never => {
      done();
      outer?.removeEventListener('abort', onOuter);
      if (outer?.aborted) throw err;
      const e = timedOut ? timeoutError() : err;
      const c = classifyOutboundError(e);
      const f: Failure = { kind: classifyNetwork(c.type), status: null, detail: `${c.type}: ${c.message}`, retryAfter: null, replay: () => Promise.reject(e) };
      o.onFailure(f);
      if (o.failOver(f)) throw new Failover(f);
      throw e;
    };

    let up: Dispatcher.ResponseData;
    try {
      up = await o.dispatcher.request({ ...req, signal: abort.signal });
    } catch (err) {
      return network(err);
    }
    const headers = up.headers as Answer['headers'];
    if (up.statusCode >= 400) {
      let buf: Buffer;
      try {
        buf = await readLimited(up.body, ERROR_BODY_LIMIT);
      } catch (err) {
        return network(err);
      }
      done();
      outer?.removeEventListener('abort', onOuter);
      const text = buf.toString('utf8');
      const capture = typeof headers['x-ccproxy-error'] === 'string' ? headers['x-ccproxy-error'] : undefined;
      const kind = classifyAnswer(up.statusCode, text, capture);
      const stored = (): Promise<Answer> => Promise.resolve({ statusCode: up.statusCode, headers, body: bodyOf([buf], null) });
      const f: Failure = { kind, status: up.statusCode, detail: `HTTP ${up.statusCode}: ${summary(text)}`, retryAfter: retryAfterOf(headers, text), replay: stored };
      o.onFailure(f);
      if (o.failOver(f)) throw new Failover(f);
      return stored();
    }
    const iterator = (up.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const head: Buffer[] = [];
    let ended = false;
    try {
      if (o.stream) {
        const first = await iterator.next();
        if (first.done) ended = true;
        else head.push(first.value);
      } else {
        for (;;) {
          const n = await iterator.next();
          if (n.done) break;
          head.push(n.value);
        }
        ended = true;
      }
    } catch (err) {
      return network(err);
    }
    // Anthropic may answer 200 and then send an `error` event first (overloaded, rate limited): a failure before
    // the client saw a byte, like an error status.
    const sseError = o.stream && head.length > 0 ? streamError(head[0]!) : null;
    if (sseError) {
      try {
        for (;;) {
          const n = await iterator.next();
          if (n.done) break;
          head.push(n.value);
        }
      } catch (err) {
        return network(err);
      }
      done();
      outer?.removeEventListener('abort', onOuter);
      const stored = (): Promise<Answer> => Promise.resolve({ statusCode: up.statusCode, headers, body: bodyOf(head, null) });
      const f: Failure = { kind: sseError.kind, status: up.statusCode, detail: `an error event before any data: ${sseError.message}`, retryAfter: retryAfterOf(headers, ''), replay: stored };
      o.onFailure(f);
      if (o.failOver(f)) throw new Failover(f);
      return stored();
    }
    done();
    outer?.removeEventListener('abort', onOuter);
    // Past this point an abort of the client's still cancels the provider's request.
    if (outer) outer.addEventListener('abort', () => abort.abort(outer.reason), { once: true });
    o.onCommit();
    const tally = o.onTokens ? new TokenTally() : null;
    const finish = () => {
      if (tally) o.onTokens!(tally.total());
    };
    return { statusCode: up.statusCode, headers, body: bodyOf(head, ended ? null : iterator, tally, finish) };
  };
}

/** Anthropic's error types as failure kinds. */
const SSE_ERROR_KINDS: Record<string, FailureKind> = { overloaded_error: 'overloaded', rate_limit_error: 'rate_limit', api_error: 'server', timeout_error: 'timeout' };

/** A stream's first chunk that is an Anthropic `error` event: its kind and message. */
export function streamError(first: Buffer): { kind: FailureKind; message: string } | null {
  const text = first.toString('utf8', 0, 4096);
  if (!/^event: ?error\r?\n/.test(text)) return null;
  const data = /\ndata: ?(.*)/.exec(text)?.[1];
  let type = '';
  let message = data ?? '';
  try {
    const e = (JSON.parse(data ?? '') as { error?: { type?: string; message?: string } }).error;
    type = e?.type ?? '';
    message = e?.message ?? message;
  } catch {
    /* not JSON: the raw data is the message */
  }
  return { kind: SSE_ERROR_KINDS[type] ?? 'client', message: `${type || 'error'}: ${message}` };
}

/** A readable of the chunks already read, then the rest; with undici's text()/json()/arrayBuffer(). */
function bodyOf(head: Buffer[], rest: AsyncIterator<Buffer> | null, tally: TokenTally | null = null, finish: () => void = () => {}): Answer['body'] {
  async function* chunks() {
    let complete = false;
    try {
      for (const c of head) {
        tally?.feed(c);
        yield c;
      }
      if (rest) {
        for (;;) {
          const n = await rest.next();
          if (n.done) break;
          tally?.feed(n.value);
          yield n.value;
        }
      }
      complete = true;
    } finally {
      if (!complete) await rest?.return?.();
      finish();
    }
  }
  const r = Readable.from(chunks(), { objectMode: false });
  return Object.assign(r, { text: () => consumers.text(r), json: () => consumers.json(r), arrayBuffer: () => consumers.arrayBuffer(r) });
}

async function readLimited(body: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    if (size < limit) parts.push(c);
    size += c.length;
  }
  return Buffer.concat(parts);
}

/** An error body's message, short enough for a log line or an error message. */
export function summary(text: string): string {
  let m = text.trim();
  try {
    const v = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const e = Array.isArray(v) ? (v[0] as typeof v)?.error : v.error;
    if (typeof e === 'string') m = e;
    else if (typeof e?.message === 'string') m = e.message;
    else if (typeof v.message === 'string') m = v.message;
  } catch {
    /* not JSON: the text */
  }
  return m.length > 200 ? `${m.slice(0, 200)}…` : m || '(no body)';
}
