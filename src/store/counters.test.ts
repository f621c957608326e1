// The counters' log line: printed when something changed, and always at the end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../log.js';
import { CounterLog, counterLine, newTally, type WriterCounters } from './counters.js';

test('the counter line names every counter', () => {
  const c: WriterCounters = { state: 'spilling', queued: 1, spillPending: 2, ...newTally(), written: 3, spilled: 4, replayed: 5, failed: 6, dropped: 7 };
  assert.equal(counterLine(c), 'queued=1 written=3 spilled=4 replayed=5 failed=6 dropped=7 spill_pending=2 state=spilling');
});

test('the counters are logged when they changed, and at the end whether or not they did', () => {
  const lines: string[] = [];
  const c: WriterCounters = { state: 'normal', queued: 0, spillPending: 0, ...newTally() };
  const log = new CounterLog(createLogger('writer', { debug: true, write: (l) => lines.push(l) }), () => c);
  log.write();
  log.write();
  c.written = 5;
  log.write();
  log.stop();
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /debug .*counters: queued=0 written=0 /);
  assert.match(lines[1]!, /counters: queued=0 written=5 /);
  const untimed = (l: string) => l.replace(/^\S+ /, '');
  assert.equal(untimed(lines[2]!), untimed(lines[1]!), 'the final line repeats the last');
});
