// Stored bodies are decoded (gzip, deflate, br, zstd), bounded so a decompression bomb cannot exhaust memory;
// a truncated input (the capture kept only a prefix) still yields the prefix of the decoded body.
// Runs after the exchange, off the proxy's path, on zlib's thread pool.
import zlib from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';

export interface Decoded {
  body: Buffer;
  /** The decoded body was cut at `limit`. */
  truncated: boolean;
  /** Why decoding failed (the raw bytes are kept then). */
  error?: string;
}

const CHUNK = 64 * 1024;

export async function decodeBody(raw: Buffer, contentEncoding: string | undefined, limit: number): Promise<Decoded> {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c && c !== 'identity');
  let body = raw;
  let truncated = false;
  try {
    for (const coding of codings.reverse()) {
      const out = await decodeOne(body, coding, limit);
      if (out === null) return { body: raw, truncated: false, error: `unsupported content-encoding ${coding}` };
      body = out.body;
      truncated ||= out.truncated;
    }
  } catch (err) {
    return { body: raw, truncated: false, error: `cannot decode ${codings.join(', ')}: ${(err as Error).message}` };
  }
  if (body.length > limit) return { body: body.subarray(0, limit), truncated: true };
  return { body, truncated };
}

function decodeOne(buf: Buffer, coding: string, limit: number): Promise<{ body: Buffer; truncated: boolean }> | null {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return viaStream(() => zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH }), buf, limit);
    case 'deflate':
      // "deflate" is zlib-wrapped by the standard, raw deflate by some servers: the first byte tells.
      return viaStream(() => ((buf[0]! & 0x0f) === 8 ? zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH }) : zlib.createInflateRaw({ finishFlush: zlib.constants.Z_SYNC_FLUSH })), buf, limit);
    case 'br':
      return viaStream(() => zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH }), buf, limit);
    case 'zstd':
      return Promise.resolve(zstd(buf, limit));
    default:
      return null;
  }
}

/** Feeds the input in chunks and stops the decoder as soon as the output passes `limit`. */
function viaStream(make: () => zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | zlib.BrotliDecompress, buf: Buffer, limit: number) {
  return new Promise<{ body: Buffer; truncated: boolean }>((resolve, reject) => {
    const z = make();
    const out: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (truncated: boolean) => {
      if (done) return;
      done = true;
      const body = Buffer.concat(out);
      resolve(body.length > limit ? { body: body.subarray(0, limit), truncated: true } : { body, truncated });
    };
    z.on('data', (chunk: Buffer) => {
      out.push(chunk);
      size += chunk.length;
      if (size > limit) {
        finish(true);
        z.destroy();
      }
    });
    z.on('end', () => finish(false));
    z.on('error', (err) => {
      // A body cut short by the capture limit ends mid-stream: what was decoded is the prefix.
      if (size > 0) finish(true);
      else if (!done) {
        done = true;
        reject(err);
      }
    });
    for (let i = 0; i < buf.length; i += CHUNK) z.write(buf.subarray(i, i + CHUNK));
    z.end();
  });
}

function zstd(buf: Buffer, limit: number): { body: Buffer; truncated: boolean } {
  const out: Uint8Array[] = [];
  let size = 0;
  const d = new ZstdDecompress((chunk) => {
    out.push(chunk);
    size += chunk.length;
  });
  // Small pushes: a zstd RLE block turns 4 input bytes into 128 KB, so the input step bounds the overshoot.
  const STEP = 512;
  for (let i = 0; i < buf.length && size <= limit; i += STEP) {
    try {
      d.push(buf.subarray(i, i + STEP), false);
    } catch (err) {
      if (size > 0) break; // a truncated frame: keep the decoded prefix
      throw err;
    }
  }
  const body = Buffer.concat(out);
  return body.length > limit ? { body: body.subarray(0, limit), truncated: true } : { body, truncated: false };
}
