// Usage operations without a database: the flow's priced call maps to every column of the usage table, travels the
// spill (JSON lines) and the journal (binary frames) unchanged, passes merging as a whole row, and goes by COPY or
// as one insert that ignores a repeat (backfill's variant writes over an older row).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newFlow } from '../flow/flow.js';
import { emptyCall } from '../usage/call.js';
import { planCopies } from './copy.js';
import { usageRow } from './flow-row.js';
import { decodeFrames, encodeFrames } from './op-frames.js';
import { buildStatements, decodeOp, encodeOp, makeOp, makeUsageOp, mergeOps } from './ops.js';
import { INDEXED_EXTRACTION } from './migrations.js';
import { billedFixup, buildUsageInserts, EXTRACTOR_VERSION, USAGE_COLUMNS } from './usage-table.js';

function priced() {
  const call = emptyCall('anthropic-messages');
  call.requestedModel = 'claude-opus-4-8';
  call.servedModel = 'claude-opus-4-8';
  call.streamed = true;
  call.tokens = { input: 5, output: 7, cacheRead: 11, cacheWrite5m: 13, cacheWrite1h: 17, reasoning: null };
  call.toolCalls = ['Bash'];
  call.notes = ['a note'];
  return { call, cost: { usd: 0.5, priceEntry: 'p', reason: null, parts: { input: 0.1, output: 0.4, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, webSearch: 0 } } };
}

function flow() {
  const f = newFlow('t-1', 'forward');
  f.sessionId = 's-1';
  f.timing = { start: Date.UTC(2026, 10, 28, 12), end: null };
  return f;
}

test('a usage row sets every column of the table but extracted_at and billed, copying direction, session and start from the trace', () => {
  const row = usageRow(flow(), priced());
  assert.deepEqual(Object.keys(row).sort(), USAGE_COLUMNS.map((c) => c.name).filter((n) => n !== 'trace_id' && n !== 'extracted_at' && n !== 'billed').sort());
  assert.equal(row.proxy_direction, 1);
  assert.equal(row.session_id, 's-1');
  assert.equal(row.start_time, Date.UTC(2026, 10, 28, 12));
  assert.equal(row.cache_write_1h_tokens, 17);
  assert.equal(row.tool_calls, '["Bash"]');
  assert.equal(row.extractor, EXTRACTOR_VERSION);
});

test('a usage operation survives the spill line and the journal frame as it was', () => {
  const op = makeUsageOp('t-1', usageRow(flow(), priced()));
  assert.deepEqual(decodeOp(encodeOp(op)), op);
  assert.deepEqual(decodeFrames(encodeFrames([op])), [op]);
});

test('usage rows are not merged with the trace: COPY carries them (a new row), else one insert that ignores a repeat', () => {
  const ops = [makeOp('create', 't-1', { method: 'POST' }), makeOp('complete', 't-1', { status_code: 200 }), makeUsageOp('t-1', usageRow(flow(), priced()))];
  const merged = mergeOps(ops);
  assert.deepEqual(merged.map((o) => o.kind), ['create', 'usage']);
  const plan = planCopies(merged);
  assert.deepEqual(plan.rest.map((o) => o.kind), []);
  assert.deepEqual(plan.copies.map((c) => [c.target.table, c.shape.rows.map((r) => r.kind)]), [['"CCProxy_HttpTraces"', ['create']], ['"CCProxy_LlmUsage"', ['usage']]]);
  const insert = buildStatements(merged).find((s) => s.text.includes('"CCProxy_LlmUsage"'))!;
  assert.match(insert.text, /^INSERT INTO "CCProxy_LlmUsage" \(trace_id, proxy_direction, .*\) ON CONFLICT \(trace_id, call_seq\) DO NOTHING$/);
  assert.equal(insert.values[0], 't-1');
  assert.equal(insert.values[3], '2026-11-28T12:00:00.000Z', 'start_time as ISO text');
  const replace = buildUsageInserts(merged.filter((o) => o.kind === 'usage'), 500, true)[0]!;
  assert.match(replace.text, /DO UPDATE SET proxy_direction = EXCLUDED\.proxy_direction, .*extracted_at = CURRENT_TIMESTAMP$/);
});

test('the billed fix-up looks only for what another row could name: never a row whose request went on to no part of this process that links it', () => {
  const reverse = (id: string, unnamed: boolean) => makeUsageOp(id, { proxy_direction: 0, call_seq: 0 }, unnamed);
  const forward = (id: string, client: string | null, unnamed: boolean) => makeUsageOp(id, { proxy_direction: 1, call_seq: 0, client_trace_id: client }, unnamed);
  assert.equal(billedFixup([reverse('r1', true), reverse('r2', true), forward('f0', null, true)]), null, 'nothing to look for: no statement');
  // f1: a provider-side row naming its client's row; m1: a forward row map_remote sent to the gateway, which a
  // provider-side row may name.
  const fix = billedFixup([reverse('r1', true), reverse('r2', false), forward('f1', 'r3', true), forward('m1', null, false)])!;
  assert.deepEqual(fix.values, [['r2', 'm1'], ['r3']]);
  assert.doesNotMatch(fix.text, /proxy_direction/, 'a row of either direction may be the one named');
  const replayed = decodeOp(encodeOp(reverse('r1', true)));
  assert.equal(replayed.unnamed, undefined, 'a spilled row is looked for when replayed');
  assert.deepEqual(billedFixup([replayed])!.values, [['r1'], []]);
});

test('a new extractor version comes with a migration that indexes the rows older than it (backfillDue probes that index)', () => {
  assert.equal(INDEXED_EXTRACTION, EXTRACTOR_VERSION, 'add a migration with OLDER_EXTRACTION_INDEX_SQL(EXTRACTOR_VERSION) and set INDEXED_EXTRACTION');
});
