// A Claude Code session as the capture stores it, for the viewer's analysis tests: a quota check and a title request
// on Haiku, a main thread that runs Bash, starts an Explore subagent through `Task`, edits a file and runs a failing
// test, and the subagent's own two requests. Bodies follow what Claude Code sends (a billing header as the first
// system block, cache_control breakpoints, `<system-reminder>` blocks, a role "system" message last); answers are
// Anthropic SSE. Every main-thread request is seen at both ends: its forward child is linked by parent trace id.
import type { Flow } from '../../src/flow/flow.js';
import { anthropicSse, SESSION_T0, sessionFlow, type AnthropicBlock } from './session-flows.js';

export const SONNET = 'claude-sonnet-4-5-20250929';
export const HAIKU = 'claude-haiku-4-5-20251001';
const CC = { type: 'ephemeral' } as const;

const MAIN_SYSTEM = [
  { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.0.50.abc; cc_entrypoint=cli; cch=00000;' },
  { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: CC },
  { type: 'text', text: 'You are an interactive CLI tool that helps users with software engineering tasks.', cache_control: CC },
];
const tool = (name: string, description: string) => ({ name, description, input_schema: { type: 'object', properties: {} } });
const MAIN_TOOLS = [tool('Task', 'Launch a new agent'), tool('Bash', 'Run a command'), tool('Edit', 'Edit a file'), tool('Write', 'Write a file'), tool('Read', 'Read a file')];
const AGENT_SYSTEM = [MAIN_SYSTEM[0], { type: 'text', text: 'You are a file search specialist for Claude Code.', cache_control: CC }];
const AGENT_TOOLS = [tool('Bash', 'Run a command'), tool('Read', 'Read a file'), tool('Grep', 'Search files')];

export const PROMPT = 'fix the bug in app.ts';
export const TASK_PROMPT = 'Find every use of x in the repo';
export const TEST_OUTPUT = ['Exit code 1', ...Array.from({ length: 60 }, (_, i) => `  failing line ${i}`)].join('\n');

const reminder = { type: 'text', text: '<system-reminder>\nAs you answer the user\'s questions, you can use the following context.\n</system-reminder>' };
const u0 = { role: 'user', content: [reminder, { type: 'text', text: PROMPT }] };
const a1 = { role: 'assistant', content: [{ type: 'thinking', thinking: 'Look at the file first.', signature: 'sig' }, { type: 'text', text: "I'll look at the file." }, { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'cat app.ts', description: 'Show app.ts' } }] };
const u2 = { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'const x = 1', is_error: false }] };
const a3 = { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_2', name: 'Task', input: { description: 'Find usages', prompt: TASK_PROMPT, subagent_type: 'Explore' } }] };
const u4 = { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'x is used in app.ts:1' }] }] };
const a5 = { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_3', name: 'Edit', input: { file_path: '/repo/app.ts', old_string: 'const x = 1', new_string: 'const x = 2' } }] };
const u6 = { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_3', content: 'The file /repo/app.ts has been updated.' }] };
const a7 = { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_4', name: 'Bash', input: { command: 'npm test', description: 'Run the tests' } }] };
const u8 = { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_4', content: TEST_OUTPUT, is_error: true }] };
const env = { role: 'system', content: 'gitStatus: clean' };

/** The last message's last block carries the breakpoint, as Claude Code moves it along the conversation. */
function withBreakpoint(messages: Record<string, unknown>[]): Record<string, unknown>[] {
  const copy = structuredClone(messages);
  for (let i = copy.length - 1; i >= 0; i--) {
    const content = copy[i]!.content;
    if (Array.isArray(content) && copy[i]!.role !== 'system') {
      content[content.length - 1] = { ...content[content.length - 1], cache_control: CC };
      break;
    }
  }
  return copy;
}

const main = (messages: Record<string, unknown>[]) => ({ model: SONNET, max_tokens: 32000, stream: true, system: MAIN_SYSTEM, tools: MAIN_TOOLS, messages: [...withBreakpoint(messages), env], metadata: { user_id: 'user_abc_account_def_session_s1' } });
const sse = (model: string, content: AnthropicBlock[]) => anthropicSse(model, content, { input_tokens: 10, output_tokens: 20 });

export interface ClaudeCodeSession {
  flows: Flow[];
  /** Reverse ids of the main thread's requests, in order. */
  main: string[];
  subagent: string[];
  quota: string;
  title: string;
}

export function claudeCodeSession(): ClaudeCodeSession {
  const flows: Flow[] = [];
  let t = SESSION_T0;
  const add = (id: string, request: object, response: string, both: boolean) => {
    flows.push(sessionFlow({ id, start: t, request, response }));
    if (both) flows.push(sessionFlow({ id: `${id}-fwd`, direction: 'forward', parentId: id, start: t + 5, request, response }));
    t += 10_000;
  };
  add('quota', { model: HAIKU, max_tokens: 1, messages: [{ role: 'user', content: 'quota' }], metadata: { user_id: 'x' } }, sse(HAIKU, [{ type: 'text', text: '#' }]), false);
  add('title', { model: HAIKU, max_tokens: 512, system: [{ type: 'text', text: 'Analyze if this message indicates a new conversation topic. If it does, extract a 2-3 word title.' }], messages: [{ role: 'user', content: PROMPT }], stream: true }, sse(HAIKU, [{ type: 'text', text: '{"isNewTopic": true, "title": "Fix app bug"}' }]), false);
  add('m1', main([u0]), sse(SONNET, a1.content as AnthropicBlock[]), true);
  add('m2', main([u0, a1, u2]), sse(SONNET, a3.content as AnthropicBlock[]), true);
  const agent = (messages: Record<string, unknown>[]) => ({ model: HAIKU, max_tokens: 32000, stream: true, system: AGENT_SYSTEM, tools: AGENT_TOOLS, messages: withBreakpoint(messages) });
  const s0 = { role: 'user', content: [{ type: 'text', text: TASK_PROMPT }] };
  const s1 = { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_s1', name: 'Grep', input: { pattern: 'x' } }] };
  const s2 = { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_s1', content: 'app.ts:1' }] };
  add('s1', agent([s0]), sse(HAIKU, s1.content as AnthropicBlock[]), false);
  add('s2', agent([s0, s1, s2]), sse(HAIKU, [{ type: 'text', text: 'x is used in app.ts:1' }]), false);
  add('m3', main([u0, a1, u2, a3, u4]), sse(SONNET, a5.content as AnthropicBlock[]), true);
  add('m4', main([u0, a1, u2, a3, u4, a5, u6]), sse(SONNET, a7.content as AnthropicBlock[]), true);
  add('m5', main([u0, a1, u2, a3, u4, a5, u6, a7, u8]), sse(SONNET, [{ type: 'text', text: 'The tests fail; here is why.' }]), true);
  return { flows, main: ['m1', 'm2', 'm3', 'm4', 'm5'], subagent: ['s1', 's2'], quota: 'quota', title: 'title' };
}
