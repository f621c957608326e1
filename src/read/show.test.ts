import assert from 'node:assert/strict';
import { test } from 'node:test';
import { llmFlow } from '../../test/helpers/llm-flow.js';
import { renderTrace } from './show.js';

const call = (seq: number, cost: number | null) => ({ call_seq: seq, api: 'openai-responses', requested_model: 'gpt-5.5', input_tokens: 10, output_tokens: 5, cost_usd: cost, start_time: `2026-11-01T09:00:0${seq}.000` });

test('show: one call is its usage block; a WebSocket with several lists each turn and their total', () => {
  const up = llmFlow({ method: 'GET', host: 'api.openai.com', path: '/v1/responses', status: 101, response: null });
  const one = renderTrace({ flow: up, usage: call(0, 0.5), calls: [call(0, 0.5)] });
  assert.match(one, /\nUsage:\n {2}api +openai-responses/);
  assert.doesNotMatch(one, /Call 1/);
  const three = renderTrace({ flow: up, usage: call(0, 0.5), calls: [call(0, 0.5), call(1, 0.25), call(2, 0.25)] });
  assert.match(three, /Usage: 3 calls on this connection, \$1\.0+ in all/);
  assert.match(three, /Call 2 at 2026-11-01T09:00:01\.000:/);
  const unpriced = renderTrace({ flow: up, usage: call(0, 0.5), calls: [call(0, 0.5), call(1, null)] });
  assert.match(unpriced, /2 calls on this connection, - \(not every call priced\) in all/);
});

test('show: times and rates as people read them, the request body sent among the timings', () => {
  const f = llmFlow({ path: '/v1/messages', request: { model: 'm' }, response: { ok: true }, start: 1_000, end: 1_250 });
  f.timing.connection = { dnsMs: null, connectMs: 1.2928430000010849, tlsMs: 12.6 };
  f.timing.requestSent = 3.456;
  const text = renderTrace({ flow: f, usage: null, calls: [{ ...call(0, 0.5), output_tokens_per_second: 196.72131147540983, ttft_ms: 19.04 }] });
  assert.match(text, /connection +dns -, connect 1\.29ms, tls 13ms/);
  assert.match(text, /sent +3\.46ms \(the request's body passed on\)/);
  assert.match(text, /output_tokens_per_second +196\.7\n/);
  assert.match(text, /ttft_ms +19\n/);
});
