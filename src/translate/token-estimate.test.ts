import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { estimateInputTokens } from './token-estimate.js';

test('the estimate counts system, texts, tool calls and results, tool definitions, and a fixed amount per image', () => {
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(20);
  const plain = estimateInputTokens({ model: 'm', messages: [{ role: 'user', content: text }] });
  assert.ok(Math.abs(plain - countTokens(text) - 4) <= 1, `${plain} vs ${countTokens(text)}`);
  const more = estimateInputTokens({
    model: 'm',
    system: [{ type: 'text', text: 'You are an agent.' }],
    tools: [{ name: 'Bash', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }],
    messages: [
      { role: 'user', content: text },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'Bash', input: { command: 'ls -la /tmp' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'file1 file2' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'x' } }] }] },
    ],
  });
  assert.ok(more > plain + 1600 + 20, `${more}`);
});
