// The capture's reading of one WebSocket connection: frames from both directions (copies of the relayed bytes)
// become messages — fragments joined under the first frame's opcode, control frames on their own, payloads
// unmasked, inflated and redacted, bounded like bodies — numbered in the order the capture saw them end.
import type { MaybePromise } from '../capture/maybe-promise.js';
import { redactJsonBytes } from '../capture/redact-json.js';
import { BodyCopy } from '../flow/body-copy.js';
import type { WsMessage } from '../flow/websocket.js';
import { MessageInflater, negotiated, type Negotiated } from './ws-deflate.js';
import { FrameError, FrameParser, OP_CLOSE, OP_TEXT, type FrameHeader } from './ws-frames.js';

export interface TapSettings {
  captureBodies: boolean;
  /** Bytes of each payload to keep. */
  bodyLimit: number;
  redact: boolean;
  /** Bytes a compressed message may inflate to before inflating stops (a bomb's end). */
  inflateCeiling: number;
}

/** What one direction is in the middle of. */
interface Side {
  parser: FrameParser;
  inflater: MessageInflater | null;
  /** The data message being assembled (its first frame's opcode), or null between messages. */
  message: { opcode: number; size: number; compressed: boolean; copy: BodyCopy } | null;
  /** The control frame being read. */
  control: { opcode: number; size: number; copy: BodyCopy } | null;
}

export class WsTap {
  private seq = 0;
  private readonly sides: [Side, Side];
  /** The first close frame, by direction. */
  closedBy: 0 | 1 | null = null;

  /**
   * `extensions` is the 101 response's Sec-WebSocket-Extensions; `emit` gets each message as soon as its last
   * frame has been read (its payload may still be inflating).
   */
  constructor(
    private readonly settings: TapSettings,
    extensions: string | string[] | undefined,
    private readonly emit: (m: MaybePromise<WsMessage>) => void,
  ) {
    const ext = negotiated(extensions);
    this.sides = [this.side(0, ext), this.side(1, ext)];
  }

  /** Reads bytes that went one way; throws a FrameError at a malformed frame. */
  push(direction: 0 | 1, chunk: Buffer): void {
    this.sides[direction].parser.push(chunk);
  }

  /** A data message is half read in this direction (the peer left mid-message). */
  midMessage(direction: 0 | 1): boolean {
    const s = this.sides[direction];
    return s.message !== null || s.control !== null;
  }

  close(): void {
    for (const s of this.sides) s.inflater?.close();
  }

  private side(direction: 0 | 1, ext: Negotiated): Side {
    const { settings } = this;
    const d = ext.deflate;
    const inflater = d && settings.captureBodies
      ? new MessageInflater(direction === 0 ? d.clientMaxWindowBits : d.serverMaxWindowBits, direction === 0 ? d.clientNoContextTakeover : d.serverNoContextTakeover, settings.bodyLimit, settings.inflateCeiling)
      : null;
    const keep = settings.captureBodies ? settings.bodyLimit : 0;
    const s: Side = {
      inflater,
      message: null,
      control: null,
      parser: new FrameParser(
        { masked: direction === 0, rsvAllowed: ext.unknown ? 0b111 : d ? 0b100 : 0 },
        {
          header: (h: FrameHeader) => {
            if (h.opcode >= 8) {
              s.control = { opcode: h.opcode, size: h.headerSize + h.length, copy: new BodyCopy(keep) };
              return;
            }
            if (h.opcode !== 0) {
              const compressed = h.rsv1 && d !== null;
              s.message = { opcode: h.opcode, size: 0, compressed, copy: new BodyCopy(keep) };
              if (compressed) inflater?.begin();
            }
            s.message!.size += h.headerSize + h.length;
          },
          payload: (chunk: Buffer) => {
            if (s.control) return s.control.copy.push(chunk);
            const m = s.message!;
            if (!settings.captureBodies) return;
            if (m.compressed && inflater) inflater.write(chunk);
            else m.copy.push(chunk);
          },
          end: (h: FrameHeader) => {
            if (h.opcode >= 8) {
              const c = s.control!;
              s.control = null;
              if (h.opcode === OP_CLOSE && this.closedBy === null) this.closedBy = direction;
              this.message(direction, c.opcode, c.size, settings.captureBodies ? { payload: c.copy.bytes(), truncated: c.copy.truncated } : null);
              return;
            }
            if (!h.fin) return;
            const m = s.message!;
            s.message = null;
            let payload: MaybePromise<{ payload: Buffer; truncated: boolean } | null> = null;
            if (settings.captureBodies) payload = m.compressed && inflater ? inflater.finish() : { payload: m.copy.bytes(), truncated: m.copy.truncated };
            this.message(direction, m.opcode, m.size, payload);
          },
        },
      ),
    };
    return s;
  }

  private message(direction: 0 | 1, opcode: number, size: number, stored: MaybePromise<{ payload: Buffer; truncated: boolean } | null>): void {
    const base = { seq: this.seq++, direction, at: new Date(), opcode, size };
    const make = (p: { payload: Buffer; truncated: boolean } | null): WsMessage => {
      if (!p) return { ...base, payload: null, truncated: false };
      const payload = opcode === OP_TEXT && this.settings.redact ? redactText(p.payload) : p.payload;
      return { ...base, payload, truncated: p.truncated };
    };
    this.emit(stored instanceof Promise ? stored.then(make) : make(stored));
  }
}

/** Secret fields in a JSON text message keep only their fingerprint (as in bodies); other text is stored as it came. */
export function redactText(payload: Buffer): Buffer {
  return redactJsonBytes(payload) ?? payload;
}

export { FrameError };
