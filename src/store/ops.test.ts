import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildUpserts, decodeOp, encodeOp, makeOp, mergeOps } from './ops.js';

test('makeOp converts capture values to what PostgreSQL takes', () => {
  const op = makeOp('create', 'id\u0000', {
    start_time: new Date('2026-01-02T03:04:05.678Z'),
    request_headers: { a: 'x\u0000y' },
    request_body: new Uint8Array([1, 2, 3]),
    method: 'GE\u0000T',
    is_https: true,
    server_port: 443,
    session_id: null,
    // @ts-expect-error: unknown columns are ignored, never sent
    not_a_column: 'x',
  });
  assert.equal(op.id, 'id');
  assert.deepEqual(op.fields, {
    start_time: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    request_headers: '{"a":"xy"}',
    request_body: Buffer.from([1, 2, 3]),
    method: 'GET',
    is_https: true,
    server_port: 443,
    session_id: null,
  });
  assert.equal(op.bytes, 3);
});

test('mergeOps folds a create and its completion into one row, later values winning', () => {
  const merged = mergeOps([
    makeOp('create', 'a', { method: 'GET', status_code: null }),
    makeOp('create', 'b', { method: 'PUT' }),
    makeOp('complete', 'a', { status_code: 200 }),
  ]);
  assert.deepEqual(merged.map((o) => [o.id, o.fields]), [
    ['a', { method: 'GET', status_code: 200 }],
    ['b', { method: 'PUT' }],
  ]);
});

test('buildUpserts: one statement per column set; a null on a defaulted column is left out', () => {
  const sts = buildUpserts(
    mergeOps([
      makeOp('create', 'a', { method: 'GET', traffic_type: null }),
      makeOp('create', 'b', { method: 'PUT', traffic_type: 'llm' }),
      makeOp('create', 'd', { method: 'POST', traffic_type: 'web' }),
      makeOp('complete', 'c', { status_code: 500 }),
    ]),
  );
  assert.deepEqual(
    sts.map((s) => [s.text, s.values]),
    [
      ['INSERT INTO "CCProxy_HttpTraces" (trace_id, method) VALUES ($1,$2) ON CONFLICT (trace_id) DO UPDATE SET method = EXCLUDED.method', ['a', 'GET']],
      [
        'INSERT INTO "CCProxy_HttpTraces" (trace_id, method, traffic_type) VALUES ($1,$2,$3),($4,$5,$6) ON CONFLICT (trace_id) DO UPDATE SET method = EXCLUDED.method, traffic_type = EXCLUDED.traffic_type',
        ['b', 'PUT', 'llm', 'd', 'POST', 'web'],
      ],
      ['INSERT INTO "CCProxy_HttpTraces" (trace_id, status_code) VALUES ($1,$2) ON CONFLICT (trace_id) DO UPDATE SET status_code = EXCLUDED.status_code', ['c', 500]],
    ],
  );
  // The same shape and size again: the same text (built once).
  assert.equal(buildUpserts([makeOp('create', 'e', { method: 'GET' })])[0]!.text, sts[0]!.text);
});

test('a spilled operation reads back identical, bytes and timestamps included', () => {
  const op = makeOp('complete', 't', { response_body: Buffer.from([0, 255, 10, 13]), status_code: 200, response_headers: { 'x-a': '1' }, end_time: new Date('2026-01-02T03:04:05.678Z') });
  const line = encodeOp(op);
  assert.equal(line.includes('"end_time":"2026-01-02T03:04:05.678Z"'), true, 'the spill file keeps timestamps readable');
  assert.deepEqual(decodeOp(line), op);
  assert.equal(line.includes('\n'), false);
});

test('upserts send timestamps as ISO text in UTC, whether they came as milliseconds or as text from an older spill', () => {
  const [st] = buildUpserts([makeOp('create', 'a', { start_time: new Date('2026-01-02T03:04:05.678Z') }), { kind: 'create', id: 'b', fields: { start_time: '2026-01-02T03:04:06.000Z' }, bytes: 0, n: 1 }]);
  assert.deepEqual(st!.values, ['a', '2026-01-02T03:04:05.678Z', 'b', '2026-01-02T03:04:06.000Z']);
  assert.equal(makeOp('create', 'c', { start_time: new Date(NaN) }).fields.start_time, null, 'an invalid date is no value, not a failed batch');
});

test('makeOp: a headers object written twice (a response head, then its end) gives the same JSON; another object its own', () => {
  const headers = { 'content-type': 'application/json', 'x-n': '1' };
  const head = makeOp('complete', 't', { response_headers: headers });
  const end = makeOp('complete', 't', { response_headers: headers, status_code: 200 });
  assert.equal(head.fields.response_headers, '{"content-type":"application/json","x-n":"1"}');
  assert.equal(end.fields.response_headers, head.fields.response_headers);
  assert.equal(makeOp('complete', 't', { response_headers: { 'x-n': '2' } }).fields.response_headers, '{"x-n":"2"}');
  assert.equal(makeOp('create', 't', { request_headers: headers }).fields.request_headers, head.fields.response_headers);
});
