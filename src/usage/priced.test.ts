// A call answered with an error status before any token was counted costs nothing (not billed); one with tokens
// is priced whatever its status.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, llmFlow } from '../../test/helpers/llm-flow.js';
import { priceFlow } from './priced.js';
import { PriceBook } from './prices.js';

const book = new PriceBook();
const request = { model: 'claude-opus-4-8', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };
const errorBody = { type: 'error', error: { type: 'api_error', message: 'upstream connect error' } };

test('an error status with no tokens: cost 0, not billed, whatever the model (an alias with no price too)', () => {
  for (const model of ['claude-opus-4-8', 'deadmodel']) {
    const p = priceFlow(llmFlow({ path: '/v1/messages', request: { ...request, model }, status: 502, response: errorBody }), book)!;
    assert.deepEqual(p.cost, { usd: 0, priceEntry: null, reason: 'not billed: the request failed with status 502', parts: null });
  }
});

test('an answer with usage is priced as it is, whatever its status', () => {
  const ok = priceFlow(llmFlow({ path: '/v1/messages', request, response: fixture('anthropic-message.json') }), book)!;
  assert.ok(ok.cost.usd! > 0);
  const odd = priceFlow(llmFlow({ path: '/v1/messages', request, status: 500, response: fixture('anthropic-message.json') }), book)!;
  assert.equal(odd.cost.usd, ok.cost.usd, 'tokens counted: billed');
});
