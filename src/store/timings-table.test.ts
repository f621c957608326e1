// Timing operations without a database: they travel the spill (JSON lines) and the journal (binary frames)
// unchanged, pass merging and COPY planning as whole rows, and become one insert that ignores a repeat.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newFlow } from '../flow/flow.js';
import { planCopies } from './copy.js';
import { timingsRow } from './flow-row.js';
import { decodeFrames, encodeFrames } from './op-frames.js';
import { buildStatements, decodeOp, encodeOp, makeOp, makeTimingOp, mergeOps } from './ops.js';

const fields = { parent_trace_id: 'rev-1', dns_ms: null, connect_ms: 0.75, tls_ms: 10.5, request_sent_ms: 0.5, chunk_ms: '[1.5,2,30.125]', chunk_count: 3 };

test('a timing operation survives the spill line and the journal frame as it was', () => {
  const op = makeTimingOp('t-1', fields);
  assert.deepEqual(decodeOp(encodeOp(op)), op);
  assert.deepEqual(decodeFrames(encodeFrames([op])), [op]);
});

test('timing rows are neither merged with the trace nor copied: they become one insert that ignores a repeat', () => {
  const ops = [makeOp('create', 't-1', { method: 'GET' }), makeOp('complete', 't-1', { status_code: 200 }), makeTimingOp('t-1', fields)];
  const merged = mergeOps(ops);
  assert.deepEqual(merged.map((o) => o.kind), ['create', 'timing']);
  assert.deepEqual(planCopies(merged).rest.map((o) => o.kind), ['timing']);
  const statements = buildStatements(merged);
  const insert = statements.find((s) => s.text.includes('"CCProxy_TraceTimings"'))!;
  assert.match(insert.text, /^INSERT INTO "CCProxy_TraceTimings" \(trace_id, parent_trace_id, dns_ms, connect_ms, tls_ms, request_sent_ms, chunk_ms, chunk_count\) VALUES \(\$1,\$2,\$3,\$4,\$5,\$6,\$7,\$8\) ON CONFLICT \(trace_id\) DO NOTHING$/);
  assert.deepEqual(insert.values, ['t-1', 'rev-1', null, 0.75, 10.5, 0.5, '[1.5,2,30.125]', 3]);
});

test('a flow has a timings row only when it says something the trace row does not', () => {
  const f = newFlow('f', 'forward');
  assert.equal(timingsRow(f), null);
  f.timing.chunks = [3];
  f.timing.chunkCount = 1;
  assert.equal(timingsRow(f), null, 'one chunk: its time is the first byte');
  f.response = { status: 200, headers: {}, body: null, bodySize: 0, bodyTruncated: false, contentType: 'text/event-stream; charset=utf-8' };
  assert.deepEqual(timingsRow(f)?.chunk_ms, '[3]', "an event stream's one chunk: when its first token came");
  f.response.contentType = 'application/json';
  f.timing.chunkCount = 2;
  assert.deepEqual(timingsRow(f)?.chunk_count, 2);
  const linked = newFlow('g', 'forward');
  linked.parentId = 'rev-2';
  assert.deepEqual(timingsRow(linked), { parent_trace_id: 'rev-2', dns_ms: null, connect_ms: null, tls_ms: null, request_sent_ms: null, chunk_ms: null, chunk_count: null });
});
