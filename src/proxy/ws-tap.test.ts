// The tap on both directions of a connection, with a recording sink: messages numbered across directions,
// fragments joined, sizes as on the wire, permessage-deflate inflated per direction (context takeover or not,
// window bits as negotiated), a bomb stopped at the ceiling, redaction, and capture_bodies off.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import type { WsMessage } from '../flow/websocket.js';
import { negotiated } from './ws-deflate.js';
import { encodeFrame, OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_TEXT } from './ws-frames.js';
import { WsTap, type TapSettings } from './ws-tap.js';

const MASK = Buffer.from([9, 8, 7, 6]);
const SETTINGS: TapSettings = { captureBodies: true, bodyLimit: 1024 * 1024, redact: true, inflateCeiling: 64 * 1024 * 1024 };

function tapOf(settings: TapSettings = SETTINGS, extensions?: string) {
  const out: Promise<WsMessage>[] = [];
  const tap = new WsTap(settings, extensions, (m) => out.push(Promise.resolve(m)));
  return { tap, all: () => Promise.all(out) };
}

/** A deflate compressor as the sending endpoint keeps it: each message sync-flushed, its 4-byte tail removed. */
function compressor(windowBits = 15) {
  const z = zlib.createDeflateRaw({ windowBits });
  return (data: Buffer) =>
    new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      const onData = (c: Buffer) => parts.push(c);
      z.on('data', onData);
      z.write(data);
      z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        z.off('data', onData);
        const all = Buffer.concat(parts);
        resolve(all.subarray(0, all.length - 4));
      });
    });
}

test('both directions in the order seen; fragments joined under the first opcode; control frames their own rows', async () => {
  const { tap, all } = tapOf();
  const f1 = encodeFrame(OP_TEXT, Buffer.from('hel'), { mask: MASK, fin: false });
  const ping = encodeFrame(OP_PING, Buffer.from('p'), { mask: MASK });
  const f2 = encodeFrame(OP_CONTINUATION, Buffer.from('lo'), { mask: MASK });
  tap.push(0, Buffer.concat([f1, ping]));
  tap.push(1, encodeFrame(OP_BINARY, Buffer.from([1, 2, 3])));
  tap.push(0, f2);
  const close = Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('done')]);
  tap.push(1, encodeFrame(OP_CLOSE, close));
  const m = await all();
  assert.deepEqual(
    m.map((x) => [x.seq, x.direction, x.opcode, x.size, x.payload && Buffer.from(x.payload).toString('latin1'), x.truncated]),
    [
      [0, 0, OP_PING, ping.length, 'p', false],
      [1, 1, OP_BINARY, 5, '\x01\x02\x03', false],
      [2, 0, OP_TEXT, f1.length + f2.length, 'hello', false],
      [3, 1, OP_CLOSE, 8, close.toString('latin1'), false],
    ],
  );
  assert.equal(tap.closedBy, 1);
});

test('permessage-deflate: context takeover across messages, each direction its own window', async () => {
  const ext = 'permessage-deflate; client_max_window_bits=10; server_max_window_bits=12';
  const { tap, all } = tapOf(SETTINGS, ext);
  const client = compressor(10);
  const server = compressor(12);
  const text = '{"type":"response.create","input":"the same words again and again"}';
  for (let i = 0; i < 3; i++) {
    tap.push(0, encodeFrame(OP_TEXT, await client(Buffer.from(text)), { mask: MASK, rsv1: true }));
    const reply = await server(Buffer.from(`${text}${i}`));
    // Split into two fragments, the second with RSV1 clear as the RFC has it.
    const cut = Math.floor(reply.length / 2);
    tap.push(1, Buffer.concat([encodeFrame(OP_TEXT, reply.subarray(0, cut), { fin: false, rsv1: true }), encodeFrame(OP_CONTINUATION, reply.subarray(cut))]));
  }
  const m = await all();
  assert.deepEqual(
    m.map((x) => x.payload!.toString()),
    [text, `${text}0`, text, `${text}1`, text, `${text}2`],
  );
  assert.ok(m[2]!.size < m[0]!.size, 'the second message refers to the first: smaller on the wire');
});

