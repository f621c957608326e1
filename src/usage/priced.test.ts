// A call that failed before any token was counted costs nothing (not billed), where the failure says the provider
// billed nothing; one whose answer never came for another reason stays not priced.
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

test('no response because the request reached no provider: not billed; a timeout or a client gone: not priced', () => {
  const flow = (type: string) => {
    const f = llmFlow({ path: '/v1/messages', request, noResponse: true });
    f.error = { type, message: 'it failed' };
    return f;
  };
  assert.equal(priceFlow(flow('dns_failed'), book)!.cost.reason, 'not billed: the request reached no provider (dns_failed)');
  assert.equal(priceFlow(flow('connect_failed'), book)!.cost.usd, 0);
  for (const type of ['timeout', 'client_aborted', 'upstream_reset']) {
    const c = priceFlow(flow(type), book)!.cost;
    assert.equal(c.usd, null, type);
    assert.match(c.reason!, /not read in full/, type);
  }
});

test('an answer with usage is priced as it is, whatever its status', () => {
  const ok = priceFlow(llmFlow({ path: '/v1/messages', request, response: fixture('anthropic-message.json') }), book)!;
  assert.ok(ok.cost.usd! > 0);
  const odd = priceFlow(llmFlow({ path: '/v1/messages', request, status: 500, response: fixture('anthropic-message.json') }), book)!;
  assert.equal(odd.cost.usd, ok.cost.usd, 'tokens counted: billed');
});
