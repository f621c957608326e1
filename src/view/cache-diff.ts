// Adjacent requests of each thread diffed structurally (tools, system prompt blocks, messages, other parameters),
// in Anthropic's cache order (tools → system → messages), with the cache breakpoints each asked for and, where the
// usage shows the prompt cache missed, why and at what cost (cache-miss.ts).
import type { Flow } from '../flow/flow.js';
import { PROVIDER_OF, type LlmProvider } from '../usage/call.js';
import { PriceBook } from '../usage/prices.js';
import { obj } from '../usage/wire.js';
import { jsonDiff, withoutKeys, type JsonChange } from './json-diff.js';
import { readCall } from './llm-call.js';
import { readPrompt, type Prompt } from './prompt.js';
import { explainMiss, type CacheMiss, type TtlKind } from './cache-miss.js';
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
