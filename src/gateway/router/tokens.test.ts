import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenTally } from './tokens.js';

const tally = (...chunks: string[]) => {
  const t = new TokenTally();
  for (const c of chunks) t.feed(Buffer.from(c));
  return t.total();
};

test('tokens of a JSON answer in each format', () => {
  assert.equal(tally('{"usage":{"input_tokens":10,"cache_read_input_tokens":90,"output_tokens":5}}'), 105);
  assert.equal(tally('{"usage":{"prompt_tokens":9,"completion_tokens":6,"total_tokens":15}}'), 15);
  assert.equal(tally('{"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":3,"totalTokenCount":7}}'), 7);
});

test('a stream counts each field once, at its largest (Anthropic repeats input_tokens and accumulates output_tokens)', () => {
  const ev = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
  assert.equal(tally(ev('message_start', { message: { usage: { input_tokens: 30, output_tokens: 1 } } }), ev('message_delta', { usage: { output_tokens: 12 } })), 42);
});