test('permessage-deflate without context takeover; the negotiated parameters are read', async () => {
  assert.deepEqual(negotiated('permessage-deflate; server_no_context_takeover; client_max_window_bits=9'), {
    deflate: { serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 9 },
    unknown: false,
  });
  assert.equal(negotiated('x-webkit-deflate-frame').unknown, true);
  const { tap, all } = tapOf(SETTINGS, 'permessage-deflate; server_no_context_takeover');
  for (const word of ['one', 'two']) tap.push(1, encodeFrame(OP_BINARY, zlib.deflateRawSync(Buffer.from(word)).subarray(0), { rsv1: true }));
  assert.deepEqual(
    (await all()).map((x) => x.payload!.toString()),
    ['one', 'two'],
  );
});

test('a compression bomb stops at the ceiling; the stored payload at the body limit', async () => {
  const settings = { ...SETTINGS, bodyLimit: 1000, inflateCeiling: 100_000 };
  const { tap, all } = tapOf(settings, 'permessage-deflate; server_no_context_takeover');
  const bomb = zlib.deflateRawSync(Buffer.alloc(50_000_000), { level: 9 });
  tap.push(1, encodeFrame(OP_BINARY, bomb, { rsv1: true }));
  tap.push(1, encodeFrame(OP_BINARY, zlib.deflateRawSync(Buffer.from('after')), { rsv1: true }));
  const [a, b] = await all();
  assert.equal(a!.payload!.length, 1000);
  assert.equal(a!.truncated, true);
  assert.equal(a!.size, bomb.length + 4);
  assert.equal(b!.payload!.toString(), 'after', 'without context takeover the next message inflates afresh');
});

test('redaction of token fields in text messages; capture_bodies off stores no payload', async () => {
  const { tap, all } = tapOf();
  tap.push(0, encodeFrame(OP_TEXT, Buffer.from('{"type":"session.update","api_key":"sk-live-123"}'), { mask: MASK }));
  tap.push(0, encodeFrame(OP_BINARY, Buffer.from('{"api_key":"binary stays"}'), { mask: MASK }));
  const [t, b] = await all();
  assert.match(t!.payload!.toString(), /"api_key":"\[redacted len=11 sha256=[0-9a-f]{8}\]"/);
  assert.equal(b!.payload!.toString(), '{"api_key":"binary stays"}');
  const off = tapOf({ ...SETTINGS, captureBodies: false }, 'permessage-deflate');
  off.tap.push(1, encodeFrame(OP_TEXT, zlib.deflateRawSync(Buffer.from('x')), { rsv1: true }));
  const [m] = await off.all();
  assert.equal(m!.payload, null);
  assert.equal(m!.opcode, OP_TEXT);
});

test('a peer cut mid-message is seen as such', () => {
  const { tap } = tapOf();
  tap.push(1, encodeFrame(OP_TEXT, Buffer.from('partial'), { fin: false }));
  assert.equal(tap.midMessage(1), true);
  assert.equal(tap.midMessage(0), false);
});

test('messages still inflating when the connection ends keep their inflated payload (context takeover)', async () => {
  const { tap, all } = tapOf(SETTINGS, 'permessage-deflate');
  const server = compressor();
  const text = '{"type":"response.completed"}';
  // The second copy refers to the first: a few bytes on the wire.
  for (let i = 0; i < 3; i++) tap.push(1, encodeFrame(OP_TEXT, await server(Buffer.from(text)), { rsv1: true }));
  tap.push(1, encodeFrame(OP_TEXT, Buffer.from('cut'), { fin: false, rsv1: true }));
  // Both sockets closed before zlib answered: the relay closes the tap at once.
  tap.close();
  const m = await all();
  assert.deepEqual(m.map((x) => [x.payload!.toString(), x.truncated]), [[text, false], [text, false], [text, false]]);
  assert.ok(m[2]!.size <= 8, 'a repeated message is a handful of bytes on the wire');
});
