// RFC 6455 framing, read from a copy of one direction's bytes as they stream through the relay: frame headers
// (which may straddle chunks), payloads unmasked chunk by chunk (never a whole frame held), and the protocol
// checks an endpoint must fail a connection for. The parser does no I/O; the relay decides what a malformed
// frame means for the connection.

/** Opcodes (RFC 6455 §5.2). */
export const OP_CONTINUATION = 0;
export const OP_TEXT = 1;
export const OP_BINARY = 2;
export const OP_CLOSE = 8;
export const OP_PING = 9;
export const OP_PONG = 10;

/** Control frames carry at most 125 bytes and are never fragmented (§5.5). */
export const MAX_CONTROL_PAYLOAD = 125;
/** The longest frame header: 2 bytes, a 64-bit length, a 4-byte mask key. */
const MAX_HEADER = 14;

export interface FrameHeader {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  masked: boolean;
  /** Payload bytes. */
  length: number;
  /** Header bytes on the wire (2 to 14). */
  headerSize: number;
}

export interface FrameEvents {
  header(h: FrameHeader): void;
  /** A piece of the current frame's payload, unmasked. */
  payload(chunk: Buffer): void;
  /** The current frame's payload is complete. */
  end(h: FrameHeader): void;
}

export interface FrameRules {
  /** Frames from a client are masked, frames from a server are not (§5.1). */
  masked: boolean;
  /** RSV bits the negotiated extensions give a meaning to (bit 4 = RSV1 for permessage-deflate); 0b111 when an unknown extension was negotiated. */
  rsvAllowed: number;
}

/** A frame an endpoint must fail the connection for, with where it started in the chunk that carried it. */
export class FrameError extends Error {
  constructor(
    message: string,
    /** Offset in the pushed chunk where the bad frame's header begins (bytes before it were good frames). */
    readonly offset: number,
  ) {
    super(message);
  }
}

export class FrameParser {
  private head = Buffer.alloc(MAX_HEADER);
  private headLen = 0;
  private frame: FrameHeader | null = null;
  private remaining = 0;
  private mask: Buffer | null = null;
  /** Offset into the mask key for the next payload byte. */
  private maskPos = 0;
  /** A fragmented data message is open (continuation frames expected). */
  private inMessage = false;
  /** Where the current header began in the chunk being pushed (negative: in an earlier chunk). */
  private headerStart = 0;
  failed: FrameError | null = null;

  constructor(
    private readonly rules: FrameRules,
    private readonly ev: FrameEvents,
  ) {}

  /** Reads a chunk; throws a FrameError at the first malformed frame (and ignores everything after it). */
  push(chunk: Buffer): void {
    if (this.failed) return;
    let i = 0;
    while (i < chunk.length) {
      if (this.frame === null) {
        if (this.headLen === 0) this.headerStart = i;
        const need = this.headerNeed();
        const take = Math.min(need - this.headLen, chunk.length - i);
        chunk.copy(this.head, this.headLen, i, i + take);
        this.headLen += take;
        i += take;
        if (this.headLen < this.headerNeed()) continue; // the 2 first bytes may say more are needed
        this.startFrame();
        if (this.remaining === 0) this.endFrame();
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - i);
      let part = chunk.subarray(i, i + take);
      if (this.mask) part = this.unmask(part);
      i += take;
      this.remaining -= take;
      this.ev.payload(part);
      if (this.remaining === 0) this.endFrame();
    }
    // A header cut by the chunk's end starts "before" the next chunk.
    if (this.frame === null && this.headLen > 0) this.headerStart -= chunk.length;
  }

  /** Header bytes needed, as far as the bytes so far tell. */
  private headerNeed(): number {
    if (this.headLen < 2) return 2;
    const len7 = this.head[1]! & 0x7f;
    const mask = this.head[1]! & 0x80 ? 4 : 0;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + mask;
  }

  private fail(message: string): never {
    this.failed = new FrameError(message, Math.max(0, this.headerStart));
    throw this.failed;
  }

  private startFrame(): void {
    const b0 = this.head[0]!;
    const b1 = this.head[1]!;
    const fin = (b0 & 0x80) !== 0;
    const rsv = (b0 >> 4) & 0x7;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    const len7 = b1 & 0x7f;
    // The first byte's faults come first, whatever the length bytes after it say.
    if ((opcode > 2 && opcode < 8) || opcode > 10) this.fail(`reserved opcode ${opcode}`);
    let length = len7;
    let at = 2;
    if (len7 === 126) {
      length = this.head.readUInt16BE(2);
      at = 4;
    } else if (len7 === 127) {
      const high = this.head.readUInt32BE(2);
      // The most significant bit must be 0 (§5.2); past 2^53 a length is not a safe number either.
      if (high > 0x1fffff) this.fail(`a frame length of ${high >= 0x80000000 ? 'more than 2^63 (the top bit set)' : 'more than 2^53'} bytes`);
      length = high * 2 ** 32 + this.head.readUInt32BE(6);
      at = 10;
    }
    const control = opcode >= 8;
    if (rsv & ~this.rules.rsvAllowed) this.fail(`RSV bits ${rsv.toString(2).padStart(3, '0')} set, which no negotiated extension defines`);
    if (control && (rsv & 0b100) !== 0 && this.rules.rsvAllowed !== 0b111) this.fail(`a compressed control frame (opcode ${opcode})`);
    if (control && !fin) this.fail(`a fragmented control frame (opcode ${opcode})`);
    if (control && length > MAX_CONTROL_PAYLOAD) this.fail(`a control frame (opcode ${opcode}) of ${length} bytes, more than ${MAX_CONTROL_PAYLOAD}`);
    if (masked !== this.rules.masked) this.fail(this.rules.masked ? 'an unmasked frame from the client' : 'a masked frame from the server');
    if (opcode === OP_CONTINUATION && !this.inMessage) this.fail('a continuation frame with no message in progress');
    if ((opcode === OP_TEXT || opcode === OP_BINARY) && this.inMessage) this.fail('a new message before the fragmented one ended');
    if (!control) this.inMessage = !fin;
    this.mask = masked ? Buffer.from(this.head.subarray(at, at + 4)) : null;
    this.maskPos = 0;
    this.frame = { fin, rsv1: (rsv & 0b100) !== 0, opcode, masked, length, headerSize: this.headLen };
    this.remaining = length;
    this.headLen = 0;
    this.ev.header(this.frame);
  }

  private endFrame(): void {
    const f = this.frame!;
    this.frame = null;
    this.ev.end(f);
  }

  private unmask(part: Buffer): Buffer {
    const out = Buffer.allocUnsafe(part.length);
    const m = this.mask!;
    let p = this.maskPos;
    for (let j = 0; j < part.length; j++) {
      out[j] = part[j]! ^ m[p]!;
      p = (p + 1) & 3;
    }
    this.maskPos = p;
    return out;
  }
}

/** Builds one frame (for tests and for the benchmark's own client): masked when a mask key is given. */
export function encodeFrame(opcode: number, payload: Buffer, o: { fin?: boolean; rsv1?: boolean; mask?: Buffer } = {}): Buffer {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (o.mask ? 4 : 0));
  head[0] = ((o.fin ?? true) ? 0x80 : 0) | (o.rsv1 ? 0x40 : 0) | opcode;
  head[1] = (o.mask ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(len, 2);
  if (ext === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!o.mask) return Buffer.concat([head, payload]);
  o.mask.copy(head, 2 + ext);
  const body = Buffer.allocUnsafe(len);
  for (let j = 0; j < len; j++) body[j] = payload[j]! ^ o.mask[j & 3]!;
  return Buffer.concat([head, body]);
}
