// The frame parser on bytes as they come off a socket: headers and payloads split anywhere, masking, and each
// protocol violation an endpoint must fail the connection for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeFrame, FrameError, FrameParser, OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_TEXT, type FrameHeader } from './ws-frames.js';

const MASK = Buffer.from([1, 2, 3, 4]);

function parse(bytes: Buffer[], rules = { masked: true, rsvAllowed: 0 }) {
  const frames: { h: FrameHeader; payload: Buffer }[] = [];
  let parts: Buffer[] = [];
  const p = new FrameParser(rules, {
    header: () => (parts = []),
    payload: (c) => parts.push(c),
    end: (h) => frames.push({ h, payload: Buffer.concat(parts) }),
  });
  for (const b of bytes) p.push(b);
  return frames;
}

/** Every split of a buffer into single bytes. */
const bytewise = (b: Buffer) => [...b].map((x) => Buffer.from([x]));

test('frames of each length form, masked, parsed whole and byte by byte', () => {
  const payloads = [Buffer.alloc(0), Buffer.from('hi'), Buffer.alloc(300, 7), Buffer.alloc(70_000, 9)];
  const wire = Buffer.concat(payloads.map((p) => encodeFrame(OP_BINARY, p, { mask: MASK })));
  for (const chunks of [[wire], bytewise(wire)]) {
    const frames = parse(chunks);
    assert.deepEqual(
      frames.map((f) => f.payload.length),
      payloads.map((p) => p.length),
    );
    frames.forEach((f, i) => assert.ok(f.payload.equals(payloads[i]!), 'unmasked'));
    assert.deepEqual(
      frames.map((f) => f.h.headerSize),
      [6, 6, 8, 14],
    );
  }
});

test('fragments and a control frame between them', () => {
  const wire = Buffer.concat([
    encodeFrame(OP_TEXT, Buffer.from('he'), { fin: false }),
    encodeFrame(OP_PING, Buffer.from('p')),
    encodeFrame(OP_CONTINUATION, Buffer.from('llo')),
  ]);
  const frames = parse([wire], { masked: false, rsvAllowed: 0 });
  assert.deepEqual(
    frames.map((f) => [f.h.opcode, f.h.fin, f.payload.toString()]),
    [
      [OP_TEXT, false, 'he'],
      [OP_PING, true, 'p'],
      [OP_CONTINUATION, true, 'llo'],
    ],
  );
});

test('malformed frames: each is refused, with the offset where it starts', () => {
  const good = encodeFrame(OP_TEXT, Buffer.from('ok'), { mask: MASK });
  const cases: [string, Buffer, RegExp][] = [
    ['reserved opcode', encodeFrame(3, Buffer.alloc(0), { mask: MASK }), /reserved opcode 3/],
    ['long control frame', encodeFrame(OP_CLOSE, Buffer.alloc(126), { mask: MASK }), /control frame .* 126 bytes/],
    ['fragmented control frame', encodeFrame(OP_PING, Buffer.alloc(1), { mask: MASK, fin: false }), /fragmented control/],
    ['unmasked client frame', encodeFrame(OP_TEXT, Buffer.from('x')), /unmasked/],
    ['RSV1 without an extension', encodeFrame(OP_TEXT, Buffer.from('x'), { mask: MASK, rsv1: true }), /RSV bits 100/],
    ['continuation with nothing open', encodeFrame(OP_CONTINUATION, Buffer.from('x'), { mask: MASK }), /continuation/],
    ['a 2^63 length', Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]), /2\^63/],
    // Both bytes wrong: the first byte's fault is the one named.
    ['a reserved opcode with a 2^63 length', Buffer.from([0x8b, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]), /reserved opcode 11/],
  ];
  for (const [name, bad, re] of cases) {
    const p = new FrameParser({ masked: true, rsvAllowed: 0 }, { header() {}, payload() {}, end() {} });
    assert.throws(
      () => p.push(Buffer.concat([good, bad])),
      (e: unknown) => e instanceof FrameError && re.test(e.message) && e.offset === good.length,
      name,
    );
    p.push(good); // ignored after the failure, no throw
  }
  const p = new FrameParser({ masked: true, rsvAllowed: 0 }, { header() {}, payload() {}, end() {} });
  p.push(encodeFrame(OP_TEXT, Buffer.from('a'), { mask: MASK, fin: false }));
  assert.throws(() => p.push(encodeFrame(OP_TEXT, Buffer.from('b'), { mask: MASK })), /new message before/);
});

test('a masked frame from the server is refused; RSV1 is allowed once permessage-deflate is negotiated', () => {
  assert.throws(() => parse([encodeFrame(OP_TEXT, Buffer.from('x'), { mask: MASK })], { masked: false, rsvAllowed: 0 }), /masked frame from the server/);
  assert.equal(parse([encodeFrame(OP_TEXT, Buffer.from('x'), { rsv1: true })], { masked: false, rsvAllowed: 0b100 })[0]!.h.rsv1, true);
});
