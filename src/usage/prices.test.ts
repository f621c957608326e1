// The bundled table's figures for the models people run today, checked against the providers' own price pages.
// When a new version of the table changes one of them, this fails: read the provider's page again and update the
// figure here with the date, or set the right price under ccproxy.prices.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PriceBook, TABLE, type Rate } from './prices.js';

const book = new PriceBook();
const AT = new Date('2026-11-28T00:00:00Z');

function rates(provider: 'anthropic' | 'openai' | 'google', model: string) {
  const found = book.lookup(provider, model, AT);
  assert.ok(found.entry, `${model}: ${'reason' in found ? found.reason : ''}`);
  return found.entry;
}

test('Anthropic: the pricing page (platform.claude.com/docs/en/about-claude/pricing, as checked 2026-11-28)', () => {
  // Model | base input | 5m cache writes | 1h cache writes | cache hits | output, USD per MTok.
  const page: Record<string, [number, number, number, number, number]> = {
    'claude-opus-4-8': [5, 6.25, 10, 0.5, 25],
    'claude-opus-4-7': [5, 6.25, 10, 0.5, 25],
    'claude-haiku-4-5-20251001': [1, 1.25, 2, 0.1, 5],
  };
  for (const [model, [input, w5m, w1h, read, output]] of Object.entries(page)) {
    const e = rates('anthropic', model);
    assert.deepEqual([e.rates.input, e.rates.cacheWrite5m, e.rates.cacheWrite1h, e.rates.cacheRead, e.rates.output], [input, w5m, w1h, read, output], model);
    assert.equal(e.webSearchPerRequest, 0.01, `${model}: web search $10 per 1,000 requests`);
  }
});

test('Gemini CLI 0.61\'s models (gemini-2.5-pro, gemini-2.5-flash): ai.google.dev/gemini-api/docs/pricing as transcribed 2026-09/10', () => {
  const tier = (base: number, over: number): Rate => ({ base, tiers: [{ start: 200_000, price: over }] });
  const pro = rates('google', 'gemini-2.5-pro');
  assert.deepEqual(pro.rates.input, tier(1.25, 2.5));
  assert.deepEqual(pro.rates.output, tier(10, 15));
  assert.deepEqual(pro.rates.cacheRead, tier(0.125, 0.25));
  const flash = rates('google', 'gemini-2.5-flash');
  assert.deepEqual([flash.rates.input, flash.rates.output, flash.rates.cacheRead], [0.3, 2.5, 0.03]);
});

test('the entry names the table\'s version and the model entry', () => {
  assert.match(TABLE, /^genai-prices@\d+\.\d+\.\d+$/);
  assert.equal(rates('anthropic', 'claude-opus-4-8').id, `${TABLE}:anthropic/claude-opus-4-8`);
  assert.equal(rates('openai', 'gpt-5.5-2026-04-23').id, `${TABLE}:openai/gpt-5.5`);
});

test('dated prices: the entry used names the date its price starts from, so an old cost can be reproduced', () => {
  const before = book.lookup('anthropic', 'claude-opus-4-6', new Date('2026-01-01T00:00:00Z')).entry!;
  const after = book.lookup('anthropic', 'claude-opus-4-6', new Date('2026-11-01T00:00:00Z')).entry!;
  assert.equal(before.id, `${TABLE}:anthropic/claude-opus-4-6`);
  assert.deepEqual(before.rates.input, { base: 5, tiers: [{ start: 200_000, price: 10 }] }, 'the long-context tier of the 1M beta');
  assert.equal(after.id, `${TABLE}:anthropic/claude-opus-4-6@2026-03-13`);
  assert.equal(after.rates.input, 5, 'flat across the 1M window since 2026-03-13');
});
