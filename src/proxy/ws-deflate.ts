// permessage-deflate (RFC 7692) for the capture: what the 101 response negotiated, and an inflater per
// connection and direction that turns compressed messages back into what the application sent. zlib runs
// streaming on its own threads, so a compression bomb costs bounded memory: output past the stored limit is
// counted and dropped, and a message that inflates past the ceiling stops there.
import zlib from 'node:zlib';
import { BodyCopy } from '../flow/body-copy.js';

export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** The window the server compresses with (8-15; 15 when not negotiated). */
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

export interface Negotiated {
  deflate: DeflateParams | null;
  /** An extension other than permessage-deflate was accepted: its RSV bits and payloads are not understood. */
  unknown: boolean;
}

const DEFAULT_WINDOW_BITS = 15;

/** The extensions a 101 response's Sec-WebSocket-Extensions accepted (only the first permessage-deflate counts). */
export function negotiated(header: string | string[] | undefined): Negotiated {
  const out: Negotiated = { deflate: null, unknown: false };
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  for (const ext of value.split(',')) {
    const [name, ...params] = ext.split(';').map((s) => s.trim());
    if (!name) continue;
    if (name.toLowerCase() !== 'permessage-deflate' || out.deflate) {
      out.unknown = true;
      continue;
    }
    const d: DeflateParams = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: DEFAULT_WINDOW_BITS, clientMaxWindowBits: DEFAULT_WINDOW_BITS };
    for (const p of params) {
      const [k, v] = p.split('=').map((s) => s.trim().replace(/^"|"$/g, ''));
      const bits = Number(v);
      const validBits = Number.isInteger(bits) && bits >= 8 && bits <= 15;
      switch (k?.toLowerCase()) {
        case 'server_no_context_takeover':
          d.serverNoContextTakeover = true;
          break;
        case 'client_no_context_takeover':
          d.clientNoContextTakeover = true;
          break;
        case 'server_max_window_bits':
          if (validBits) d.serverMaxWindowBits = bits;
          break;
        case 'client_max_window_bits':
          if (validBits) d.clientMaxWindowBits = bits;
          break;
      }
    }
    out.deflate = d;
  }
  return out;
}

/** Every message's deflate stream ends with an empty stored block whose last 4 bytes the sender removed (§7.2.1). */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

export interface Inflated {
  payload: Buffer;
  truncated: boolean;
}

interface Message {
  out: BodyCopy;
  /** The compressed bytes as they came, stored instead when the message does not inflate. */
  raw: BodyCopy;
  total: number;
  failed: boolean;
  done: ((r: Inflated) => void) | null;
  result: Promise<Inflated>;
  stream: Stream | null;
}

/**
 * Inflates one direction's compressed messages in order. With context takeover one zlib stream lives as long
 * as the connection (each message may refer to the ones before); without it each message gets a fresh one.
 * A message that inflates past `ceiling` stops there; with context takeover that direction's later messages
 * can then no longer be inflated and are stored as they came (compressed), as are messages that fail to inflate.
 */
export class MessageInflater {
  private stream: Stream | null = null;
  private current: Message | null = null;
  /** The shared window was lost (an earlier message failed or passed the ceiling). */
  private lost = false;

  constructor(
    private readonly windowBits: number,
    private readonly noContextTakeover: boolean,
    /** Bytes of each message to keep. */
    private readonly limit: number,
    /** Bytes a message may inflate to before inflating stops. */
    private readonly ceiling: number,
  ) {}

  /** A compressed message starts. */
  begin(): void {
    let done: ((r: Inflated) => void) | null = null;
    const result = new Promise<Inflated>((r) => (done = r));
    const m: Message = { out: new BodyCopy(this.limit), raw: new BodyCopy(this.limit), total: 0, failed: this.lost, done, result, stream: null };
    this.current = m;
    if (m.failed) return;
    if (!this.stream || this.noContextTakeover) this.stream = this.open();
    m.stream = this.stream;
    this.stream.queue.push(m);
  }

  write(chunk: Buffer): void {
    const m = this.current;
    if (!m) return;
    m.raw.push(chunk);
    if (!m.failed) m.stream!.z.write(chunk);
  }

  /** The message's last frame has come: its stored payload, once inflated. */
  finish(): Promise<Inflated> {
    const m = this.current!;
    this.current = null;
    if (m.failed) {
      settle(m);
      return m.result;
    }
    const s = m.stream!;
    s.z.write(TRAILER);
    s.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      // Output zlib pushed but the stream still holds belongs to this message: take it before moving on.
      if (s.z.readableLength > 0) s.z.read();
      if (s.queue[0] === m) s.queue.shift();
      settle(m);
      if (this.noContextTakeover || (s.closing && s.queue.length === 0)) s.z.close();
    });
    return m.result;
  }

  /**
   * The connection is over. Messages whose last frame came are still inflating (zlib answers later): they end
   * as they would have, and the stream closes after the last one; a message cut mid-way ends with what it has.
   */
  close(): void {
    const cut = this.current;
    this.current = null;
    if (cut) {
      cut.failed = true;
      const q = cut.stream?.queue;
      if (q?.at(-1) === cut) q.pop();
      settle(cut);
    }
    const s = this.stream;
    this.stream = null;
    if (!s) return;
    s.closing = true;
    if (s.queue.length === 0) s.z.close();
  }

  private open(): Stream {
    // zlib takes 9 for a raw stream made with an 8-bit window (a larger window inflates a smaller one's output).
    const s: Stream = { z: zlib.createInflateRaw({ windowBits: Math.max(9, this.windowBits) }), queue: [], closing: false };
    s.z.on('data', (c: Buffer) => {
      const m = s.queue[0];
      if (!m || m.failed) return;
      m.total += c.length;
      m.out.push(c);
      if (m.total > this.ceiling) this.abandon(s);
    });
    s.z.on('error', () => this.abandon(s));
    return s;
  }

  /** Stops inflating on this stream: its message is kept as far as it got; without context takeover the next one starts afresh. */
  private abandon(s: Stream): void {
    s.z.removeAllListeners('data');
    s.z.on('error', () => {});
    s.z.close();
    if (this.stream === s) this.stream = null;
    if (!this.noContextTakeover) this.lost = true;
    // Every message still waiting on this stream ends here.
    for (const m of s.queue.splice(0)) {
      m.failed = true;
      settle(m);
    }
  }
}

interface Stream {
  z: zlib.InflateRaw;
  /** Messages written to `z` whose output is still to come, oldest first. */
  queue: Message[];
  /** The connection is over: close `z` once the queue is empty. */
  closing: boolean;
}

function settle(m: Message): void {
  if (!m.done) return;
  const done = m.done;
  m.done = null;
  if (m.failed && m.total === 0) done({ payload: m.raw.bytes(), truncated: m.raw.truncated });
  else done({ payload: m.out.bytes(), truncated: m.out.truncated || m.failed });
}
