// Adjacent requests of each thread diffed structurally (tools, system prompt blocks, messages, other parameters),
// and, where the usage shows the prompt cache missed, why: the prefix broke at a block (in Anthropic's cache order
// tools → system → messages), or the cache's time to live ran out (5 minutes or 1 hour, as written), and what the
// miss cost at the model's prices (src/usage/prices.ts).
import type { Flow } from '../flow/flow.js';
import { PROVIDER_OF, type LlmProvider } from '../usage/call.js';
import { PriceBook, rateFor, type Rate } from '../usage/prices.js';
import { obj } from '../usage/wire.js';
import { jsonDiff, withoutKeys, type JsonChange } from './json-diff.js';
import { readCall } from './llm-call.js';
import { readPrompt, type Prompt } from './prompt.js';
import { sessionRoles } from './roles.js';
import type { SessionCall } from './session-calls.js';
import { promptTokens, rowModel, rowProvider, usageByTrace, type PromptTokens, type UsageRow } from './usage-row.js';

export type PromptSection = 'tools' | 'system' | 'messages';

/** A block of the prompt: tool j, system block i, message k (and content block b of it). */
export interface BlockRef {
  section: PromptSection;
  index: number;
  /** The content block within a message, when the difference is inside one. */
  block: number | null;
  /** JSON Pointer into the request body. */
  path: string;
  /** For people: `tool 3 (Bash)`, `system block 1`, `message 12 (user), block 0`. */
  label: string;
}

/** Where the request asks for a cache breakpoint (`cache_control`), with its time to live. */
export interface Breakpoint extends BlockRef {
  ttl: '5m' | '1h';
}

export type TtlKind = '5m' | '1h';

export interface MissCost {
  /** USD lost: the missed tokens at the write (or input) price instead of the read price. */
  usd: number;
  tokens: number;
  /** USD per million tokens paid instead, and of a cache read. */
  paidRate: number;
  readRate: number;
  /** Which price the missed tokens paid: `cacheWrite5m`, `cacheWrite1h`, or `input` (not written to a cache). */
  paidAs: 'cacheWrite5m' | 'cacheWrite1h' | 'input';
  priceEntry: string;
}

export interface CacheMiss {
  /**
   * `ttl_expired`: more time passed since the previous request than the cache lives; `prefix_changed`: a block
   * before the last breakpoint changed; `model_changed`: caches are per model; `unexplained`: none of these.
   */
  cause: 'ttl_expired' | 'prefix_changed' | 'model_changed' | 'unexplained';
  /** One sentence for people. */
  explanation: string;
  /** Tokens the previous request had cached (read + written), the tokens read now, their difference. */
  expectedReadTokens: number;
  readTokens: number;
  missedTokens: number;
  /** The first block that differs from the previous request, in cache order (cache_control ignored). */
  brokeAt: BlockRef | null;
  /** The TTL the previous request's cache was written with, and whether the gap exceeded it. */
  ttl: TtlKind | null;
  ttlExpired: boolean;
  gapMs: number | null;
  /** Null when it could not be priced (costNote says why). */
  cost: MissCost | null;
  costNote: string | null;
}

export interface RequestStep {
  traceId: string;
  /** The thread's previous request, null for its first. */
  previousTraceId: string | null;
  threadId: string;
  /** From the previous request's start to this one's (the cache was last refreshed when the previous one was read). */
  gapMs: number | null;
  /** Differences from the previous request by section (`cache_control` left out; see breakpoints). */
  changes: { tools: JsonChange[]; system: JsonChange[]; messages: JsonChange[]; params: JsonChange[] };
  /** More differences than listed. */
  truncated: boolean;
  /** The first block that differs from the previous request, in cache order (cache_control ignored); null when none did or there is no previous one. */
  firstDifference: BlockRef | null;
  breakpoints: Breakpoint[];
  usage: PromptTokens | null;
  miss: CacheMiss | null;
  notes: string[];
}

export interface CacheReport {
  /** By thread, then time (with `only`: just those requests). */
  steps: RequestStep[];
  misses: number;
  /** Sum of the priced misses' cost. */
  missCostUsd: number;
  notes: string[];
}

export interface CacheOptions {
  /** The prices (with the user's `ccproxy.prices`); default: the bundled table. */
  prices?: PriceBook;
  /** Only the steps of these requests (reverse trace ids, as CallMark.traceId), e.g. a page of the timeline: each is still diffed with its thread's previous request. */
  only?: readonly string[];
}

