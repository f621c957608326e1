// The filter language against real rows on both databases: each operator selects the traces it should, and
// `ccproxy traces` / `ccproxy show` print them (a bad filter: one message, exit code 2).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newFlow, type Flow } from '../src/flow/flow.js';
import { silentLogger } from '../src/log.js';
import { listTraces } from '../src/read/traces.js';
import { openTraceStore, type TraceStore } from '../src/store/store.js';
import { EXTRACTOR_VERSION } from '../src/store/usage-table.js';
import { runCli } from './helpers/cli.js';
import { BACKENDS } from './helpers/pg.js';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');

interface Seed {
  id: string;
  dir: 'reverse' | 'forward';
  url: string;
  method?: string;
  status?: number | null;
  ms?: number;
  type?: string;
  session?: string | null;
  reqHeaders?: Record<string, unknown>;
  resHeaders?: Record<string, unknown>;
  reqBody?: string;
  resBody?: string;
  resType?: string;
  error?: [string, string];
  parent?: string;
  chunks?: number[];
}

const SSE = [
  'event: message_start\ndata: {"type":"message_start","message":{"model":"claude-opus-4-8","usage":{"input_tokens":10,"output_tokens":1}}}\n\n',
  'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me look."}}\n\n',
  'event: content_block_start\ndata: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Héllo"}}\n\n',
  'event: content_block_start\ndata: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_1","name":"Bash","input":{}}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\\"command\\": \\"l"}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"s\\"}"}}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":30}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
].join('');

const SEEDS: Seed[] = [
  { id: 'a-rev', dir: 'reverse', url: 'http://127.0.0.1:4000/v1/messages', session: 'sess-a', ms: 1200, reqBody: '{"model":"claude-opus-4-8","stream":true,"messages":[{"role":"user","content":"list files"}]}', resBody: SSE, resType: 'text/event-stream', resHeaders: { 'content-type': 'text/event-stream', 'anthropic-ratelimit-unified-status': 'allowed' } },
  { id: 'a-fwd', dir: 'forward', url: 'https://api.anthropic.com/v1/messages', session: 'sess-a', ms: 1100, parent: 'a-rev', reqHeaders: { 'x-api-key': 'sk-ant-…1234', 'set-cookie': ['a=1', 'b=2'] }, reqBody: '{"model":"claude-opus-4-8"}', resBody: SSE, resType: 'text/event-stream', chunks: [100, 101, 102, 103, 104, 105, 106, 107, 108, 109] },
  { id: 'o-fwd', dir: 'forward', url: 'https://api.openai.com/v1/chat/completions', session: 'sess-o', ms: 800, reqBody: '{"model":"gpt-5"}', resBody: '{"choices":[{"message":{"content":"hi","tool_calls":[{"id":"c1","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]},"finish_reason":"tool_calls"}]}' },
  { id: 'web', dir: 'forward', url: 'https://example.com/index.html', method: 'GET', status: 404, ms: 50, type: 'web', resType: 'text/html', resHeaders: { 'content-type': 'text/html' }, resBody: '<html>not here</html>' },
  { id: 'mcp', dir: 'forward', url: 'https://mcp.example.com/mcp', ms: 20, type: 'mcp', reqBody: '{"jsonrpc":"2.0","method":"tools/list"}' },
  { id: 'err', dir: 'forward', url: 'https://api.anthropic.com/v1/messages', status: null, ms: 5, session: 'sess-a', error: ['connect ECONNREFUSED', 'connect_failed'] },
  { id: 'health', dir: 'reverse', url: 'http://127.0.0.1:4000/health', method: 'GET', ms: 2, type: 'other' },
];

function flowOf(s: Seed, i: number): Flow {
  const f = newFlow(s.id, s.dir);
  const u = new URL(s.url);
  f.sessionId = s.session ?? null;
  f.trafficType = s.type ?? 'llm';
  f.request = { method: s.method ?? 'POST', url: s.url, originalUrl: null, host: u.hostname, path: u.pathname, headers: { host: u.host, 'content-type': 'application/json', ...s.reqHeaders }, body: s.reqBody ? Buffer.from(s.reqBody) : null, bodySize: s.reqBody?.length ?? 0, bodyTruncated: false, contentType: s.reqBody ? 'application/json' : null };
  const status = s.status === undefined ? 200 : s.status;
  f.response = status === null ? null : { status, headers: s.resHeaders ?? { 'content-type': s.resType ?? 'application/json' }, body: s.resBody ? Buffer.from(s.resBody) : null, bodySize: s.resBody ? Buffer.byteLength(s.resBody) : 0, bodyTruncated: false, contentType: s.resType ?? 'application/json' };
  if (s.error) f.error = { message: s.error[0], type: s.error[1] };
  const start = T0 + i * 1000;
  f.timing = { start, end: start + (s.ms ?? 10), ...(s.chunks ? { chunks: s.chunks, chunkCount: s.chunks.length } : {}) };
  if (s.parent) f.parentId = s.parent;
  return f;
}

