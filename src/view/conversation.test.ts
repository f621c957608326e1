import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claudeCodeSession, PROMPT, TASK_PROMPT, TEST_OUTPUT } from '../../test/helpers/claude-code-session.js';
import { fixture } from '../../test/helpers/llm-flow.js';
import { anthropicSse, SESSION_T0, sessionFlow } from '../../test/helpers/session-flows.js';
import { buildConversation, type ConversationItem, type ToolCallItem } from './conversation.js';
import { markRoles } from './roles.js';

const kinds = (items: ConversationItem[]) => items.map((i) => i.kind);

test('a Claude Code session: turns, thinking, tool calls with their results, each from the trace it came from', () => {
  const s = claudeCodeSession();
  const c = buildConversation(s.flows);
  assert.equal(c.api, 'anthropic-messages');
  assert.equal(c.historyTraceId, 'm5');
  assert.match(c.system, /^x-anthropic-billing-header/);
  assert.deepEqual(c.tools, ['Task', 'Bash', 'Edit', 'Write', 'Read']);
  assert.deepEqual(kinds(c.items), ['system', 'user', 'thinking', 'assistant', 'tool_call', 'tool_call', 'tool_call', 'tool_call', 'system', 'assistant']);
  const [reminder, user, thinking, said, bash, task, edit, test2, env, final] = c.items as [ConversationItem, ...ConversationItem[]];
  assert.match((reminder as { text: string }).text, /^<system-reminder>/);
  assert.deepEqual(user, { kind: 'user', traceId: 'm1', source: 'request', text: PROMPT });
  // The first answer came back from m1 and was first carried by m2.
  assert.deepEqual(thinking, { kind: 'thinking', traceId: 'm1', source: 'response', text: 'Look at the file first.', redacted: false });
  assert.equal(said!.traceId, 'm1');
  const b = bash as ToolCallItem;
  assert.equal(b.name, 'Bash');
  assert.deepEqual(b.result, { traceId: 'm2', text: 'const x = 1', isError: false, length: 11, lines: 1, foldable: false });
  assert.deepEqual(b.view, { kind: 'bash', command: 'cat app.ts', description: 'Show app.ts', output: 'const x = 1', exitCode: null, isError: false });
  const t = task as ToolCallItem;
  assert.equal(t.traceId, 'm2');
  assert.equal(t.source, 'response');
  assert.deepEqual(t.input, { description: 'Find usages', prompt: TASK_PROMPT, subagent_type: 'Explore' });
  assert.equal(t.result?.text, 'x is used in app.ts:1');
  const roles = markRoles(s.flows);
  assert.equal(t.subagentThreadId, roles.threads.find((x) => x.kind === 'subagent')!.id);
  const e = edit as ToolCallItem;
  assert.equal(e.view?.kind, 'edit');
  if (e.view?.kind === 'edit') {
    assert.equal(e.view.path, '/repo/app.ts');
    assert.match(e.view.diff, /^-const x = 1$/m);
    assert.match(e.view.diff, /^\+const x = 2$/m);
    assert.equal(e.view.added, 1);
    assert.equal(e.view.removed, 1);
    assert.equal(e.view.wholeFile, false);
  }
  const failing = test2 as ToolCallItem;
  assert.deepEqual({ ...failing.view, output: undefined }, { kind: 'bash', command: 'npm test', description: 'Run the tests', output: undefined, exitCode: 1, isError: true });
  assert.equal(failing.result?.foldable, true);
  assert.equal(failing.result?.lines, 61);
  assert.equal(failing.result?.length, TEST_OUTPUT.length);
  // Claude Code's trailing system message, then the last answer.
  assert.deepEqual(env, { kind: 'system', traceId: 'm5', source: 'request', text: 'gitStatus: clean' });
  assert.deepEqual(final, { kind: 'assistant', traceId: 'm5', source: 'response', text: 'The tests fail; here is why.' });
  assert.equal(c.threads.length, 4);
  assert.deepEqual(c.notes, []);
});

test('a subagent thread by its id: its own prompt, calls and answer', () => {
  const s = claudeCodeSession();
  const roles = markRoles(s.flows);
  const agent = roles.threads.find((t) => t.kind === 'subagent')!;
  const c = buildConversation(s.flows, [], { threadId: agent.id });
  assert.equal(c.historyTraceId, 's2');
  assert.deepEqual(kinds(c.items), ['user', 'tool_call', 'assistant']);
  assert.equal((c.items[1] as ToolCallItem).result?.text, 'app.ts:1');
  assert.equal(buildConversation(s.flows, [], { threadId: 'nope' }).notes[0], 'no thread nope in this session');
});

