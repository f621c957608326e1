import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, llmFlow } from '../../test/helpers/llm-flow.js';
import { emptyCall, type LlmCall } from './call.js';
import { fromClaude46, priceCall } from './cost.js';
import { pricesSchema } from './price-overrides.js';
import { PriceBook, TABLE } from './prices.js';
import { extractCall } from './extract.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const book = new PriceBook();

function anthropic(model: string, tokens: Partial<LlmCall['tokens']>, extra: Partial<LlmCall> = {}): LlmCall {
  const call = emptyCall('anthropic-messages');
  call.servedModel = model;
  call.tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: null, ...tokens };
  return Object.assign(call, extra);
}

test('1-hour cache writes at the 1-hour rate (2× input), 5-minute ones at 1.25×, reads at 0.1×; web search per request', () => {
  const call = extractCall(llmFlow({ path: '/v1/messages', request: { model: 'claude-opus-4-8', max_tokens: 10, messages: [] }, response: fixture('anthropic-message.json') }))!;
  const cost = priceCall(call, book, NOW);
  assert.equal(cost.priceEntry, `${TABLE}:anthropic/claude-opus-4-8`);
  assert.equal(cost.reason, null);
  // Opus 4.8: $5 input, $25 output per MTok.
  assert.deepEqual(cost.parts, { input: 0.010475, output: 0.012575, cacheRead: 0.006, cacheWrite5m: 0.00625, cacheWrite1h: 0.02, webSearch: 0.01 });
  assert.equal(cost.usd, 0.0653);
  const asIfAll5m = 0.0653 - 0.02 + 2000 * 6.25e-6;
  assert.notEqual(cost.usd, asIfAll5m, 'a 1-hour write is not priced at the 5-minute rate');
});

test('a session mixing two models and both TTLs adds up per call', () => {
  const opus = anthropic('claude-opus-4-8', { input: 3, output: 400, cacheRead: 20000, cacheWrite1h: 5000 });
  const haiku = anthropic('claude-haiku-4-5-20251001', { input: 300, output: 20, cacheWrite5m: 1000 });
  const a = priceCall(opus, book, NOW);
  const b = priceCall(haiku, book, NOW);
  assert.equal(a.usd, (3 * 5 + 400 * 25 + 20000 * 0.5 + 5000 * 10) / 1e6);
  assert.equal(b.usd, (300 * 1 + 20 * 5 + 1000 * 1.25) / 1e6);
  assert.equal(b.priceEntry, `${TABLE}:anthropic/claude-haiku-4-5`);
});

test('a long-context tier prices the whole request once the prompt, cached parts included, passes it', () => {
  // Sonnet 4.5: $3 / $15 up to 200k prompt tokens, $6 / $22.5 for the whole request above.
  const under = priceCall(anthropic('claude-sonnet-4-5-20250929', { input: 100_000, cacheRead: 100_000, output: 1000 }), book, NOW);
  assert.equal(under.usd, (100_000 * 3 + 100_000 * 0.3 + 1000 * 15) / 1e6);
  const over = priceCall(anthropic('claude-sonnet-4-5-20250929', { input: 100_000, cacheRead: 100_001, output: 1000 }), book, NOW);
  assert.equal(over.usd, (100_000 * 6 + 100_001 * 0.6 + 1000 * 22.5) / 1e6);
});

test('the default models of Claude Code and Gemini CLI have prices; OpenAI and Gemini price cached input', () => {
  for (const [api, model] of [['anthropic-messages', 'claude-opus-4-8'], ['gemini', 'gemini-2.5-pro'], ['gemini', 'gemini-2.5-flash'], ['openai-responses', 'gpt-5.5']] as const) {
    const call = emptyCall(api);
    call.servedModel = model;
    call.tokens = { input: 1000, output: 100, cacheRead: 1000, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 10 };
    const cost = priceCall(call, book, NOW);
    assert.ok(cost.usd !== null && cost.usd > 0, `${model}: ${cost.reason}`);
  }
});

test('no price, no guess: an unknown model, a service tier or fast mode the table does not price, usage not read', () => {
  const unknown = priceCall(anthropic('claude-nonexistent-9', { input: 10, output: 10 }), book, NOW);
  assert.equal(unknown.usd, null);
  assert.match(unknown.reason!, /no price for model claude-nonexistent-9/);
  const priority = priceCall(anthropic('claude-opus-4-8', { input: 10, output: 10 }, { serviceTier: 'priority' }), book, NOW);
  assert.equal(priority.usd, null);
  assert.match(priority.reason!, /service tier priority/);
  const fast = priceCall(anthropic('claude-opus-4-8', { input: 10, output: 10 }, { speed: 'fast' }), book, NOW);
  assert.equal(fast.usd, null);
  assert.match(fast.reason!, /fast mode/);
  const unread = priceCall(anthropic('claude-opus-4-8', { input: null }), book, NOW);
  assert.equal(unread.usd, null);
  const nameless = priceCall(emptyCall('openai-chat'), book, NOW);
  assert.equal(nameless.reason, 'no model named in the request or the response');
  const batch = priceCall(anthropic('claude-opus-4-8', { input: 1000, output: 1000 }, { serviceTier: 'batch' }), book, NOW);
  assert.equal(batch.usd, (1000 * 5 + 1000 * 25) / 2 / 1e6);
});