/** Below this many tokens a shortfall in cache reads is not called a miss: the smallest cacheable prefix (Anthropic: 1,024 tokens for most models). */
export const MIN_MISS_TOKENS = 1024;

/** How long a cache entry lives after it was last written or read (Anthropic's prompt caching: 5 minutes, or 1 hour). */
export const TTL_MS: Record<TtlKind, number> = { '5m': 5 * 60_000, '1h': 60 * 60_000 };

/** One block of the prompt in cache order, with what is compared (cache_control left out). */
interface Unit {
  ref: BlockRef;
  /** The block's JSON text without cache_control (with its message's role): what is compared. */
  key: string;
  ttl: TtlKind | null;
}

function ttlOf(raw: unknown): TtlKind | null {
  const cc = obj(obj(raw)?.cache_control);
  if (!cc) return null;
  return cc.ttl === '1h' ? '1h' : '5m';
}

/** The prompt's blocks in Anthropic's cache order: tools, then system blocks, then each message's content blocks. */
function units(p: Prompt): Unit[] {
  const out: Unit[] = [];
  const strip = (v: unknown) => JSON.stringify(withoutKeys(v, ['cache_control'])) ?? '';
  p.tools.forEach((t, j) => out.push({ ref: { section: 'tools', index: j, block: null, path: t.path, label: `tool ${j} (${t.label})` }, key: strip(t.raw), ttl: ttlOf(t.raw) }));
  p.system.forEach((b, i) => out.push({ ref: { section: 'system', index: i, block: null, path: b.path, label: `system block ${i}` }, key: strip(b.raw), ttl: ttlOf(b.raw) }));
  p.messages.forEach((m, k) => {
    const content = p.api === 'anthropic-messages' ? obj(m.raw)?.content : undefined;
    if (Array.isArray(content) && content.length > 0) {
      content.forEach((block, b) => out.push({ ref: { section: 'messages', index: k, block: b, path: `${m.path}/content/${b}`, label: `message ${k} (${m.role}), block ${b}` }, key: strip({ role: m.role, block }), ttl: ttlOf(block) }));
    } else out.push({ ref: { section: 'messages', index: k, block: null, path: m.path, label: `message ${k} (${m.role})` }, key: strip(m.raw), ttl: null });
  });
  return out;
}

/** Index of the first unit of `prev` that `cur` does not repeat at its place; -1 when `cur` starts with all of `prev`. */
function firstBreak(prev: Unit[], cur: Unit[]): number {
  for (let i = 0; i < prev.length; i++) if (i >= cur.length || prev[i]!.key !== cur[i]!.key) return i;
  return -1;
}

/** The diff's changes by section, by the path each change is under. */
function bySection(changes: JsonChange[], p: Prompt): RequestStep['changes'] {
  const out: RequestStep['changes'] = { tools: [], system: [], messages: [], params: [] };
  const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
  const systemPaths = p.system.map((b) => b.path);
  const systemRoots = ['/system', '/instructions', '/systemInstruction', '/system_instruction', '/request/systemInstruction'];
  const toolRoots = ['/tools', '/request/tools'];
  const messageRoots = ['/messages', '/input', '/contents', '/request/contents'];
  for (const c of changes) {
    if (toolRoots.some((r) => under(c.path, r))) out.tools.push(c);
    else if (systemRoots.some((r) => under(c.path, r)) || systemPaths.some((r) => r !== '' && under(c.path, r))) out.system.push(c);
    else if (messageRoots.some((r) => under(c.path, r))) out.messages.push(c);
    else out.params.push(c);
  }
  return out;
}

interface CallData {
  call: SessionCall;
  /** What went to the provider when it was seen there (that is what the provider cached), else what the client sent. */
  prompt: Prompt | null;
  /** The body without cache_control, as diffed. */
  body: unknown;
  units: Unit[];
  usage: PromptTokens | null;
  model: string | null;
  provider: LlmProvider | null;
  start: number | null;
  notes: string[];
}

