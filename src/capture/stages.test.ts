// The capture stages on flows built in one line (tflow.ts), no sockets: what each stage derives or cleans,
// their order, and that a failing stage is skipped while the flow still reaches the sink.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import type { Flow } from '../flow/flow.js';
import type { FlowSink } from '../flow/sink.js';
import { silentLogger, type Logger } from '../log.js';
import { pricedCallsOf } from '../usage/priced.js';
import { recorder } from './recorder.js';
import { fingerprint } from './redact.js';
import { StageRunner } from './run-stages.js';
import type { Capture, Hook, Stage } from './stage.js';
import { STAGES } from './stages.js';
import { tflow } from './tflow.js';

const runner = new StageRunner(STAGES, silentLogger);
const hooks: Exclude<Hook, 'afterEnd'>[] = ['requestHeaders', 'requestBody', 'responseEnd'];
async function runAll(c: Capture, r = runner): Promise<Flow> {
  for (const h of hooks) await r.run(h, c);
  return c.flow;
}

/** A sink that keeps each call, with a copy of what the flow said then. */
function recordingSink() {
  const calls: { call: string; flow: Flow }[] = [];
  const keep = (call: string) => (flow: Flow) => calls.push({ call, flow: structuredClone(flow) });
  const sink: FlowSink = { requestStarted: keep('requestStarted'), requestEnded: keep('requestEnded'), responseStarted: keep('responseStarted'), responseEnded: keep('responseEnded') };
  return { sink, calls };
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setImmediate(r));
}

function countingLog() {
  const warns: string[] = [];
  const log: Logger = { ...silentLogger, warn: (m) => void warns.push(m), child: () => log };
  return { log, warns };
}

test('classify: the traffic type from host and path', async () => {
  assert.equal((await runAll(tflow())).trafficType, 'llm');
  assert.equal((await runAll(tflow({ host: 'example.com', path: '/' }))).trafficType, 'web');
  assert.equal((await runAll(tflow({ host: 'llm.internal', path: '/x', settings: { llmHosts: ['llm.internal'] } }))).trafficType, 'llm');
});

test('session: the header first, else the JSON body read before redaction', async () => {
  const body = JSON.stringify({ metadata: { user_id: JSON.stringify({ session_id: 'from-body' }) } });
  assert.equal((await runAll(tflow({ headers: { 'x-claude-code-session-id': 'from-header', 'content-type': 'application/json' }, body }))).sessionId, 'from-header');
  assert.equal((await runAll(tflow({ body }))).sessionId, 'from-body');
  assert.equal((await runAll(tflow({ body: '{"metadata":{"user_id":"u_x_account_y_session_z' }))).sessionId, null, 'a body that does not parse gives none');
  const escaped = '{"metadata":{"user\\u005fid":"{\\"session_id\\":\\"from-escaped\\"}"}}';
  assert.equal((await runAll(tflow({ body: escaped }))).sessionId, 'from-escaped', 'a name spelt with an escape is still read');
  assert.equal((await runAll(tflow({ body: JSON.stringify({ model: 'x', messages: [] }) }))).sessionId, null);
});

test('decode: an encoded body is stored decoded, bounded by the limit, with its wire size kept', async () => {
  const text = JSON.stringify({ hello: 'world'.repeat(100) });
  const gz = zlib.gzipSync(text);
  const f = await runAll(tflow({ response: { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gz } }));
  assert.equal(Buffer.from(f.response!.body!).toString(), text);
  assert.equal(f.response!.bodySize, gz.length);
  const cut = await runAll(tflow({ body: 'x'.repeat(50), settings: { bodyLimit: 10 } }));
  assert.deepEqual([Buffer.from(cut.request.body!).toString(), cut.request.bodySize, cut.request.bodyTruncated], ['x'.repeat(10), 50, true]);
  const off = await runAll(tflow({ body: 'secret stuff', response: { body: 'answer' }, settings: { captureBodies: false } }));
  assert.deepEqual([off.request.body, off.request.bodySize, off.response!.body], [null, 12, null]);
});

test('redact: credentials in headers, query, JSON bodies and error messages keep only fingerprints', async () => {
  const key = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz';
  const c = tflow({ path: `/v1/messages?key=${key}`, headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ api_key: key }), error: { type: 'upstream_reset', message: `failed with Bearer ${key}` } });
  const f = await runAll(c);
  assert.equal(f.request.headers['x-api-key'], fingerprint(key));
  assert.ok(!f.request.path!.includes(key) && !f.request.url!.includes(key));
  assert.ok(!Buffer.from(f.request.body!).toString().includes(key));
  assert.ok(!f.error!.message!.includes(key));
  const plain = await runAll(tflow({ headers: { 'x-api-key': key }, settings: { redact: false } }));
  assert.equal(plain.request.headers['x-api-key'], key, 'redact off stores headers as they came');
});

