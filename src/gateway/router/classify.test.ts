import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyAnswer, retryable, retryAfterOf } from './classify.js';

// Error bodies as the providers send them.
const OPENAI_CONTEXT = JSON.stringify({ error: { message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 tokens. Please reduce the length of the messages.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } });
const ANTHROPIC_CONTEXT = JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 208310 tokens > 200000 maximum' }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' });
const ANTHROPIC_CONTEXT_MAX = JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'input length and `max_tokens` exceed context limit: 198000 + 21333 > 200000, decrease input length or `max_tokens` and try again' } });
const GEMINI_CONTEXT = JSON.stringify({ error: { code: 400, message: 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).', status: 'INVALID_ARGUMENT' } });
const VLLM_CONTEXT = JSON.stringify({ object: 'error', message: "This model's maximum context length is 32768 tokens. However, you requested 40000 tokens (39000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.", type: 'BadRequestError', param: null, code: 400 });
const OPENAI_POLICY = JSON.stringify({ error: { message: 'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.', type: 'invalid_request_error', param: null, code: 'content_policy_violation' } });
const AZURE_POLICY = JSON.stringify({ error: { message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.", type: null, param: 'prompt', code: 'content_filter', status: 400 } });
const ANTHROPIC_POLICY = JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'Output blocked by content filtering policy' } });
const OPENAI_BAD = JSON.stringify({ error: { message: "Invalid value for 'temperature': must be between 0 and 2.", type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } });
const ANTHROPIC_OVERLOADED = JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
const OPENAI_429 = JSON.stringify({ error: { message: 'Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 2s.', type: 'tokens', param: null, code: 'rate_limit_exceeded' } });
const GEMINI_429 = JSON.stringify({ error: { code: 429, message: 'You exceeded your current quota, please check your plan and billing details.', status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' }] } });

test('context-window errors of each provider', () => {
  for (const body of [OPENAI_CONTEXT, ANTHROPIC_CONTEXT, ANTHROPIC_CONTEXT_MAX, GEMINI_CONTEXT, VLLM_CONTEXT]) assert.equal(classifyAnswer(400, body), 'context_window', body);
});

test('content-policy refusals of each provider', () => {
  for (const body of [OPENAI_POLICY, AZURE_POLICY, ANTHROPIC_POLICY]) assert.equal(classifyAnswer(400, body), 'content_policy', body);
});

test('status kinds: rate limit, overloaded, server, timeout; other 4xx are the client\'s', () => {
  assert.equal(classifyAnswer(429, OPENAI_429), 'rate_limit');
  assert.equal(classifyAnswer(529, ANTHROPIC_OVERLOADED), 'overloaded');
  assert.equal(classifyAnswer(503, ''), 'overloaded');
  assert.equal(classifyAnswer(500, '{"error":{"message":"internal"}}'), 'server');
  assert.equal(classifyAnswer(504, ''), 'timeout');
  assert.equal(classifyAnswer(400, OPENAI_BAD), 'client');
  assert.equal(classifyAnswer(401, JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } })), 'client');
  // A 500 that mentions the context is still the server's fault.
  assert.equal(classifyAnswer(500, OPENAI_CONTEXT), 'server');
  // The forward capture could not reach the provider.
  assert.equal(classifyAnswer(502, '{}', 'connect_failed'), 'connect');
  assert.equal(classifyAnswer(504, '{}', 'timeout'), 'timeout');
  assert.ok(['rate_limit', 'overloaded', 'server', 'timeout', 'connect'].every((k) => retryable(k as never)));
  assert.ok(!retryable('client') && !retryable('context_window') && !retryable('content_policy'));
});

test('retry-after: seconds, an HTTP date, retry-after-ms, Gemini\'s RetryInfo', () => {
  assert.equal(retryAfterOf({ 'retry-after': '7' }, ''), 7);
  assert.equal(retryAfterOf({ 'retry-after-ms': '1500', 'retry-after': '9' }, ''), 1.5);
  assert.equal(retryAfterOf({ 'retry-after': new Date(10_000).toUTCString() }, '', 4_000), 6);
  assert.equal(retryAfterOf({}, GEMINI_429), 37);
  assert.equal(retryAfterOf({}, OPENAI_429), null);
});

test('an Anthropic stream whose first event is an error is a failure of that kind', async () => {
  const { streamError } = await import('./exchange.js');
  assert.deepEqual(streamError(Buffer.from('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n')), { kind: 'overloaded', message: 'overloaded_error: Overloaded' });
  assert.deepEqual(streamError(Buffer.from('event: error\ndata: {"type":"error","error":{"type":"invalid_request_error","message":"bad"}}\n\n')), { kind: 'client', message: 'invalid_request_error: bad' });
  assert.equal(streamError(Buffer.from('event: message_start\ndata: {}\n\n')), null);
});
