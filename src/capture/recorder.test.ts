// A stop waits for what recorders still have on its way to the sink: a hook queued behind a stage that is still
// working reaches the sink before settleRecorders resolves, or is counted as still waiting when its time is up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Flow } from '../flow/flow.js';
import type { FlowSink } from '../flow/sink.js';
import { silentLogger } from '../log.js';
import { recorder, settleRecorders } from './recorder.js';
import { StageRunner } from './run-stages.js';
import type { Stage } from './stage.js';
import { tflow } from './tflow.js';

function sinkSeeing(seen: string[]): FlowSink {
  const note = (what: string) => (f: Flow) => void seen.push(`${what} ${f.id}`);
  return { requestStarted: note('start'), requestEnded: note('body'), responseStarted: note('head'), responseEnded: note('end') };
}

test('settleRecorders waits for a hand-over queued behind a stage still at work', async () => {
  const seen: string[] = [];
  const slow: Stage = { name: 'slow', requestBody: () => sleep(80) };
  const capture = tflow({ body: '{}', response: { status: 200, body: '{}' } });
  const record = recorder({ sink: sinkSeeing(seen), stages: new StageRunner([slow], silentLogger), log: silentLogger }, capture);
  record('requestHeaders');
  record('requestBody');
  record('responseEnd');
  assert.deepEqual(seen, [`start ${capture.flow.id}`], 'the end waits behind the body, whose stage is still at work');
  assert.equal(await settleRecorders(2_000), 0);
  assert.deepEqual(seen, [`start ${capture.flow.id}`, `body ${capture.flow.id}`, `end ${capture.flow.id}`]);
});

test('settleRecorders gives up after its time and says how many are still waiting', async () => {
  const seen: string[] = [];
  let release!: () => void;
  const stuck: Stage = { name: 'stuck', responseEnd: () => new Promise<void>((r) => (release = r)) };
  const capture = tflow({ response: { status: 200 } });
  const record = recorder({ sink: sinkSeeing(seen), stages: new StageRunner([stuck], silentLogger), log: silentLogger }, capture);
  record('responseEnd');
  assert.equal(await settleRecorders(30), 1);
  release();
  assert.equal(await settleRecorders(2_000), 0);
  assert.deepEqual(seen, [`end ${capture.flow.id}`]);
});
