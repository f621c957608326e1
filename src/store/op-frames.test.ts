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
