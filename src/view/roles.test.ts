import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claudeCodeSession, HAIKU, TASK_PROMPT } from '../../test/helpers/claude-code-session.js';
import { anthropicSse, SESSION_T0, sessionFlow } from '../../test/helpers/session-flows.js';
import { markRoles } from './roles.js';

test('a Claude Code session: the quota check and title are side calls, the Task subagent its own thread tied to the call', () => {
  const s = claudeCodeSession();
  const roles = markRoles(s.flows);
  // One mark per call: the forward children are folded into their reverse parents.
  assert.equal(roles.calls.length, 9);
  const mark = (id: string) => roles.calls.find((c) => c.traceId === id)!;
  assert.deepEqual(mark('m1').forwardTraceIds, ['m1-fwd']);
  assert.deepEqual(mark('quota').forwardTraceIds, []);
  assert.equal(mark('quota').role, 'side');
  assert.ok(mark('quota').sideKinds.includes('quota_check'));
  assert.equal(mark('title').role, 'side');
  assert.deepEqual(mark('title').sideKinds, ['title', 'small_model']);
  for (const id of s.main) assert.equal(mark(id).role, 'main', id);
  for (const id of s.subagent) assert.equal(mark(id).role, 'subagent', id);

  const main = roles.threads.find((t) => t.id === roles.mainThreadId)!;
  assert.deepEqual(main.callIds, s.main);
  assert.equal(main.kind, 'main');
  assert.deepEqual(main.tools, ['Task', 'Bash', 'Edit', 'Write', 'Read']);
  const agent = roles.threads.find((t) => t.kind === 'subagent')!;
  assert.deepEqual(agent.callIds, s.subagent);
  assert.equal(agent.model, HAIKU);
  assert.equal(agent.firstPrompt, TASK_PROMPT);
  assert.deepEqual(agent.startedBy, { traceId: 'm2', toolUseId: 'toolu_2', toolName: 'Task', description: 'Find usages', matchedBy: 'prompt_equal' });
  assert.notEqual(agent.signature, main.signature);
  assert.equal(roles.threads.length, 4);
  assert.deepEqual(roles.notes, []);
});

test('thread ids stay the same as the session grows', () => {
  const s = claudeCodeSession();
  const early = markRoles(s.flows.slice(0, 6));
  const late = markRoles(s.flows);
  assert.equal(early.mainThreadId, late.mainThreadId);
});

test('a conversation whose system prompt and tools change along the way stays one thread', () => {
  const req = (system: string, tools: string[], n: number) => ({ model: 'claude-sonnet-4-5', max_tokens: 100, system, tools: tools.map((name) => ({ name, input_schema: {} })), messages: [{ role: 'user', content: 'start' }, ...Array.from({ length: n }, (_, i) => ({ role: i % 2 ? 'user' : 'assistant', content: `m${i}` }))] });
  const flows = [req('Today is Monday', ['Task', 'Bash'], 0), req('Today is Tuesday', ['Task', 'Bash'], 2), req('Today is Tuesday', ['Task', 'Bash', 'mcp__db__query'], 4)].map((request, i) => sessionFlow({ id: `c${i}`, start: SESSION_T0 + i, request, response: '{}' }));
  const roles = markRoles(flows);
  assert.equal(roles.threads.length, 1);
  assert.deepEqual(roles.threads[0]!.callIds, ['c0', 'c1', 'c2']);
  assert.deepEqual(roles.calls.map((c) => c.role), ['main', 'main', 'main']);
});

test('after a compaction the main thread goes on in a new thread: the latest is the main one, both are main', () => {
  const req = (first: string, n: number) => ({ model: 'claude-sonnet-4-5', max_tokens: 100, system: 'cc', tools: [{ name: 'Bash', input_schema: {} }], messages: [{ role: 'user', content: first }, ...Array.from({ length: n }, (_, i) => ({ role: i % 2 ? 'user' : 'assistant', content: `m${i}` }))] });
  const bodies = [req('fix it', 0), req('fix it', 2), req('fix it', 4), req('Summary of the conversation so far', 0)];
  const roles = markRoles(bodies.map((request, i) => sessionFlow({ id: `c${i}`, start: SESSION_T0 + i, request, response: '{}' })));
  assert.deepEqual(roles.threads.map((t) => [t.kind, t.callIds]), [['main', ['c0', 'c1', 'c2']], ['main', ['c3']]]);
  assert.equal(roles.mainThreadId, roles.threads[1]!.id);
});

test('a prompt the subagent received inside a longer message is tied by containment', () => {
  const task = { model: 'claude-sonnet-4-5', max_tokens: 100, tools: [{ name: 'Agent', input_schema: {} }, { name: 'Bash', input_schema: {} }], system: 'main', messages: [{ role: 'user', content: 'go' }] };
  const answer = anthropicSse('claude-sonnet-4-5', [{ type: 'tool_use', id: 'toolu_a', name: 'Agent', input: { prompt: 'count the files' } }], { input_tokens: 1, output_tokens: 1 });
  const sub = { model: 'claude-sonnet-4-5', max_tokens: 100, tools: [{ name: 'Bash', input_schema: {} }], system: 'agent', messages: [{ role: 'user', content: 'Context first.\n\ncount the files' }] };
  const roles = markRoles([sessionFlow({ id: 'a', start: SESSION_T0, request: task, response: answer }), sessionFlow({ id: 'b', start: SESSION_T0 + 1000, request: sub, response: '{}' })]);
  const agent = roles.threads.find((t) => t.kind === 'subagent')!;
  assert.equal(agent.startedBy?.matchedBy, 'prompt_contained');
  assert.equal(agent.startedBy?.toolUseId, 'toolu_a');
  assert.equal(agent.startedBy?.traceId, 'a');
});

test('a session without tools: its conversation is the main thread, not a side call', () => {
  const req = (n: number) => ({ model: 'gpt-5.5', messages: [{ role: 'system', content: 'be brief' }, ...Array.from({ length: n }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `m${i}` }))] });
  const flows = [1, 3].map((n, i) => sessionFlow({ id: `c${i}`, start: SESSION_T0 + i, path: '/v1/chat/completions', request: req(n), response: { object: 'chat.completion', choices: [{ message: { role: 'assistant', content: 'ok' } }] } }));
  const roles = markRoles(flows);
  assert.deepEqual(roles.calls.map((c) => c.role), ['main', 'main']);
  assert.equal(roles.threads.length, 1);
});

test('bad input: bodies that are not JSON, flows that are not LLM calls, no flows at all', () => {
  assert.deepEqual(markRoles([]), { calls: [], threads: [], mainThreadId: null, notes: [] });
  const web = sessionFlow({ id: 'w', start: SESSION_T0, method: 'GET', path: '/index.html', request: null, response: '<html>' });
  const broken = sessionFlow({ id: 'x', start: SESSION_T0 + 1, request: '{"model": "claude', response: 'event: message_start\ndata: {' });
  const roles = markRoles([web, broken]);
  assert.equal(roles.calls.length, 1);
  assert.equal(roles.calls[0]!.role, 'side');
  assert.deepEqual(roles.calls[0]!.sideKinds, ['unreadable']);
  assert.match(roles.calls[0]!.reasons[0]!, /not JSON/);
  assert.equal(roles.mainThreadId, null);
  assert.deepEqual(roles.notes, ['every request is a side call: no main thread']);
});