const USAGE = `INSERT INTO "CCProxy_LlmUsage" (trace_id, proxy_direction, session_id, start_time, provider, api, requested_model, served_model, streamed,
  input_tokens, output_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, tool_calls, cost_usd, extractor)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, ${EXTRACTOR_VERSION})`;
const USAGES: unknown[][] = [
  ['a-rev', 0, 'sess-a', new Date(T0), 'anthropic', 'anthropic-messages', 'claude-opus-4-8', 'claude-opus-4-8-20261101', true, 10, 30, 5000, 6000, 0, '["Bash"]', 0.25],
  ['a-fwd', 1, 'sess-a', new Date(T0 + 1000), 'anthropic', 'anthropic-messages', 'claude-opus-4-8', 'claude-opus-4-8-20261101', true, 10, 30, 5000, 6000, 0, '["Bash"]', 0.25],
  ['o-fwd', 1, 'sess-o', new Date(T0 + 2000), 'openai', 'openai-chat', 'gpt-5', 'gpt-5-2026-08-07', false, 100, 20, 0, 0, 0, '["get_weather"]', 0.001],
  // A call that failed: no token counted, not billed.
  ['err', 1, null, new Date(T0 + 4000), 'anthropic', 'anthropic-messages', 'claude-haiku-4-5', null, false, null, null, null, null, null, '[]', 0],
];

const CASES: [string, string[]][] = [
  ['anthropic', ['err', 'a-fwd']],
  ['~u v1/messages', ['err', 'a-fwd', 'a-rev']],
  ['~d api\\.openai', ['o-fwd']],
  ['~d ^EXAMPLE\\.com$', ['web']],
  ['~m get', ['health', 'web']],
  ['~c 404', ['web']],
  ['!~c 200', ['err', 'web']],
  ['~e', ['err']],
  ['~q', ['err']],
  ['~t html', ['web']],
  ['~t event-stream & ~dir reverse', ['a-rev']],
  ['~h "^x-api-key: sk-ant"', ['a-fwd']],
  ['~hq "^set-cookie: b=2$"', ['a-fwd']],
  ['~hq "=2$"', ['a-fwd']],
  ['~hq "b=$"', []],
  ['~hs ratelimit-unified-status', ['a-rev']],
  ['~b tools/list', ['mcp']],
  ['~bq "list files"', ['a-rev']],
  ['~bs "not here"', ['web']],
  ['~bs héllo', ['a-fwd', 'a-rev']],
  ['~bs input_json_delta.*message_stop', ['a-fwd', 'a-rev']],
  ['~session sess-a', ['err', 'a-fwd', 'a-rev']],
  ['~dir forward & ~type llm', ['err', 'o-fwd', 'a-fwd']],
  ['~type mcp | ~type web', ['mcp', 'web']],
  ['~model opus', ['a-fwd', 'a-rev']],
  ['~model "^gpt-5$"', ['o-fwd']],
  ['~tool bash', ['a-fwd', 'a-rev']],
  ['~tool weather & ~dir forward', ['o-fwd']],
  ['~cost >0.1', ['a-fwd', 'a-rev']],
  ['~cost <=0.001', ['err', 'o-fwd']],
  ['~tokens >10000', ['a-fwd', 'a-rev']],
  ['~tokens = 120', ['o-fwd']],
  ['~tokens >119.5 & ~tokens <120.5', ['o-fwd']],
  ['~tokens <1', []],
  ['~tokens <99999999999 & ~tokens >10000', ['a-fwd', 'a-rev']],
  ['~ms >=1000', ['a-fwd', 'a-rev']],
  ['~ms <10 | ~c 404', ['health', 'err', 'web']],
  ['!(~type llm) & !~m GET', ['mcp']],
  ['~dir forward ~session sess-a | ~c 404', ['err', 'web', 'a-fwd']],
];

