// A session's LLM calls as the role heuristics (roles.ts) read them: one per call (a reverse flow with the
// forward flows it caused), its prompt's digests (system prompt and tools, first message), its first user
// message, its tools, and the `Task` / `Agent` calls it made or was answered with. Bodies are read, not kept.
import { createHash } from 'node:crypto';
import type { Flow } from '../flow/flow.js';
import { obj } from '../usage/wire.js';
import { withoutKeys } from './json-diff.js';
import { readCall, type ReadCall } from './llm-call.js';
import { messageText, readPrompt, toolNames, type Prompt } from './prompt.js';
import type { CallMark } from './roles.js';
import { rowModel, usageByTrace, type UsageRow } from './usage-row.js';

/** Tools that start a subagent in Claude Code (`Task`, renamed `Agent`). */
export const SUBAGENT_TOOLS = new Set(['Task', 'Agent']);

/** Claude Code's first system block carries a per-request billing header: not part of the agent's identity. */
const BILLING_BLOCK = /^x-anthropic-billing-header:/;

/** A `Task`/`Agent` call with the prompt it gave. */
export interface SubagentCall {
  id: string | null;
  name: string;
  prompt: string;
  description: string | null;
}

/**
 * A call with what the role heuristics read of it. Its bodies are not kept (a long session holds hundreds of MB of
 * them): readSessionCall reads them again when a view needs them.
 */
export interface SessionCall {
  mark: CallMark;
  /** The flow whose request is the conversation: the client's, or the provider's when the client's body was not stored. */
  flow: Flow;
  /** The request body was read as a prompt. */
  readable: boolean;
  /** What could not be read, from readCall. */
  notes: string[];
  /** The names of the tools offered. */
  tools: string[];
  /** Digest of the system prompt and tool set. */
  signature: string;
  /**
   * Digest of the first message (and whether tools are offered): equal for the calls of one conversation, whose
   * system prompt or tools may change along the way; the thread's id.
   */
  key: string;
  maxTokens: number | null;
  systemText: string;
  /** The first user message: its text parts and all its text. */
  firstUser: { texts: string[]; whole: string } | null;
  /** Its messages hold tool calls or results. */
  usesTools: boolean;
  /** `Task`/`Agent` calls in its request's messages, and in its answer. */
  requestTasks: SubagentCall[];
  answerTasks: SubagentCall[];
}

const digest = (v: unknown): string => createHash('sha256').update(JSON.stringify(v) ?? '').digest('hex').slice(0, 12);

function tasksIn(calls: readonly { id: string | null; name: string; input: unknown }[]): SubagentCall[] {
  const out: SubagentCall[] = [];
  for (const c of calls) {
    const o = obj(c.input);
    if (SUBAGENT_TOOLS.has(c.name) && typeof o?.prompt === 'string') out.push({ id: c.id, name: c.name, prompt: o.prompt, description: typeof o.description === 'string' ? o.description : null });
  }
  return out;
}

/** The call's flow read again: its request as a prompt and its answer. */
export function readSessionCall(c: SessionCall): { read: ReadCall; prompt: Prompt | null } {
  const read = readCall(c.flow);
  return { read, prompt: read.body !== null && read.api !== null ? readPrompt(read.api, read.body) : null };
}

function sessionCall(flow: Flow, read: ReadCall, forwards: string[], row: UsageRow | undefined): SessionCall {
  const prompt = read.body !== null && read.api !== null ? readPrompt(read.api, read.body) : null;
  const tools = prompt ? toolNames(prompt) : [];
  const system = prompt ? prompt.system.filter((b) => !BILLING_BLOCK.test(b.label)).map((b) => withoutKeys(b.raw, ['cache_control'])) : null;
  const signature = prompt ? digest({ system, tools: [...tools].sort() }) : `unread-${flow.id}`;
  const first = prompt?.messages[0] ? withoutKeys(prompt.messages[0].raw, ['cache_control']) : null;
  const user = prompt?.messages.find((m) => m.role === 'user');
  return {
    flow: read.flow,
    readable: prompt !== null,
    notes: read.notes,
    tools,
    signature,
    key: prompt ? digest({ first, tools: tools.length > 0 }) : signature,
    maxTokens: prompt?.maxTokens ?? null,
    systemText: prompt?.systemText ?? '',
    firstUser: user ? { texts: user.parts.filter((x) => x.type === 'text').map((x) => (x as { text: string }).text.trim()), whole: messageText(user) } : null,
    usesTools: prompt?.messages.some((m) => m.parts.some((x) => x.type === 'tool_call' || x.type === 'tool_result')) ?? false,
    requestTasks: tasksIn((prompt?.messages ?? []).flatMap((m) => m.parts.flatMap((x) => (x.type === 'tool_call' ? [x] : [])))),
    answerTasks: tasksIn(read.answer?.toolCalls ?? []),
    mark: {
      traceId: flow.id,
      forwardTraceIds: forwards,
      role: 'main',
      threadId: '',
      sideKinds: [],
      reasons: [],
      api: read.api,
      model: (row ? rowModel(row) : null) ?? read.model,
      start: flow.timing.start,
      toolCount: tools.length,
      messageCount: prompt?.messages.length ?? 0,
    },
  };
}

/**
 * The session's LLM calls, one per call (a client-side flow — reverse, or forward sent to the gateway by
 * map_remote — with the flows linked to it), in time order.
 */
export function sessionCalls(flows: readonly Flow[], usage?: readonly UsageRow[]): SessionCall[] {
  const rows = usageByTrace(usage);
  const heads = new Map(flows.filter((f) => f.parentId === undefined).map((f) => [f.id, f]));
  const childrenOf = new Map<string, Flow[]>();
  for (const f of flows) {
    if (f.parentId === undefined || !heads.has(f.parentId)) continue;
    const children = childrenOf.get(f.parentId);
    if (children) children.push(f);
    else childrenOf.set(f.parentId, [f]);
  }
  const out: SessionCall[] = [];
  const calls = new Set<string>();
  // Client-side flows first: a flow linked to one that is a call is that call seen at the provider.
  for (const f of [...heads.values(), ...flows.filter((x) => x.parentId !== undefined)]) {
    if (f.parentId !== undefined && calls.has(f.parentId)) continue;
    let read = readCall(f);
    if (read.api === null) continue;
    calls.add(f.id);
    const children = childrenOf.get(f.id) ?? [];
    // The client's side is the conversation; when its body was not stored, the provider side stands in.
    if (read.body === null) {
      for (const child of children) {
        const r = readCall(child);
        if (r.body !== null && r.api !== null) {
          read = r;
          break;
        }
      }
    }
    const forwards = children.map((c) => c.id);
    out.push(sessionCall(f, read, forwards, rows.get(f.id) ?? forwards.map((id) => rows.get(id)).find((x) => x !== undefined)));
  }
  return out.sort((a, b) => (a.mark.start ?? Infinity) - (b.mark.start ?? Infinity));
}
