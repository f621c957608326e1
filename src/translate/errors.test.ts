import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anthropicError } from './errors.js';

test('OpenAI 429 → rate_limit_error with the provider retry-after', () => {
  const e = anthropicError(429, JSON.stringify({ error: { message: 'Rate limit reached for gpt-4o', type: 'requests', param: null, code: 'rate_limit_exceeded' } }), '7', 'fast (OpenAI)');
  assert.equal(e.status, 429);
  assert.deepEqual(e.body, { type: 'error', error: { type: 'rate_limit_error', message: 'fast (OpenAI): Rate limit reached for gpt-4o' } });
  assert.equal(e.headers['retry-after'], '7');
  assert.equal(e.headers['x-should-retry'], 'true');
});

test("Gemini 429 RESOURCE_EXHAUSTED: retry-after from its RetryInfo; 503 → 529 overloaded_error; 500 → api_error", () => {
  const gemini = { error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '31s' }] } };
  const e = anthropicError(429, JSON.stringify(gemini), undefined, 'g');
  assert.equal(e.body.error.type, 'rate_limit_error');
  assert.equal(e.headers['retry-after'], '31');
  const o = anthropicError(503, JSON.stringify({ error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } }), undefined, 'g');
  assert.equal(o.status, 529);
  assert.equal(o.body.error.type, 'overloaded_error');
  assert.equal(anthropicError(529, 'busy', undefined, 'x').body.error.type, 'overloaded_error');
  const a = anthropicError(500, '<html>oops</html>', undefined, 'x');
  assert.equal(a.body.error.type, 'api_error');
  assert.equal(a.body.error.message, 'x: <html>oops</html>');
  assert.equal(anthropicError(400, '{"error":{"message":"bad"}}', undefined, 'x').headers['x-should-retry'], undefined);
});