test('a stream cut midway: what arrived, and a note', () => {
  const req = { model: 'claude-sonnet-4-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] };
  const cut = anthropicSse('claude-sonnet-4-5', [{ type: 'text', text: 'Hello there, friend' }, { type: 'tool_use', id: 't', name: 'Bash', input: { command: 'ls' } }], { input_tokens: 1, output_tokens: 1 }, { cutAfterEvents: 5 });
  const c = buildConversation([sessionFlow({ id: 'one', start: SESSION_T0, request: req, response: cut })]);
  assert.deepEqual(kinds(c.items), ['user', 'assistant']);
  assert.equal((c.items[1] as { text: string }).text, 'Hello there, friend');
  assert.deepEqual(c.notes, ['the last request (one): the answer stream was cut midway: the answer is what arrived']);
});

test('bad input: not JSON, an error answer, nothing at all', () => {
  assert.deepEqual(buildConversation([]).notes, ['the session has no LLM call whose API is known']);
  const notJson = buildConversation([sessionFlow({ id: 'x', start: SESSION_T0, request: 'not json', response: 'nor this' })]);
  assert.deepEqual(notJson.items, []);
  assert.match(notJson.notes.join('\n'), /no main thread/);
  const failed = buildConversation([sessionFlow({ id: 'e', start: SESSION_T0, request: { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, status: 529, response: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } })]);
  assert.deepEqual(kinds(failed.items), ['user']);
  assert.deepEqual(failed.notes, ['the last request (e): the provider answered 529']);
  const dropped = buildConversation([sessionFlow({ id: 'd', start: SESSION_T0, request: { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, error: { type: 'upstream_error', message: 'reset' } })]);
  assert.deepEqual(dropped.notes, ['the last request (d): no response: upstream_error (reset)']);
});

test('OpenAI chat: tool calls matched to tool messages by id, the SSE answer assembled', () => {
  const body = {
    model: 'gpt-5.5',
    stream: true,
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: {} } }],
    messages: [
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
    ],
  };
  const c = buildConversation([sessionFlow({ id: 'o', start: SESSION_T0, path: '/v1/chat/completions', host: 'api.openai.com', request: body, response: fixture('openai-chat-stream.sse').toString() })]);
  assert.equal(c.api, 'openai-chat');
  assert.equal(c.system, 'You are helpful.');
  assert.deepEqual(kinds(c.items), ['user', 'tool_call', 'assistant', 'tool_call']);
  const first = c.items[1] as ToolCallItem;
  assert.deepEqual(first.input, { location: 'Paris' });
  assert.equal(first.result?.text, 'sunny');
  assert.equal((c.items[3] as ToolCallItem).id, 'call_DdmO9pD3xa9XTPNJ32zg2hcA');
});

test('Responses (Codex): instructions, a shell call with its JSON output and exit code, the answer', () => {
  const body = {
    model: 'gpt-5.5-codex',
    instructions: 'You are Codex.',
    tools: [{ type: 'function', name: 'shell', parameters: {} }],
    input: [
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<permissions>' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'list files' }] },
      { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Run ls.' }], encrypted_content: 'gAAA' },
      { type: 'function_call', call_id: 'call_s', name: 'shell', arguments: JSON.stringify({ command: ['bash', '-lc', 'ls -la'], workdir: '/repo' }) },
      { type: 'function_call_output', call_id: 'call_s', output: JSON.stringify({ output: 'a.txt\n', metadata: { exit_code: 2, duration_seconds: 0.1 } }) },
    ],
    stream: true,
  };
  const c = buildConversation([sessionFlow({ id: 'r', start: SESSION_T0, path: '/v1/responses', host: 'api.openai.com', request: body, response: fixture('openai-responses-stream.sse').toString() })]);
  assert.equal(c.api, 'openai-responses');
  assert.equal(c.system, 'You are Codex.');
  assert.deepEqual(kinds(c.items).slice(0, 4), ['system', 'user', 'thinking', 'tool_call']);
  const shell = c.items[3] as ToolCallItem;
  assert.deepEqual(shell.view, { kind: 'bash', command: 'ls -la', description: null, output: 'a.txt\n', exitCode: 2, isError: true });
  assert.ok(c.items.length > 4, 'the answer follows');
});

test('Gemini: function responses matched by name, thoughts as thinking, the answer from the stream', () => {
  const body = {
    systemInstruction: { parts: [{ text: 'You are Gemini CLI.' }] },
    tools: [{ functionDeclarations: [{ name: 'run_shell_command' }, { name: 'write_file' }] }],
    contents: [
      { role: 'user', parts: [{ text: 'make a file' }] },
      { role: 'model', parts: [{ text: 'plan', thought: true }, { functionCall: { name: 'write_file', args: { file_path: 'a.txt', content: 'one\ntwo\n' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'write_file', response: { output: 'Wrote a.txt' } } }] },
      { role: 'model', parts: [{ functionCall: { name: 'run_shell_command', args: { command: 'cat a.txt' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'run_shell_command', response: { output: 'Command: cat a.txt\nStdout: one\nExit Code: 0' } } }] },
    ],
  };
  const c = buildConversation([sessionFlow({ id: 'g', start: SESSION_T0, host: 'generativelanguage.googleapis.com', path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', request: body, response: fixture('gemini-stream.sse').toString() })]);
  assert.equal(c.api, 'gemini');
  assert.equal(c.model, 'gemini-2.5-flash');
  assert.deepEqual(c.tools, ['run_shell_command', 'write_file']);
  assert.deepEqual(kinds(c.items), ['user', 'thinking', 'tool_call', 'tool_call', 'assistant']);
  const write = c.items[2] as ToolCallItem;
  assert.equal(write.result?.text, 'Wrote a.txt');
  assert.equal(write.view?.kind === 'edit' && write.view.wholeFile, true);
  assert.equal(write.view?.kind === 'edit' && write.view.added, 2);
  const shell = c.items[3] as ToolCallItem;
  assert.equal(shell.view?.kind === 'bash' && shell.view.exitCode, 0);
  assert.equal((c.items[4] as { text: string }).text, 'The answer is 42.');
});
