// The flow ⇄ row mapping without a database: each moment sets its own columns, and together they are the row of
// the whole flow (the round trip through both databases is test/flow-row.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newFlow, type Flow } from '../flow/flow.js';
import { flowToRow, requestBodyRow, requestStartRow, responseEndRow, rowToFlow } from './flow-row.js';

const t0 = Date.UTC(2026, 10, 28, 9, 30);

function flow(): Flow {
  const f = newFlow('f-1', 'forward');
  Object.assign(f.request, { method: 'POST', url: 'https://h/p', host: 'h', path: '/p', headers: { a: '1' }, body: Buffer.from('{}'), bodySize: 2, contentType: 'application/json' });
  f.sessionId = 's';
  f.trafficType = 'llm';
  f.server = { address: '10.0.0.1', port: 443, https: true };
  f.response = { status: 200, headers: { b: '2' }, body: Buffer.from('ok'), bodySize: 2, bodyTruncated: false, contentType: 'text/plain' };
  f.timing = { start: t0, firstByte: t0 + 5, end: t0 + 9 };
  return f;
}

test('the moments of a flow set disjoint parts of its row, and together the whole row', () => {
  const f = flow();
  const start = requestStartRow(f);
  assert.equal(start.status_code, undefined, 'nothing of the response at the start');
  assert.equal(start.server_port, 443, 'a port known at the start goes in (failures before any connection)');
  const end = responseEndRow(f);
  assert.equal(end.request_headers, undefined);
  assert.deepEqual([end.duration_ms, end.ttfb_ms], [9, 5]);
  assert.deepEqual({ ...start, original_url: null, ...requestBodyRow(f), ...end }, flowToRow(f));
});

test('a row read back is the flow; a flow without a response reads back without one', () => {
  const f = flow();
  const row = { trace_id: f.id, ...flowToRow(f) };
  assert.deepEqual(rowToFlow(row), f);
  const failed = newFlow('f-2', 'reverse');
  failed.timing = { start: t0, end: t0 };
  failed.error = { type: 'bad_request', message: '400' };
  assert.deepEqual(rowToFlow({ trace_id: failed.id, ...flowToRow(failed) }), { ...failed, request: { ...failed.request, headers: {} } });
});