test('a stage that throws is skipped and logged once; the others run and the flow still reaches the sink', async () => {
  const boom: Stage = {
    name: 'boom',
    requestHeaders() {
      throw new Error('stage bug');
    },
    responseEnd: () => Promise.reject(new Error('async stage bug')),
  };
  const { log, warns } = countingLog();
  const stages = new StageRunner([boom, ...STAGES], log);
  const { sink, calls } = recordingSink();
  for (let i = 0; i < 2; i++) {
    const c = tflow({ response: { body: '{}' } });
    const record = recorder({ sink, stages, log }, c);
    for (const h of hooks) record(h);
  }
  await until(() => calls.length === 6);
  for (const id of new Set(calls.map((c) => c.flow.id))) {
    const mine = calls.filter((c) => c.flow.id === id);
    assert.deepEqual(mine.map((c) => c.call), ['requestStarted', 'requestEnded', 'responseEnded']);
    assert.equal(mine[0]!.flow.trafficType, 'llm', 'the stages after the failing one ran');
    assert.equal(mine[2]!.flow.response!.status, 200);
  }
  assert.equal(warns.length, 2, `one warning per failing hook, not per exchange: ${warns.join(' | ')}`);
});

test('when redaction fails, what it could not clean is dropped, not stored', async () => {
  const broken = { ...STAGES.find((s) => s.name === 'redact')!, requestHeaders: () => { throw new Error('no'); } };
  const stages = new StageRunner([...STAGES.filter((s) => s.name !== 'redact'), broken], silentLogger);
  const f = await runAll(tflow({ path: '/v1/messages?key=sk-secret', headers: { 'x-api-key': 'sk-secret' } }), stages);
  assert.deepEqual(f.request.headers, {});
  assert.equal(f.request.path, '/v1/messages');
});

test('the recorder keeps the moments in order while a body decodes off the event loop', async () => {
  const { sink, calls } = recordingSink();
  const c = tflow({ headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: zlib.gzipSync('{"a":1}'), response: { body: '{}' } });
  const record = recorder({ sink, stages: runner, log: silentLogger }, c);
  for (const h of hooks) record(h);
  assert.deepEqual(calls.map((x) => x.call), ['requestStarted'], 'the rest wait for the decode');
  await until(() => calls.length === 3);
  assert.deepEqual(calls.map((x) => x.call), ['requestStarted', 'requestEnded', 'responseEnded']);
  assert.equal(Buffer.from(calls[1]!.flow.request.body!).toString(), '{"a":1}');
});

test('the LLM call is read a turn after the response has ended, off its path, and reaches the sink last', async () => {
  const { sink, calls } = recordingSink();
  sink.responseRead = (flow) => calls.push({ call: 'responseRead', flow });
  const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
  const answer = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [{ type: 'text', text: 'hello' }], stop_reason: 'end_turn', usage: { input_tokens: 10, output_tokens: 20 } };
  const c = tflow({ headers: { 'content-type': 'application/json' }, body, response: { headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer) } });
  const record = recorder({ sink, stages: runner, log: silentLogger }, c);
  for (const h of hooks) record(h);
  assert.deepEqual(calls.map((x) => x.call), ['requestStarted', 'requestEnded', 'responseEnded'], 'handed over at once');
  assert.equal(pricedCallsOf(calls[2]!.flow).length, 0, 'not read yet when the flow is handed over');
  await until(() => calls.length === 4);
  assert.equal(calls[3]!.call, 'responseRead');
  assert.equal(pricedCallsOf(c.flow)[0]!.call.tokens.output, 20);
});

test('redact: a response stored at its head is not stored again at its end from the same headers; new headers are', async () => {
  const c = tflow({ response: { headers: { 'content-type': 'application/json', 'x-api-key': 'sk-secret-response' }, body: '{}' } });
  await runner.run('requestHeaders', c);
  await runner.run('responseHeaders', c);
  const atHead = c.flow.response!.headers;
  assert.notEqual(atHead['x-api-key'], 'sk-secret-response', 'fingerprinted');
  await runner.run('responseEnd', c);
  assert.equal(c.flow.response!.headers, atHead, 'the same stored object');
  c.responseHeaders = { 'content-type': 'application/json', 'x-extra': 'yes' };
  await runner.run('responseEnd', c);
  assert.notEqual(c.flow.response!.headers, atHead);
  assert.equal(c.flow.response!.headers['x-extra'], 'yes');
});
