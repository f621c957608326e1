import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anthropicSse, SESSION_T0, sessionFlow } from '../../test/helpers/session-flows.js';
import { PriceBook, rateFor } from '../usage/prices.js';
import { explainCacheMisses } from './cache-diff.js';
import { MIN_MISS_TOKENS } from './cache-miss.js';
import type { UsageRow } from './usage-row.js';

const SONNET = 'claude-sonnet-4-5-20250929';
const tools = [{ name: 'Bash', description: 'Run a command', input_schema: { type: 'object' } }];
const cc = (ttl?: '1h') => (ttl ? { type: 'ephemeral', ttl } : { type: 'ephemeral' });
const u = (text: string) => ({ role: 'user', content: [{ type: 'text', text }] });
const a = (text: string) => ({ role: 'assistant', content: [{ type: 'text', text }] });

/** A request with the breakpoint on its last message's last block, as Claude Code sends them. */
function body(system: string, messages: Record<string, any>[], ttl?: '1h', model = SONNET) {
  const m = structuredClone(messages);
  const last = m[m.length - 1]!.content;
  last[last.length - 1] = { ...last[last.length - 1], cache_control: cc(ttl) };
  return { model, max_tokens: 1000, stream: true, system: [{ type: 'text', text: system, cache_control: cc(ttl) }], tools, messages: m };
}

type Tokens = { input?: number; read?: number; w5?: number; w1?: number };
function call(id: string, at: number, req: object, t: Tokens, model = SONNET) {
  const flow = sessionFlow({ id, start: SESSION_T0 + at, request: req, response: anthropicSse(model, [{ type: 'text', text: 'ok' }], { input_tokens: t.input ?? 5, output_tokens: 3, cache_read_input_tokens: t.read ?? 0, cache_5m: t.w5 ?? 0, cache_1h: t.w1 ?? 0 }) });
  const row: UsageRow = { trace_id: id, proxy_direction: 0, provider: 'anthropic', api: 'anthropic-messages', requested_model: model, served_model: model, input_tokens: t.input ?? 5, output_tokens: 3, cache_read_tokens: t.read ?? 0, cache_write_5m_tokens: t.w5 ?? 0, cache_write_1h_tokens: t.w1 ?? 0 };
  return { flow, row };
}

const MIN = 60_000;
const book = new PriceBook();
const rates = () => {
  const found = book.lookup('anthropic', SONNET, new Date(SESSION_T0));
  assert.ok(found.entry);
  return found.entry.rates;
};

test('a system prompt that changed breaks the prefix at its block; the miss costs the write price minus the read price', () => {
  const h1 = [u('fix it')];
  const h2 = [...h1, a('looking'), u('more')];
  const h3 = [...h2, a('done'), u('thanks')];
  const calls = [
    call('r1', 0, body('You are Claude Code. Today is Monday.', h1), { w5: 10_000 }),
    call('r2', 30_000, body('You are Claude Code. Today is Monday.', h2), { read: 10_000, w5: 500 }),
    call('r3', 60_000, body('You are Claude Code. Today is Tuesday.', h3), { w5: 10_700 }),
  ];
  const r = explainCacheMisses(calls.map((c) => c.flow), calls.map((c) => c.row), { prices: book });
  assert.deepEqual(r.steps.map((s) => [s.traceId, s.previousTraceId]), [['r1', null], ['r2', 'r1'], ['r3', 'r2']]);
  const [s1, s2, s3] = r.steps;
  assert.equal(s1!.miss, null);
  assert.deepEqual(s1!.breakpoints.map((b) => [b.label, b.ttl]), [['system block 0', '5m'], ['message 0 (user), block 0', '5m']]);
  // r2 only appended: two messages added, the moved breakpoint is not a change.
  assert.deepEqual(s2!.changes.messages.map((c) => [c.path, c.kind]), [['/messages/1', 'added'], ['/messages/2', 'added']]);
  assert.deepEqual([s2!.changes.system, s2!.changes.tools, s2!.changes.params], [[], [], []]);
  assert.equal(s2!.firstDifference, null);
  assert.equal(s2!.miss, null);
  assert.equal(s2!.gapMs, 30_000);
  // r3: the system block changed, nothing was read.
  assert.deepEqual(s3!.changes.system, [{ path: '/system/0/text', kind: 'changed', before: 'You are Claude Code. Today is Monday.', after: 'You are Claude Code. Today is Tuesday.' }]);
  assert.equal(s3!.firstDifference?.label, 'system block 0');
  const miss = s3!.miss!;
  assert.equal(miss.cause, 'prefix_changed');
  assert.deepEqual([miss.expectedReadTokens, miss.readTokens, miss.missedTokens], [10_500, 0, 10_500]);
  assert.equal(miss.brokeAt?.path, '/system/0');
  assert.equal(miss.ttl, '5m');
  assert.equal(miss.ttlExpired, false);
  assert.match(miss.explanation, /^10500 fewer tokens read .* the prompt changed at system block 0/);
  const p = rates();
  const prompt = 5 + 10_700;
  assert.deepEqual(miss.cost, { usd: Math.round(((10_500 * (rateFor(p.cacheWrite5m!, prompt) - rateFor(p.cacheRead!, prompt))) / 1e6) * 1e12) / 1e12, tokens: 10_500, paidRate: rateFor(p.cacheWrite5m!, prompt), readRate: rateFor(p.cacheRead!, prompt), paidAs: 'cacheWrite5m', priceEntry: book.lookup('anthropic', SONNET, new Date(SESSION_T0)).entry!.id });
  assert.ok(miss.cost!.usd > 0);
  assert.equal(r.misses, 1);
  assert.equal(r.missCostUsd, miss.cost!.usd);
  assert.deepEqual(r.notes, []);
});