function callData(c: SessionCall, flows: Map<string, Flow>, rows: Map<string, UsageRow>): CallData {
  const notes: string[] = [];
  let read = readCall(c.flow);
  for (const id of c.mark.forwardTraceIds) {
    const f = flows.get(id);
    const r = f ? readCall(f) : null;
    if (r?.body && r.api !== null) {
      read = r;
      break;
    }
  }
  const prompt = read.body && read.api ? readPrompt(read.api, read.body) : null;
  if (!prompt) notes.push(`the request body could not be read: ${read.notes[0] ?? 'no body'}`);
  const row = [...c.mark.forwardTraceIds, c.mark.traceId].map((id) => rows.get(id)).find((r) => r !== undefined);
  const usage = row ? promptTokens(row) : null;
  if (!row) notes.push('no usage row: cache reads and writes unknown');
  return {
    call: c,
    prompt,
    body: read.body ? withoutKeys(read.body, ['cache_control']) : null,
    units: prompt ? units(prompt) : [],
    usage,
    model: (row ? rowModel(row) : null) ?? read.model,
    provider: (row ? rowProvider(row) : null) ?? (read.api ? PROVIDER_OF[read.api] : null),
    start: c.mark.start,
    notes,
  };
}

const n = (v: number | null | undefined) => v ?? 0;

/** The TTL of what `prev` cached: its last breakpoint's, else the write it reported (1 hour only when all of it was). */
function ttlWritten(prev: CallData): TtlKind | null {
  const points = prev.units.filter((u) => u.ttl !== null);
  if (points.length > 0) return points[points.length - 1]!.ttl;
  if (prev.provider !== 'anthropic') return null;
  if (n(prev.usage?.cacheWrite1h) > 0 && n(prev.usage?.cacheWrite5m) === 0) return '1h';
  return '5m';
}

function missCost(cur: CallData, missed: number, book: PriceBook): { cost: MissCost | null; note: string | null } {
  if (cur.model === null || cur.provider === null) return { cost: null, note: 'no model or provider to price the miss with' };
  const found = book.lookup(cur.provider, cur.model, new Date(cur.start ?? Date.now()));
  if (found.entry === null) return { cost: null, note: found.reason };
  const u = cur.usage!;
  const prompt = n(u.input) + n(u.cacheRead) + n(u.cacheWrite5m) + n(u.cacheWrite1h);
  const w1 = n(u.cacheWrite1h);
  const w5 = n(u.cacheWrite5m);
  // The missed tokens were written to the cache again when this request wrote one, else billed as plain input.
  const paidAs: MissCost['paidAs'] = cur.provider === 'anthropic' && w1 + w5 > 0 ? (w1 > w5 ? 'cacheWrite1h' : 'cacheWrite5m') : 'input';
  const rates = found.entry.rates;
  const paid: Rate | null = paidAs === 'input' ? rates.input : rates[paidAs];
  if (paid === null || rates.cacheRead === null) return { cost: null, note: `${found.entry.id} has no ${paid === null ? paidAs : 'cache read'} price` };
  const paidRate = rateFor(paid, prompt);
  const readRate = rateFor(rates.cacheRead, prompt);
  const usd = Math.round(((missed * (paidRate - readRate)) / 1e6) * 1e12) / 1e12;
  return { cost: { usd, tokens: missed, paidRate, readRate, paidAs, priceEntry: found.entry.id }, note: null };
}

