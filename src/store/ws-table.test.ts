import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MESSAGES_TARGET, planCopies, TRACES_TARGET } from './copy.js';
import { buildStatements, decodeOp, encodeOp, makeOp, makeWsOp, mergeOps } from './ops.js';
import { buildWsInserts } from './ws-table.js';

const AT = new Date('2026-11-23T12:00:00.123Z');
const msg = (seq: number, payload: Uint8Array | null = new Uint8Array([104, 105])) => ({ seq, direction: 1 as const, at: AT, opcode: 1, size: 4, payload, truncated: false });

test('makeWsOp: a whole message row; payload bytes count for batch sizing; a missing time becomes now', () => {
  const op = makeWsOp('t\u00001', msg(3));
  assert.deepEqual({ kind: op.kind, id: op.id, fields: op.fields, bytes: op.bytes, n: op.n }, {
    kind: 'ws',
    id: 't1',
    fields: { seq: 3, direction: 1, at: AT.getTime(), opcode: 1, size: 4, payload: Buffer.from('hi'), truncated: false },
    bytes: 2,
    n: 1,
  });
  const before = Date.now();
  const late = makeWsOp('t', { ...msg(0, null), at: new Date(NaN) });
  assert.ok((late.fields.at as number) >= before);
  assert.equal(late.fields.payload, null);
  assert.equal(late.bytes, 0);
});

test('mergeOps leaves messages as they are, even beside a create of the same trace', () => {
  const ops = [makeOp('create', 't', { method: 'GET' }), makeWsOp('t', msg(0)), makeWsOp('t', msg(1)), makeOp('complete', 't', { status_code: 101 })];
  assert.deepEqual(mergeOps(ops).map((o) => [o.kind, o.id, o.fields.seq ?? o.fields.status_code]), [
    ['create', 't', 101],
    ['ws', 't', 0],
    ['ws', 't', 1],
  ]);
});

test('buildStatements: trace upserts, then one insert for the messages that ignores a repeat', () => {
  const sts = buildStatements([makeWsOp('t', msg(0)), makeOp('create', 't', { method: 'GET' }), makeWsOp('u', msg(1, null))]);
  assert.deepEqual(
    sts.map((s) => s.text),
    [
      'INSERT INTO "CCProxy_HttpTraces" (trace_id, method) VALUES ($1,$2) ON CONFLICT (trace_id) DO UPDATE SET method = EXCLUDED.method',
      'INSERT INTO "CCProxy_WebSocketMessages" (trace_id, seq, direction, at, opcode, size, payload, truncated) VALUES ($1,$2,$3,$4,$5,$6,$7,$8),($9,$10,$11,$12,$13,$14,$15,$16) ON CONFLICT (trace_id, seq) DO NOTHING',
    ],
  );
  assert.deepEqual(sts[1]!.values, ['t', 0, 1, '2026-11-23T12:00:00.123Z', 1, 4, Buffer.from('hi'), false, 'u', 1, 1, '2026-11-23T12:00:00.123Z', 1, 4, null, false]);
});

test('buildWsInserts splits a large batch under PostgreSQL\'s parameter limit', () => {
  const sts = buildWsInserts(Array.from({ length: 2500 }, (_, i) => makeWsOp('t', msg(i))), 1000);
  assert.deepEqual(sts.map((s) => s.rows), [1000, 1000, 500]);
  assert.equal(sts[0]!.values.length, 8000);
});

test('a spilled message is a line of kind "ws" and reads back identical', () => {
  const op = makeWsOp('t', msg(7, new Uint8Array([0, 255, 10])));
  const line = encodeOp(op);
  assert.equal(line, '{"k":"ws","id":"t","f":{"seq":7,"direction":1,"at":"2026-11-23T12:00:00.123Z","opcode":1,"size":4,"payload":"AP8K","truncated":false}}');
  assert.deepEqual(decodeOp(line), op);
});

test('planCopies: trace creates by column set and the messages go by COPY; completions as upserts', () => {
  const plan = planCopies(mergeOps([makeOp('create', 'a', { method: 'GET' }), makeWsOp('a', msg(0)), makeOp('complete', 'b', { status_code: 200 }), makeWsOp('b', msg(1))]));
  assert.deepEqual(
    plan.copies.map((c) => [c.target === TRACES_TARGET ? 'traces' : c.target === MESSAGES_TARGET ? 'messages' : '?', c.shape.cols, c.shape.rows.map((r) => r.id)]),
    [
      ['traces', ['method'], ['a']],
      ['messages', ['seq', 'direction', 'at', 'opcode', 'size', 'payload', 'truncated'], ['a', 'b']],
    ],
  );
  assert.deepEqual(plan.rest.map((r) => [r.kind, r.id]), [['complete', 'b']]);
});
