// The usage stage on flows built in one line (tflow.ts): an LLM call gets its tokens by kind and cost once the
// response has ended; other traffic is not read; a body that is not what the API sends gives notes, not a failure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../log.js';
import { PriceBook } from '../../usage/prices.js';
import { pricedCallsOf } from '../../usage/priced.js';
import { StageRunner } from '../run-stages.js';
import type { Capture } from '../stage.js';
import { STAGES } from '../stages.js';
import { tflow } from '../tflow.js';

const runner = new StageRunner(STAGES, silentLogger);
async function run(c: Capture): Promise<Capture> {
  for (const h of ['requestHeaders', 'requestBody', 'responseEnd', 'afterEnd'] as const) await runner.run(h, c);
  return c;
}

const request = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
const message = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [{ type: 'text', text: 'hello' }],
  stop_reason: 'end_turn',
  usage: { input_tokens: 10, output_tokens: 20, cache_read_input_tokens: 1000, cache_creation_input_tokens: 300, cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 } },
};

test('an Anthropic call gets its tokens by kind and its cost, priced with the capture point book', async () => {
  const book = new PriceBook({ 'claude-sonnet-4-5*': { input: 3, output: 15 } });
  const c = await run(tflow({ body: request, response: { body: JSON.stringify(message) }, settings: { priceBook: book } }));
  const priced = pricedCallsOf(c.flow)[0]!;
  assert.equal(priced.call.servedModel, 'claude-sonnet-4-5-20250929');
  assert.deepEqual(priced.call.tokens, { input: 10, output: 20, cacheRead: 1000, cacheWrite5m: 100, cacheWrite1h: 200, reasoning: null });
  // 10×3 + 20×15 + 1000×0.3 + 100×3.75 + 200×6, per million
  assert.equal(priced.cost.usd, (30 + 300 + 300 + 375 + 1200) / 1e6);
  assert.equal(priced.cost.priceEntry, 'ccproxy.prices:claude-sonnet-4-5*');
});

test('ccproxy.mitm.usage: false leaves the call unread (backfill reads it later)', async () => {
  const c = await run(tflow({ body: request, response: { body: JSON.stringify(message) }, settings: { usage: false } }));
  assert.equal(pricedCallsOf(c.flow)[0], undefined);
});

test('traffic that is not an LLM call is not read', async () => {
  const c = await run(tflow({ method: 'GET', host: 'example.com', path: '/', response: { body: '{"type":"message"}' } }));
  assert.equal(pricedCallsOf(c.flow)[0], undefined);
  const post = await run(tflow({ host: 'example.com', path: '/upload', body: '{"a":1}', response: { body: '{}' } }));
  assert.equal(pricedCallsOf(post.flow)[0], undefined);
});

test('a response that is not the API JSON gives a record with notes; the exchange keeps its body', async () => {
  const c = await run(tflow({ body: request, response: { body: '{"type":"mess' } }));
  const priced = pricedCallsOf(c.flow)[0]!;
  assert.equal(priced.cost.usd, null);
  assert.ok(priced.call.notes.some((n) => n.includes('not JSON')));
  assert.equal(Buffer.from(c.flow.response!.body!).toString(), '{"type":"mess');
});

test('a failed exchange without a response gets no record', async () => {
  const c = await run(tflow({ body: request, error: { type: 'upstream_connect', message: 'refused' } }));
  assert.equal(pricedCallsOf(c.flow)[0], undefined);
});
