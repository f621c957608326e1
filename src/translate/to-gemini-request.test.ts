import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AnthropicRequest } from './anthropic.js';
import { geminiSchema } from './gemini-schema.js';
import { toGeminiRequest } from './to-gemini-request.js';

const base = (over: Partial<AnthropicRequest>): AnthropicRequest => ({ model: 'gemini-2.5-pro', max_tokens: 100000, messages: [{ role: 'user', content: 'hi' }], ...over });

test('system → systemInstruction without the billing header; turns → contents; tool calls and results paired by name', () => {
  const { body } = toGeminiRequest(base({
    system: [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.3; cch=1;' }, { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
    messages: [
      { role: 'user', content: 'list' },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'x', signature: 's' }, { type: 'text', text: 'ok' }, { type: 'tool_use', id: 'toolu_abc~c2lnbmF0dXJl', name: 'Bash', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_abc~c2lnbmF0dXJl', is_error: true, content: [{ type: 'text', text: 'denied' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAA=' } }] }, { type: 'text', text: 'why?' }] },
    ],
  }));
  assert.deepEqual(body.systemInstruction, { parts: [{ text: 'Be brief.' }] });
  assert.deepEqual(body.contents, [
    { role: 'user', parts: [{ text: 'list' }] },
    { role: 'model', parts: [{ text: 'ok' }, { functionCall: { id: 'abc', name: 'Bash', args: {} }, thoughtSignature: 'c2lnbmF0dXJl' }] },
    { role: 'user', parts: [{ functionResponse: { id: 'abc', name: 'Bash', response: { error: 'denied' } } }, { text: 'why?' }, { inlineData: { mimeType: 'image/png', data: 'AAA=' } }] },
  ]);
});

test('schemas sanitised for Gemini: $schema, const, propertyNames, additionalProperties, formats, type arrays', () => {
  const s = geminiSchema({
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: false,
    propertyNames: { pattern: '^[a-z]+$' },
    properties: {
      mode: { const: 'fast' },
      url: { type: 'string', format: 'uri' },
      when: { type: 'string', format: 'date-time' },
      maybe: { type: ['string', 'null'] },
      list: { type: 'array' },
      n: { type: 'integer', exclusiveMinimum: 0, enum: [1, 2] },
    },
    required: ['mode', 'gone'],
  });
  assert.deepEqual(s, {
    type: 'object',
    properties: {
      mode: { enum: ['fast'], type: 'string' },
      url: { type: 'string' },
      when: { type: 'string', format: 'date-time' },
      maybe: { nullable: true, type: 'string' },
      list: { type: 'array', items: { type: 'string' } },
      n: { enum: ['1', '2'], type: 'string' },
    },
    required: ['mode'],
  });
});

test('web search maps to Google Search alone; with function tools it is dropped with a warning, and a forced choice on it removed', () => {
  assert.deepEqual(toGeminiRequest(base({ tools: [{ type: 'web_search_20250305', name: 'web_search' }] })).body.tools, [{ googleSearch: {} }]);
  const { body, warnings } = toGeminiRequest(base({ tools: [{ type: 'web_search_20250305', name: 'web_search' }, { name: 'Bash', input_schema: { type: 'object', properties: {} } }], tool_choice: { type: 'tool', name: 'web_search' } }));
  assert.deepEqual(body.tools, [{ functionDeclarations: [{ name: 'Bash' }] }], 'no parameters: none sent');
  assert.ok(!('toolConfig' in body));
  assert.equal(warnings.length, 2);
});

test('tool_choice any/tool/none → ANY / ANY with allowedFunctionNames / NONE', () => {
  const tools = [{ name: 'Bash', input_schema: { type: 'object' } }];
  const cfg = (tool_choice: AnthropicRequest['tool_choice']) => toGeminiRequest(base({ tools, tool_choice })).body.toolConfig;
  assert.deepEqual(cfg({ type: 'any' }), { functionCallingConfig: { mode: 'ANY' } });
  assert.deepEqual(cfg({ type: 'none' }), { functionCallingConfig: { mode: 'NONE' } });
  assert.deepEqual(cfg({ type: 'tool', name: 'Bash' }), { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['Bash'] } });
});

test('max_tokens clamped; the thinking budget kept below it; thinking disabled sends no thinkingConfig; unknown fields dropped', () => {
  const on = toGeminiRequest(base({ model: 'gemini-2.0-flash', thinking: { type: 'enabled', budget_tokens: 10000 }, context_management: {}, metadata: { user_id: 'u' } })).body;
  assert.deepEqual(on.generationConfig, { maxOutputTokens: 8192, thinkingConfig: { thinkingBudget: 8191, includeThoughts: true } });
  assert.deepEqual(Object.keys(on).sort(), ['contents', 'generationConfig']);
  const off = toGeminiRequest(base({ thinking: { type: 'disabled' }, output_config: { effort: 'high' } })).body;
  assert.deepEqual(off.generationConfig, { maxOutputTokens: 65536 });
});

test('Gemini 3: a replayed call without a signature carries the documented placeholder; a signed one keeps its own', () => {
  const messages: AnthropicRequest['messages'] = [{ role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_plain', name: 'Bash', input: {} }, { type: 'tool_use', id: 'toolu_x~c2ln', name: 'Bash', input: {} }] }];
  const parts = (m: string) => (toGeminiRequest(base({ model: m, messages })).body.contents as { parts: Record<string, unknown>[] }[])[1]!.parts.map((p) => p.thoughtSignature);
  assert.deepEqual(parts('gemini-3-pro-preview'), ['skip_thought_signature_validator', 'c2ln']);
  assert.deepEqual(parts('gemini-2.5-flash'), [undefined, 'c2ln']);
});
