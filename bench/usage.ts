// `npm run bench -- usage`: the usage stage's own work for one call, as it runs after a response has gone out —
// read the call (request at its top level, response whole), price it, and map it to its row — on the proxy
// benchmark's 1 KB Messages call and on a Claude Code-shaped streamed call (a 120 KB request: system prompt,
// 25 tools, a conversation). Beside each, in the same run, the baseline of parsing the request with JSON.parse,
// which is what reading the request cost before it was read shallowly. CPU time per call, median of runs.
import { priceFlow } from '../src/usage/priced.js';
import { PriceBook } from '../src/usage/prices.js';
import { usageRow } from '../src/store/flow-row.js';
import { makeUsageOp } from '../src/store/ops.js';
import type { Flow } from '../src/flow/flow.js';
import { anthropicSse, SESSION_T0, sessionFlow } from '../test/helpers/session-flows.js';
import { median } from './median.js';

const RUNS = 7;
const MODEL = 'claude-opus-4-8';

/** The proxy benchmark's call: a 1 KB request, the upstream's 1 KB JSON answer. */
function benchCall(): Flow {
  const request = { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'x'.repeat(900) }] };
  const response = { id: 'msg_bench', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [{ type: 'text', text: 'x'.repeat(700) }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 250, cache_creation_input_tokens: 0, cache_read_input_tokens: 1000, output_tokens: 200, service_tier: 'standard' } };
  return sessionFlow({ id: 'bench', start: SESSION_T0, request, response: JSON.stringify(response) });
}

/** A Claude Code turn: the request it sends (about 120 KB) and a streamed answer with thinking, text and a tool call. */
function claudeCodeCall(): Flow {
  const tools = Array.from({ length: 25 }, (_, i) => ({ name: `Tool${i}`, description: 'Does one thing well, and says so at length. '.repeat(50), input_schema: { type: 'object', properties: { command: { type: 'string', description: 'what to run '.repeat(20) } }, required: ['command'] } }));
  const messages: Record<string, unknown>[] = [];
  for (let i = 0; i < 12; i++) {
    messages.push({ role: 'assistant', content: [{ type: 'text', text: 'Looking at the tests. '.repeat(40) }, { type: 'tool_use', id: `toolu_${i}`, name: 'Bash', input: { command: 'npm test -- --grep "ä ü"' } }] });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${i}`, content: 'ok 1 - it works "quoted" \\ path\n'.repeat(60) }] });
  }
  messages.unshift({ role: 'user', content: 'fix the failing tests' });
  messages.push({ role: 'system', content: 'reminder: keep going '.repeat(40) });
  const request = { model: MODEL, max_tokens: 32000, stream: true, system: [{ type: 'text', text: 'You are Claude Code. '.repeat(900), cache_control: { type: 'ephemeral', ttl: '1h' } }], tools, messages, metadata: { user_id: 'user_x' }, thinking: { type: 'enabled', budget_tokens: 10000 } };
  const response = anthropicSse(MODEL, [{ type: 'thinking', thinking: 'The test expects…' }, { type: 'text', text: 'Running them now.' }, { type: 'tool_use', id: 'toolu_x', name: 'Bash', input: { command: 'npm test' } }], { input_tokens: 5, output_tokens: 160, cache_read_input_tokens: 20_000, cache_1h: 600 });
  return sessionFlow({ id: 'cc', start: SESSION_T0, request, response });
}

/** CPU microseconds per call of `f`, median of RUNS runs of `n` calls after a warm-up. */
function cpuPerCall(f: () => unknown, n: number): number {
  for (let i = 0; i < n / 4; i++) f();
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const before = process.cpuUsage();
    for (let i = 0; i < n; i++) f();
    const used = process.cpuUsage(before);
    runs.push((used.user + used.system) / n);
  }
  return median(runs);
}

export async function benchUsage(): Promise<void> {
  const book = new PriceBook();
  console.log('\nusage: the stage\'s work for one call (read, price, row), CPU µs per call, median of 7 runs; baseline: JSON.parse of the request alone, same run');
  console.log('call                              | request | stage µs | JSON.parse of the request µs | stage / baseline');
  console.log('----------------------------------+---------+----------+------------------------------+-----------------');
  for (const [name, flow, n] of [['proxy bench (1 KB Messages, JSON)', benchCall(), 20_000], ['Claude Code turn (streamed)', claudeCodeCall(), 2_000]] as const) {
    const body = flow.request.body as Buffer;
    const stage = cpuPerCall(() => {
      const priced = priceFlow(flow, book);
      return priced && makeUsageOp(flow.id, usageRow(flow, priced, 0));
    }, n);
    const baseline = cpuPerCall(() => JSON.parse(body.toString('utf8')), n);
    console.log(`${name.padEnd(33)} | ${`${(body.length / 1024).toFixed(0)} KB`.padStart(7)} | ${stage.toFixed(1).padStart(8)} | ${baseline.toFixed(1).padStart(28)} | ${(stage / baseline).toFixed(2).padStart(16)}`);
  }
}