const minutes = (ms: number) => (ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`);

function explainMiss(prev: CallData, cur: CallData, gapMs: number | null, brokeAt: BlockRef | null, book: PriceBook): CacheMiss | null {
  if (!prev.usage || !cur.usage) return null;
  const expected = n(prev.usage.cacheRead) + n(prev.usage.cacheWrite5m) + n(prev.usage.cacheWrite1h);
  const read = n(cur.usage.cacheRead);
  const missed = expected - read;
  if (expected === 0 || missed < MIN_MISS_TOKENS) return null;
  const ttl = ttlWritten(prev);
  const ttlExpired = ttl !== null && gapMs !== null && gapMs > TTL_MS[ttl];
  // A break counts only inside what the previous request cached: up to its last breakpoint (all of it without any).
  const points = prev.units.map((u, i) => (u.ttl !== null ? i : -1)).filter((i) => i >= 0);
  const lastPoint = points.length > 0 ? points[points.length - 1]! : prev.units.length - 1;
  const breakIndex = brokeAt ? prev.units.findIndex((u) => u.ref.path === brokeAt.path) : -1;
  const prefixBroke = brokeAt !== null && (breakIndex < 0 || breakIndex <= lastPoint);
  const modelChanged = prev.model !== null && cur.model !== null && prev.model !== cur.model;
  let cause: CacheMiss['cause'];
  let explanation: string;
  if (ttlExpired) {
    cause = 'ttl_expired';
    explanation = `${minutes(gapMs!)} passed since the previous request, longer than the ${ttl === '1h' ? '1-hour' : '5-minute'} cache it wrote lives`;
    if (prefixBroke) explanation += `; the prefix also changed at ${brokeAt!.label}`;
  } else if (modelChanged) {
    cause = 'model_changed';
    explanation = `the model changed from ${prev.model} to ${cur.model}: each model has its own cache`;
  } else if (prefixBroke) {
    cause = 'prefix_changed';
    explanation = `the prompt changed at ${brokeAt!.label}, before the previous request's last cache breakpoint: everything from there on was not read from the cache`;
  } else {
    cause = 'unexplained';
    explanation = 'the prompt kept its cached prefix and the cache was within its time to live: the provider did not read it (evicted, or served elsewhere)';
  }
  explanation = `${missed} fewer tokens read from the cache than the previous request had cached: ${explanation}`;
  const { cost, note } = missCost(cur, missed, book);
  return { cause, explanation, expectedReadTokens: expected, readTokens: read, missedTokens: missed, brokeAt: prefixBroke ? brokeAt : null, ttl, ttlExpired, gapMs, cost, costNote: note };
}

function step(prev: CallData | null, cur: CallData, book: PriceBook): RequestStep {
  const s: RequestStep = {
    traceId: cur.call.mark.traceId,
    previousTraceId: prev?.call.mark.traceId ?? null,
    threadId: cur.call.mark.threadId,
    gapMs: prev && prev.start !== null && cur.start !== null ? cur.start - prev.start : null,
    changes: { tools: [], system: [], messages: [], params: [] },
    truncated: false,
    firstDifference: null,
    breakpoints: cur.units.filter((u) => u.ttl !== null).map((u) => ({ ...u.ref, ttl: u.ttl! })),
    usage: cur.usage,
    miss: null,
    notes: [...cur.notes],
  };
  if (!prev) return s;
  if (prev.prompt && cur.prompt && prev.body && cur.body) {
    if (prev.prompt.api !== cur.prompt.api) s.notes.push(`the API changed from ${prev.prompt.api} to ${cur.prompt.api}`);
    const d = jsonDiff(prev.body, cur.body);
    s.changes = bySection(d.changes, cur.prompt);
    s.truncated = d.truncated;
    const i = firstBreak(prev.units, cur.units);
    s.firstDifference = i < 0 ? null : prev.units[i]!.ref;
  } else if (prev.prompt === null) s.notes.push('the previous request could not be read: no diff');
  s.miss = explainMiss(prev, cur, s.gapMs, s.firstDifference, book);
  return s;
}

/** The thread-by-thread diffs of a session's requests and the cache misses explained. Never throws. */
export function explainCacheMisses(flows: readonly Flow[], usage?: readonly UsageRow[], options: CacheOptions = {}): CacheReport {
  const report: CacheReport = { steps: [], misses: 0, missCostUsd: 0, notes: [] };
  try {
    const book = options.prices ?? new PriceBook();
    const { roles, calls } = sessionRoles(flows, usage);
    report.notes.push(...roles.notes);
    const byId = new Map(flows.map((f) => [f.id, f]));
    const rows = usageByTrace(usage);
    const only = options.only ? new Set(options.only) : null;
    for (const thread of roles.threads) {
      const mine = calls.filter((x) => x.mark.threadId === thread.id);
      let prev: CallData | null = null;
      mine.forEach((c, i) => {
        if (only && !only.has(c.mark.traceId)) {
          prev = null;
          return;
        }
        const before = i > 0 ? (prev ?? callData(mine[i - 1]!, byId, rows)) : null;
        const cur = callData(c, byId, rows);
        const st = step(before, cur, book);
        report.steps.push(st);
        if (st.miss) {
          report.misses++;
          report.missCostUsd += st.miss.cost?.usd ?? 0;
        }
        prev = cur;
      });
    }
    report.missCostUsd = Math.round(report.missCostUsd * 1e12) / 1e12;
    if (calls.length > 0 && rows.size === 0) report.notes.push('no usage rows: the diffs are shown, cache misses cannot be told');
  } catch (e) {
    report.notes.push(`the requests could not be compared: ${(e as Error).message}`);
  }
  return report;
}
