import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claudeCodeSession } from '../../test/helpers/claude-code-session.js';
import { SESSION_T0, sessionFlow } from '../../test/helpers/session-flows.js';
import { explainCacheMisses } from './cache-diff.js';
import { buildConversation } from './conversation.js';
import { pairDiff } from './pair-diff.js';
import { readPrompt } from './prompt.js';
import { markRoles } from './roles.js';

/** What the API serves is JSON: nothing may be lost or changed on the way (no undefined, Date, bytes). */
const roundTrips = (v: unknown) => assert.deepStrictEqual(JSON.parse(JSON.stringify(v)), v);

test('every output survives JSON as it is', () => {
  const s = claudeCodeSession();
  roundTrips(markRoles(s.flows));
  roundTrips(buildConversation(s.flows));
  roundTrips(explainCacheMisses(s.flows, [{ trace_id: 'm1', provider: 'anthropic', served_model: 'claude-sonnet-4-5', input_tokens: 5, cache_read_tokens: 0, cache_write_5m_tokens: 3000, cache_write_1h_tokens: 0 }]));
  roundTrips(pairDiff(s.flows.find((f) => f.id === 'm1')!, s.flows.find((f) => f.id === 'm1-fwd')!));
});

test('an unknown API shape is no LLM call: the views say so and return empty', () => {
  const odd = sessionFlow({ id: 'u', start: SESSION_T0, path: '/v1/unknown', request: { foo: [1, 2] }, response: { bar: true } });
  assert.deepEqual(markRoles([odd]).calls, []);
  assert.deepEqual(buildConversation([odd]).notes, ['the session has no LLM call whose API is known']);
  assert.deepEqual(explainCacheMisses([odd]).steps, []);
  const d = pairDiff(odd, { ...odd, id: 'v', direction: 'forward', parentId: 'u' });
  assert.deepEqual([d.api, d.model.changed, d.body.same], [{ before: null, after: null }, false, true]);
});

test('request bodies of the right API with fields of the wrong types are read as far as they go', () => {
  const junk = { model: 7, system: 12, tools: 'none', messages: [null, 3, { role: 5, content: 9 }, { role: 'user', content: [null, { type: 'tool_result' }, { type: 'mystery' }] }], max_tokens: 'x' };
  const a = readPrompt('anthropic-messages', junk);
  assert.deepEqual([a.tools, a.system, a.maxTokens, a.messages.length], [[], [], null, 2]);
  assert.deepEqual(a.messages[1]!.parts, [{ type: 'tool_result', id: null, name: null, text: '', isError: null }, { type: 'other', what: 'mystery' }]);
  const c = readPrompt('openai-chat', { messages: [{ role: 'assistant', tool_calls: [null, { function: { name: 'f', arguments: '{bad' } }] }] });
  assert.deepEqual(c.messages[0]!.parts, [{ type: 'tool_call', id: null, name: 'f', input: '{bad' }]);
  const r = readPrompt('openai-responses', { input: [7, { type: 'compaction' }, { role: 'user', content: 'hi' }] });
  assert.deepEqual(r.messages.map((m) => [m.role, m.parts[0]]), [['other', { type: 'other', what: 'compaction' }], ['user', { type: 'text', text: 'hi' }]]);
  const g = readPrompt('gemini', { contents: 'x', systemInstruction: { parts: 'y' }, tools: [{ googleSearch: {} }] });
  assert.deepEqual([g.messages, g.system, g.tools.map((t) => t.label)], [[], [], ['googleSearch']]);
  // Whole sessions of such bodies: no view throws.
  const flows = [sessionFlow({ id: 'j1', start: SESSION_T0, request: junk, response: 'event: message_start\ndata: {"type":"message_start"' }), sessionFlow({ id: 'j2', start: SESSION_T0 + 1, request: junk, response: '[]' })];
  assert.equal(markRoles(flows).calls.length, 2);
  assert.ok(Array.isArray(buildConversation(flows).items));
  assert.equal(explainCacheMisses(flows).steps.length, 2);
});
