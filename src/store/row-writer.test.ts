// The row writer's parts that need no database: which errors isolate a row, and what rejected.jsonl holds.
// Writing to a database is covered by the store contract on both backends.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../log.js';
import { newTally } from './counters.js';
import { makeOp, makeWsOp } from './ops.js';
import { describeError, isRowError, keepRejected, rejectedLine, what } from './row-writer.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

test('errors about a row (bad data, constraints, too large, wrong type) isolate it; others do not', () => {
  for (const code of ['22003', '22P02', '23505', '23502', '54000', '42804']) assert.equal(isRowError(pgError(code, 'x')), true, code);
  for (const code of ['08006', '57P01', '42P01', '53300', 'ECONNREFUSED', '']) assert.equal(isRowError(pgError(code, 'x')), false, code);
  assert.equal(isRowError(new Error('no code')), false);
});

test('describeError names the code when the message does not', () => {
  assert.equal(describeError(pgError('22003', 'value out of range')), 'value out of range [22003]');
  assert.equal(describeError(pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')), 'connect ECONNREFUSED 127.0.0.1:5432');
  assert.equal(describeError(new Error('plain')), 'plain');
  assert.equal(describeError('a string'), 'a string');
  assert.equal(describeError(null), 'null');
});

test('a rejected line holds the time, the error and the operation as the spill file would', () => {
  const op = makeOp('create', 'bad-1', { method: 'GET', server_port: 2 ** 40, request_body: Buffer.from([1, 2]) });
  const line = JSON.parse(rejectedLine(op, pgError('22003', 'integer out of range'), new Date(Date.UTC(2026, 0, 2))));
  assert.deepEqual(line, {
    at: '2026-01-02T00:00:00.000Z',
    error: 'integer out of range [22003]',
    op: { k: 'create', id: 'bad-1', f: { method: 'GET', server_port: 2 ** 40, request_body: 'AQI=' } },
  });
  const ws = makeWsOp('t', { seq: 3, direction: 1, at: new Date(0), opcode: 1, size: 2 ** 40, payload: null, truncated: false });
  assert.equal(what(ws), 'WebSocket message 3 of trace t');
  assert.equal(what(op), 'trace bad-1');
});

test('a refused operation is appended to the file and counted as failed; if the file cannot be written, as dropped too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ccproxy-rejected-'));
  const lines: string[] = [];
  const log = createLogger('writer', { write: (l) => lines.push(l) });
  try {
    const tally = newTally();
    const file = join(dir, 'sub', 'rejected.jsonl');
    const merged = makeOp('create', 'm', { method: 'GET' });
    merged.n = 2;
    keepRejected(merged, pgError('22003', 'out of range'), file, log, tally);
    keepRejected(makeOp('create', 'n', { method: 'PUT' }), pgError('23502', 'null value'), file, log, tally);
    assert.deepEqual(readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).op.id), ['m', 'n']);
    assert.deepEqual([tally.failed, tally.dropped], [3, 0]);
    assert.match(lines[0]!, /warn .*the database refused trace m \(out of range \[22003\]\); kept in .*rejected\.jsonl/);

    const blocked = join(dir, 'a-file');
    writeFileSync(blocked, '');
    keepRejected(makeOp('create', 'lost', { method: 'GET' }), pgError('22003', 'out of range'), join(blocked, 'rejected.jsonl'), log, tally);
    assert.deepEqual([tally.failed, tally.dropped], [4, 1]);
    assert.match(lines.at(-1)!, /error .*LOST trace lost: refused by the database \(out of range \[22003\]\) and .* cannot be written/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