test('only some steps: each still diffed with its thread\'s previous request', () => {
  const h1 = [u('fix it')];
  const h2 = [...h1, a('looking'), u('more')];
  const calls = [call('r1', 0, body('S1', h1), { w5: 10_000 }), call('r2', 30_000, body('S1', h2), { read: 10_000, w5: 500 }), call('r3', 60_000, body('S2', h2), { w5: 10_700 })];
  const r = explainCacheMisses(calls.map((c) => c.flow), calls.map((c) => c.row), { prices: book, only: ['r3'] });
  assert.deepEqual(r.steps.map((s) => [s.traceId, s.previousTraceId, s.miss?.cause]), [['r3', 'r2', 'prefix_changed']]);
  assert.equal(r.misses, 1);
});

test('the time to live ran out: 5-minute writes after 10 minutes, 1-hour writes after 70 minutes but not after 10', () => {
  const h = [u('hi')];
  const five = [call('a1', 0, body('S', h), { w5: 8000 }), call('a2', 10 * MIN, body('S', h), { w5: 8000 })];
  const r5 = explainCacheMisses(five.map((c) => c.flow), five.map((c) => c.row), { prices: book });
  const m5 = r5.steps[1]!.miss!;
  assert.equal(m5.cause, 'ttl_expired');
  assert.equal(m5.ttl, '5m');
  assert.equal(m5.gapMs, 10 * MIN);
  assert.match(m5.explanation, /10 min passed since the previous request, longer than the 5-minute cache it wrote lives$/);
  assert.equal(m5.brokeAt, null);

  const hour = [call('b1', 0, body('S', h, '1h'), { w1: 8000 }), call('b2', 10 * MIN, body('S', h, '1h'), { read: 8000 }), call('b3', 80 * MIN, body('S', h, '1h'), { w1: 8000 })];
  const r1 = explainCacheMisses(hour.map((c) => c.flow), hour.map((c) => c.row), { prices: book });
  assert.equal(r1.steps[1]!.miss, null, '10 minutes is within an hour');
  const m1 = r1.steps[2]!.miss!;
  assert.equal(m1.cause, 'ttl_expired');
  assert.equal(m1.ttl, '1h');
  assert.equal(m1.cost?.paidAs, 'cacheWrite1h');
  assert.equal(m1.cost?.paidRate, rateFor(rates().cacheWrite1h!, 8005));
});

test('a change after the last breakpoint does not explain a miss; a miss with nothing changed is unexplained; a model change is one', () => {
  const base = [u('one')];
  // The trailing message (a Claude Code system message) differs, after the breakpoint.
  const tail = (text: string) => ({ ...body('S', base), messages: [...body('S', base).messages, { role: 'system', content: text }] });
  const calls = [call('c1', 0, tail('gitStatus: clean'), { w5: 6000 }), call('c2', MIN, tail('gitStatus: dirty'), { read: 0, w5: 6000 })];
  const r = explainCacheMisses(calls.map((c) => c.flow), calls.map((c) => c.row), { prices: book });
  const s = r.steps[1]!;
  assert.equal(s.firstDifference?.label, 'message 1 (system)');
  assert.equal(s.miss?.cause, 'unexplained');
  assert.equal(s.miss?.brokeAt, null);

  const other = [call('d1', 0, body('S', base), { w5: 6000 }), call('d2', MIN, body('S', base, undefined, 'claude-opus-4-8'), { w5: 6000 }, 'claude-opus-4-8')];
  const r2 = explainCacheMisses(other.map((c) => c.flow), other.map((c) => c.row), { prices: book });
  assert.equal(r2.steps[1]!.miss?.cause, 'model_changed');
  assert.deepEqual(r2.steps[1]!.changes.params, [{ path: '/model', kind: 'changed', before: SONNET, after: 'claude-opus-4-8' }]);
});

