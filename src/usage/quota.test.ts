import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseQuota, resetTime } from './quota.js';

test('Anthropic unified quota: 5h and 7d windows, status, reset as ISO, every header kept', () => {
  const q = parseQuota({
    'content-type': 'application/json',
    'anthropic-ratelimit-unified-status': 'allowed',
    'anthropic-ratelimit-unified-5h-status': 'allowed',
    'anthropic-ratelimit-unified-5h-utilization': '0.42',
    'anthropic-ratelimit-unified-5h-reset': '1790000000',
    'anthropic-ratelimit-unified-7d-status': 'allowed_warning',
    'anthropic-ratelimit-unified-7d-utilization': '0.8',
    'anthropic-ratelimit-unified-7d-reset': '2026-12-01T10:00:00Z',
    'anthropic-ratelimit-unified-representative-claim': 'five_hour',
    'anthropic-ratelimit-unified-overage-status': 'rejected',
    'anthropic-ratelimit-unified-reset': '1790000000',
  })!;
  assert.equal(q.unified!.status, 'allowed');
  assert.deepEqual(q.unified!.fiveHour, { utilization: 0.42, reset: new Date(1790000000 * 1000).toISOString(), status: 'allowed' });
  assert.deepEqual(q.unified!.sevenDay, { utilization: 0.8, reset: '2026-12-01T10:00:00.000Z', status: 'allowed_warning' });
  assert.equal(q.unified!.representativeClaim, 'five_hour');
  assert.equal(q.headers['anthropic-ratelimit-unified-overage-status'], 'rejected', 'a header not known yet is kept');
  assert.equal(q.headers['content-type'], undefined);
});

test('per-minute limits: OpenAI x-ratelimit-* and Anthropic anthropic-ratelimit-* by kind', () => {
  const q = parseQuota({
    'x-ratelimit-limit-requests': '10000',
    'x-ratelimit-remaining-requests': '9999',
    'x-ratelimit-reset-requests': '6ms',
    'x-ratelimit-limit-tokens': '30000000',
    'x-ratelimit-remaining-tokens': ['29999000'],
    'x-ratelimit-reset-tokens': '2ms',
    'anthropic-ratelimit-input-tokens-limit': '2000000',
    'anthropic-ratelimit-input-tokens-remaining': 'lots',
  })!;
  assert.deepEqual(q.limits.requests, { limit: 10000, remaining: 9999, reset: '6ms' });
  assert.deepEqual(q.limits.tokens, { limit: 30000000, remaining: 29999000, reset: '2ms' });
  assert.deepEqual(q.limits['input-tokens'], { limit: 2000000, remaining: null, reset: null });
  assert.equal(q.unified, null);
});

test('no quota headers: null; a reset that is neither a number nor a date: null', () => {
  assert.equal(parseQuota({ 'content-type': 'text/plain' }), null);
  assert.equal(parseQuota(null), null);
  assert.equal(resetTime('soon'), null);
  assert.equal(resetTime('1790000000000'), new Date(1790000000000).toISOString());
});
