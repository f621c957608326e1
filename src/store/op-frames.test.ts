// Binary frames of writer operations read back exactly as written: every value type, bodies byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeFrames, encodeFrames } from './op-frames.js';
import { makeOp, makeWsOp } from './ops.js';

test('operations of every kind read back identical, and a frame cut short is left out', () => {
  const body = Buffer.from([0, 1, 2, 255, 10, 13]);
  const ops = [
    makeOp('create', 'trace-é', { method: 'POST', url: 'http://127.0.0.1/v1/messages?q=ü', request_body: body, request_headers: { 'content-type': 'application/json', x: 'a"b\\nc' }, start_time: new Date(1767225600123), proxy_direction: 0 }),
    makeOp('complete', 'trace-é', { status_code: 200, response_body: Buffer.alloc(0), error_message: null, duration_ms: 12.25 }),
    makeWsOp('trace-ws', { seq: 3, direction: 1, at: new Date(1767225600000), opcode: 2, size: 4, payload: Buffer.from('ping'), truncated: true }),
  ];
  ops[1]!.n = 3;
  const buf = encodeFrames(ops);
  assert.deepEqual(decodeFrames(buf), ops);
  assert.deepEqual(decodeFrames(buf.subarray(0, buf.length - 1)), ops.slice(0, 2));
  assert.deepEqual(decodeFrames(Buffer.alloc(0)), []);
});

test('frames encoded into a scratch buffer are the same bytes, in that buffer; frames too large for it get their own', () => {
  const ops = [makeOp('create', 'a', { method: 'POST', request_body: Buffer.alloc(100, 7) }), makeOp('complete', 'a', { status_code: 200 })];
  const scratch = Buffer.alloc(4096);
  const inScratch = encodeFrames(ops, scratch);
  assert.equal(inScratch.buffer, scratch.buffer, 'written into the scratch buffer');
  assert.deepEqual(inScratch, encodeFrames(ops));
  assert.deepEqual(decodeFrames(inScratch), ops);
  const big = [makeOp('create', 'b', { request_body: Buffer.alloc(8192, 1) })];
  const own = encodeFrames(big, scratch);
  assert.notEqual(own.buffer, scratch.buffer);
  assert.deepEqual(decodeFrames(own), big);
});