test('a shortfall below the smallest cacheable prefix is not a miss', () => {
  const h = [u('x')];
  const calls = [call('e1', 0, body('S', h), { w5: 5000 }), call('e2', MIN, body('S', h), { read: 5000 - MIN_MISS_TOKENS + 1 })];
  assert.equal(explainCacheMisses(calls.map((c) => c.flow), calls.map((c) => c.row), { prices: book }).steps[1]!.miss, null);
});

test('the body that went to the provider is the one compared when the call was seen at both ends', () => {
  const h = [u('x')];
  const client = body('S', h);
  const r1 = sessionFlow({ id: 'p1', start: SESSION_T0, request: client, response: '{}' });
  const f1 = sessionFlow({ id: 'p1f', direction: 'forward', parentId: 'p1', start: SESSION_T0 + 1, request: body('injected 1', h), response: '{}' });
  const r2 = sessionFlow({ id: 'p2', start: SESSION_T0 + MIN, request: client, response: '{}' });
  const f2 = sessionFlow({ id: 'p2f', direction: 'forward', parentId: 'p2', start: SESSION_T0 + MIN + 1, request: body('injected 2', h), response: '{}' });
  const rows: UsageRow[] = [{ trace_id: 'p1f', provider: 'anthropic', served_model: SONNET, input_tokens: 5, cache_read_tokens: 0, cache_write_5m_tokens: 7000, cache_write_1h_tokens: 0 }, { trace_id: 'p2f', provider: 'anthropic', served_model: SONNET, input_tokens: 5, cache_read_tokens: 0, cache_write_5m_tokens: 7000, cache_write_1h_tokens: 0 }];
  const r = explainCacheMisses([r1, f1, r2, f2], rows, { prices: book });
  assert.equal(r.steps.length, 2);
  assert.equal(r.steps[1]!.traceId, 'p2');
  assert.equal(r.steps[1]!.miss?.cause, 'prefix_changed');
  assert.equal(r.steps[1]!.changes.system[0]?.after, 'injected 2');
});

test('bad input: one request, no usage rows, a body that is not JSON, a model without a price', () => {
  const one = call('o1', 0, body('S', [u('x')]), { w5: 5000 });
  const single = explainCacheMisses([one.flow], [one.row], { prices: book });
  assert.equal(single.steps.length, 1);
  assert.equal(single.steps[0]!.miss, null);
  assert.deepEqual(explainCacheMisses([], []), { steps: [], misses: 0, missCostUsd: 0, notes: [] });
  const bare = explainCacheMisses([one.flow]);
  assert.deepEqual(bare.notes, ['no usage rows: the diffs are shown, cache misses cannot be told']);
  assert.deepEqual(bare.steps[0]!.notes, ['no usage row: cache reads and writes unknown']);
  const broken = sessionFlow({ id: 'o2', start: SESSION_T0 + MIN, request: '{"model":', response: 'event: message_start\ndata: {"ty' });
  const r = explainCacheMisses([one.flow, broken], [one.row, { trace_id: 'o2', provider: 'anthropic', served_model: SONNET, cache_read_tokens: 0 }], { prices: book });
  assert.equal(r.steps.length, 2);
  assert.match(r.steps[1]!.notes[0]!, /^the request body could not be read: the request body is not JSON/);
  const unknown = [call('q1', 0, body('S', [u('x')], undefined, 'acme-llm-1'), { w5: 5000 }, 'acme-llm-1'), call('q2', 10 * MIN, body('S', [u('x')], undefined, 'acme-llm-1'), { w5: 5000 }, 'acme-llm-1')];
  const priced = explainCacheMisses(unknown.map((c) => c.flow), unknown.map((c) => c.row), { prices: book });
  assert.equal(priced.steps[1]!.miss?.cost, null);
  assert.match(priced.steps[1]!.miss!.costNote!, /no price for model acme-llm-1/);
  assert.equal(priced.missCostUsd, 0);
});