test('ccproxy.prices: overrides and additions per model, Anthropic cache rules filled in, prefix entries', () => {
  const overrides = pricesSchema.parse({
    'claude-opus-4-8': { input: 4, output: 20, fast_multiplier: 2 },
    'local-*': { provider: 'openai', input: 0.1, output: 0.2 },
  });
  const own = new PriceBook(overrides);
  const opus = priceCall(anthropic('claude-opus-4-8', { input: 1e6, output: 1e6, cacheWrite1h: 1e6, cacheWrite5m: 1e6, cacheRead: 1e6 }, { speed: 'fast' }), own, NOW);
  assert.equal(opus.priceEntry, 'ccproxy.prices:claude-opus-4-8');
  assert.equal(opus.usd, 2 * (4 + 20 + 8 + 5 + 0.4));
  const local = emptyCall('openai-chat');
  local.requestedModel = 'local-llama';
  local.tokens = { input: 1e6, output: 1e6, cacheRead: 1, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 };
  const c = priceCall(local, own, NOW);
  assert.equal(c.usd, null, 'cached tokens without a cache_read price');
  assert.match(c.reason!, /no cache read price/);
  assert.throws(() => pricesSchema.parse({ m: { input: 1, output: 1, cache_write: 2 } }), /cache_write/);
});

test('OpenAI cache writes (gpt-5.6) at the table\'s cache-write price, cached input at the cached price', () => {
  const call = extractCall(llmFlow({ host: 'api.openai.com', path: '/v1/responses', request: { model: 'gpt-5.6-sol', input: 'hi', stream: true }, response: fixture('openai-responses-stream.sse'), contentType: 'text/event-stream' }))!;
  const cost = priceCall(call, book, NOW);
  // Launched at $5 / $30, cut on 2026-08-21 (OpenAI's changelog): the entry names the dated price used.
  assert.equal(cost.priceEntry, `${TABLE}:openai/gpt-5.6-sol@2026-08-21`);
  // Since then: $4 input, $0.40 cached, $5 cache write (1.25×), $20 output per MTok.
  assert.deepEqual(cost.parts, { input: 404 * 4e-6, output: 300 * 20e-6, cacheRead: 4096 * 0.4e-6, cacheWrite5m: 500 * 5e-6, cacheWrite1h: 0, webSearch: 0 });
});

test('US-only inference costs 1.1× every token price from Claude Opus 4.6 and Sonnet 4.6 on, the standard price before', () => {
  const tokens = { input: 1000, output: 100, cacheRead: 2000, cacheWrite5m: 0, cacheWrite1h: 0 };
  const global = priceCall(anthropic('claude-opus-4-8', tokens, { inferenceGeo: 'global' }), book, NOW);
  const us = priceCall(anthropic('claude-opus-4-8', tokens, { inferenceGeo: 'us' }), book, NOW);
  assert.equal(global.usd, (1000 * 5 + 100 * 25 + 2000 * 0.5) / 1e6);
  assert.equal(us.usd, Math.round(((1000 * 5 + 100 * 25 + 2000 * 0.5) / 1e6) * 1.1 * 1e12) / 1e12);
  const haiku = priceCall(anthropic('claude-haiku-4-5-20251001', tokens, { inferenceGeo: 'us' }), book, NOW);
  assert.equal(haiku.usd, (1000 * 1 + 100 * 5 + 2000 * 0.1) / 1e6, 'Haiku 4.5 came before 4.6: standard rate');
  const eu = priceCall(anthropic('claude-opus-4-8', tokens, { inferenceGeo: 'eu' }), book, NOW);
  assert.deepEqual([eu.usd, eu.reason], [null, 'inference geo eu has prices of its own that the table does not hold']);
  assert.deepEqual(
    ['claude-opus-4-6', 'claude-sonnet-4-6', 'claude-opus-4-8', 'claude-opus-5', 'claude-opus-4-5-20251101', 'claude-haiku-4-5-20251001', 'claude-sonnet-4-20250514', 'claude-3-5-sonnet-20241022', 'claude-opus-4-1', 'some-model'].map(fromClaude46),
    [true, true, true, true, false, false, false, false, false, null],
  );
});