for (const backend of BACKENDS) {
  describe(`filter language on real rows (${backend.name})`, { skip: await backend.skip() }, () => {
    let env: Awaited<ReturnType<typeof backend.setup>>;
    let store: TraceStore;
    before(async () => {
      env = await backend.setup();
      store = await openTraceStore(env.loaded, silentLogger);
      SEEDS.forEach((s, i) => {
        const f = flowOf(s, i);
        store.writer.requestStarted(f);
        store.writer.requestEnded(f);
        store.writer.responseEnded(f);
      });
      assert.ok(await store.writer.flush());
      for (const u of USAGES) await store.db.pool.query(USAGE, u);
    });
    after(async () => {
      await store?.close();
      await env?.cleanup();
    });

    for (const [filter, ids] of CASES) {
      test(`${filter} → ${ids.join(' ')}`, async () => {
        const rows = await listTraces(store.db.pool, filter, 50);
        assert.deepEqual(rows.map((r) => r.trace_id), ids);
      });
    }

    test('no filter: all, newest first, with model, tokens and cost; --limit', async () => {
      const rows = await listTraces(store.db.pool, null, 3);
      assert.deepEqual(rows.map((r) => r.trace_id), ['health', 'err', 'mcp']);
      const [a] = await listTraces(store.db.pool, '~session sess-a & ~dir reverse', 5);
      assert.deepEqual([a!.model, a!.tokens, a!.cost_usd, a!.direction, a!.status_code], ['claude-opus-4-8-20261101', 11040, 0.25, 'reverse', 200]);
    });

    test('ccproxy traces and ccproxy show through the CLI; a bad filter exits 2 with a caret', async () => {
      await store.close();
      const e = { ...env.env, TZ: 'UTC' };
      const list = await runCli(['traces', '~session sess-a'], e);
      assert.equal(list.code, 0, list.stderr);
      const lines = list.stdout.trim().split('\n');
      assert.match(lines[0]!, /^TRACE\s+TIME\s+DIR\s+METHOD\s+URL\s+STATUS\s+DURATION\s+MODEL\s+TOKENS\s+COST\s+SESSION$/);
      assert.match(lines[2]!, /^a-fwd\s+2026-11-20 10:00:01\s+fwd\s+POST\s+api\.anthropic\.com\/v1\/messages\s+200\s+1\.10s\s+claude-opus-4-8-20261101\s+11040\s+\$0\.250\s+sess-a$/);
      assert.equal(lines.length, 4);
      const json = await runCli(['traces', '--json', '--limit', '1', '~type web'], e);
      assert.deepEqual(JSON.parse(json.stdout), { trace_id: 'web', start_time: '2026-11-20T10:00:03.000Z', direction: 'forward', method: 'GET', host: 'example.com', path: '/index.html', status_code: 404, error_type: null, duration_ms: 50, traffic_type: 'web', session_id: null, model: null, tokens: null, cost_usd: null });
      const bad = await runCli(['traces', '~d api & ~c x'], e);
      assert.equal(bad.code, 2);
      assert.equal(bad.stderr, 'ccproxy: invalid filter at column 13: expected a status code (digits) after ~c\n  ~d api & ~c x\n              ^\n');
      const shown = await runCli(['show', 'a-fwd'], e);
      assert.equal(shown.code, 0, shown.stderr);
      for (const part of [
        'Trace a-fwd  (forward, llm, session sess-a, from a-rev)',
        'POST https://api.anthropic.com/v1/messages',
        '  x-api-key: sk-ant-…1234',
        '  set-cookie: b=2',
        '  "model": "claude-opus-4-8"',
        'Events (10):',
        '  +100ms message_start: {"type":"message_start"',
        '  +109ms message_stop: {"type":"message_stop"}',
        'Assembled message (anthropic-messages):\n  thinking:\n    Let me look.\n  text:\n    Héllo\n  tool call: Bash (toolu_1)\n    {\n      "command": "ls"\n    }\n  stop reason: tool_use',
        '  duration    1.10s',
        '  chunks      10 at +100, +101',
        '  served_model              claude-opus-4-8-20261101',
        '  cost                      $0.250',
      ]) assert.ok(shown.stdout.includes(part), `missing ${JSON.stringify(part)} in\n${shown.stdout}`);
      const chat = await runCli(['show', 'o-fwd'], e);
      assert.ok(chat.stdout.includes('Assembled message (openai-chat):\n  text:\n    hi\n  tool call: get_weather (c1)\n    {\n      "city": "Paris"\n    }\n  stop reason: tool_calls'), chat.stdout);
      const missing = await runCli(['show', 'nope'], e);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, 'ccproxy: no trace with id "nope"\n');
    });
  });
}
