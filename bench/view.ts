// `npm run bench -- view`: the viewer's analysis (src/view) over one long Claude Code session, as the viewer's API
// hands it over — every request's flow and usage row: the roles, the main thread's conversation, the cache report
// of every step and of one page of steps. Figures only (the issue sets its targets on the pages, not on these).
import { explainCacheMisses } from '../src/view/cache-diff.js';
import { buildConversation } from '../src/view/conversation.js';
import { markRoles } from '../src/view/roles.js';
import type { UsageRow } from '../src/view/usage-row.js';
import type { Flow } from '../src/flow/flow.js';
import { anthropicSse, SESSION_T0, sessionFlow } from '../test/helpers/session-flows.js';
import { median } from './median.js';

const REQUESTS = Number(process.env.VIEW_BENCH_REQUESTS ?? 2000);
/** Requests between two compactions (Claude Code compacts a conversation near its context limit). */
const WINDOW = Number(process.env.VIEW_BENCH_WINDOW ?? 100);
const RUNS = Number(process.env.VIEW_BENCH_RUNS ?? 3);
const MODEL = 'claude-sonnet-4-5-20250929';

/** A session shaped like Claude Code's: ~20 KB of system prompt, 20 tools of ~2 KB, each turn a tool call and a ~1.2 KB result. */
function session(): { flows: Flow[]; usage: UsageRow[] } {
  const system = [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=2.0.50' }, { type: 'text', text: 'You are Claude Code. '.repeat(1000), cache_control: { type: 'ephemeral' } }];
  const tools = Array.from({ length: 20 }, (_, i) => ({ name: i === 0 ? 'Task' : `Tool${i}`, description: 'Does one thing well. '.repeat(90), input_schema: { type: 'object', properties: { command: { type: 'string' } } } }));
  const flows: Flow[] = [];
  const usage: UsageRow[] = [];
  let history: Record<string, unknown>[] = [];
  let cached = 0;
  for (let i = 0; i < REQUESTS; i++) {
    if (i % WINDOW === 0) history = [{ role: 'user', content: [{ type: 'text', text: `task ${i / WINDOW}: fix the failing tests` }] }];
    const id = `req-${i}`;
    const call = [{ type: 'tool_use' as const, id: `toolu_${i}`, name: 'Tool1', input: { command: `grep -rn pattern${i} src/` } }];
    const body = { model: MODEL, max_tokens: 32000, stream: true, system, tools, messages: history, metadata: { user_id: 'user_x_account_y_session_z' } };
    const read = i % WINDOW === 0 ? 0 : cached;
    const write = 400 + (i % WINDOW === 0 ? 30_000 : 0);
    flows.push(sessionFlow({ id, start: SESSION_T0 + i * 20_000, request: body, response: anthropicSse(MODEL, call, { input_tokens: 5, output_tokens: 60, cache_read_input_tokens: read, cache_5m: write }) }));
    usage.push({ trace_id: id, proxy_direction: 0, provider: 'anthropic', api: 'anthropic-messages', served_model: MODEL, input_tokens: 5, output_tokens: 60, cache_read_tokens: read, cache_write_5m_tokens: write, cache_write_1h_tokens: 0 });
    cached = read + write;
    history = [...history, { role: 'assistant', content: call }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${i}`, content: `src/file${i}.ts:1: pattern\n`.repeat(40) }] }];
  }
  return { flows, usage };
}

export async function benchView(): Promise<void> {
  const { flows, usage } = session();
  const bytes = flows.reduce((n, f) => n + (f.request.body?.length ?? 0) + (f.response?.body?.length ?? 0), 0);
  const page = flows.slice(-50).map((f) => f.id);
  const cases: [string, () => unknown][] = [
    ['markRoles', () => markRoles(flows, usage)],
    ['buildConversation (main thread)', () => buildConversation(flows, usage)],
    ['explainCacheMisses (every step)', () => explainCacheMisses(flows, usage)],
    ['explainCacheMisses (a page of 50)', () => explainCacheMisses(flows, usage, { only: page })],
  ];
  console.log(`\nview: the viewer's analysis over one session of ${REQUESTS} requests (${(bytes / 1e6).toFixed(0)} MB of bodies, compacted every ${WINDOW}); median of ${RUNS} runs`);
  console.log('function                           | median   | output JSON');
  console.log('-----------------------------------+----------+------------');
  for (const [name, fn] of cases) {
    const times: number[] = [];
    let size = 0;
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now();
      const out = fn();
      times.push(performance.now() - t);
      size = JSON.stringify(out).length;
    }
    console.log(`${name.padEnd(34)} | ${`${median(times).toFixed(0)} ms`.padStart(8)} | ${`${(size / 1e3).toFixed(0)} KB`.padStart(10)}`);
  }
}
