// Which requests of a session are its main thread, which are side calls (a title, a quota check, a call without
// tools or to a small model) and which are subagent conversations, grouped into threads and tied to the `Task` /
// `Agent` tool call that started them where the bodies allow. Heuristics over request bodies, named in README.
import type { Flow } from '../flow/flow.js';
import type { LlmApi } from '../usage/call.js';
import { sessionCalls, SUBAGENT_TOOLS, type SessionCall, type SubagentCall } from './session-calls.js';
import type { UsageRow } from './usage-row.js';

/** What a call is in its session. */
export type CallRole = 'main' | 'subagent' | 'side';

/** Why a call is a side call (one or more); `unreadable`: its request body could not be read, so it cannot be placed in a thread. */
export type SideKind = 'quota_check' | 'title' | 'no_tools' | 'small_model' | 'unreadable';

/**
 * One LLM call of the session. A call seen at both ends is one mark: `traceId` is the client's (reverse) flow and
 * `forwardTraceIds` the provider-side flows linked to it (by the stored parent trace id); a call seen at one end
 * only has its own flow's id there.
 */
export interface CallMark {
  traceId: string;
  forwardTraceIds: string[];
  role: CallRole;
  threadId: string;
  /** Empty unless role is `side`. */
  sideKinds: SideKind[];
  /** Why it was marked so, one sentence each. */
  reasons: string[];
  api: LlmApi | null;
  model: string | null;
  /** Epoch ms. */
  start: number | null;
  toolCount: number;
  messageCount: number;
}

/** How a subagent thread was tied to the tool call that started it. */
export interface StartedBy {
  /** The request whose body holds the tool call (or whose answer made it). */
  traceId: string;
  toolUseId: string | null;
  toolName: string;
  /** The tool call's `description` input, when it has one. */
  description: string | null;
  /** `prompt_equal`: a text block of the subagent's first user message is the call's `prompt`; `prompt_contained`: that message contains it. */
  matchedBy: 'prompt_equal' | 'prompt_contained';
}

/**
 * Calls that carry one conversation: the same first message (and tools offered or not), whatever else changed along
 * the way. The main thread is chosen among them; a thread whose system prompt and tool set (its signature) differ from
 * every signature the main thread had is a subagent's.
 */
export interface Thread {
  id: string;
  kind: CallRole;
  /** The calls in time order (their `traceId`s). */
  callIds: string[];
  model: string | null;
  tools: string[];
  /** A short digest of its first call's system prompt and tool set: threads with equal signatures are the same kind of agent. */
  signature: string;
  /** The first user message's text, cut to 200 characters. */
  firstPrompt: string | null;
  startedBy: StartedBy | null;
}

export interface Roles {
  calls: CallMark[];
  threads: Thread[];
  /** The latest main thread: the conversation going on (earlier main threads are the same agent before a /compact or /clear). */
  mainThreadId: string | null;
  notes: string[];
}

/** Models made for quick side work (Claude Code sends titles and summaries to Haiku). */
const SMALL_MODEL = /haiku|(?:^|[-_.])(?:mini|nano)(?:$|[-_.])|flash-lite/i;
/** A system prompt asking for a title or a topic check (Claude Code's side requests). */
const TITLE_PROMPT = /\btitle\b|new conversation topic/i;

function sideKinds(c: SessionCall, sessionHasTools: boolean, threadSize: number): { kinds: SideKind[]; reasons: string[] } {
  const kinds: SideKind[] = [];
  const reasons: string[] = [];
  if (!c.readable) return { kinds: ['unreadable'], reasons: [`its request body could not be read (${c.notes[0] ?? 'no body'})`] };
  if (c.maxTokens === 1) {
    kinds.push('quota_check');
    reasons.push('it asks for at most 1 output token (a quota or connectivity check)');
  }
  if (c.mark.toolCount === 0 && TITLE_PROMPT.test(c.systemText)) {
    kinds.push('title');
    reasons.push('its system prompt asks for a title or a topic check, with no tools');
  }
  if (c.mark.toolCount === 0 && sessionHasTools && !kinds.includes('title')) {
    kinds.push('no_tools');
    reasons.push('it offers no tools while the session\'s other requests do');
  }
  if (c.mark.model !== null && SMALL_MODEL.test(c.mark.model) && !c.usesTools && threadSize === 1) {
    kinds.push('small_model');
    reasons.push(`a single request to a small model (${c.mark.model}) with no tool use in it`);
  }
  return { kinds, reasons };
}

function firstPromptOf(c: SessionCall | undefined): string | null {
  const t = c?.firstUser?.whole ?? '';
  return t === '' ? null : t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

/** The `Task`/`Agent` calls of the session, first seen first: in an answer (the call that made it) or a request. */
function subagentCalls(calls: readonly SessionCall[]): (SubagentCall & { traceId: string })[] {
  const seen = new Map<string, SubagentCall & { traceId: string }>();
  for (const c of calls) {
    for (const t of [...c.requestTasks, ...c.answerTasks]) {
      const key = t.id ?? `${t.name}\0${t.prompt}`;
      if (!seen.has(key)) seen.set(key, { ...t, traceId: c.mark.traceId });
    }
  }
  return [...seen.values()];
}

function tieToTask(first: SessionCall, tasks: ReturnType<typeof subagentCalls>, used: Set<string>): StartedBy | null {
  const m = first.firstUser;
  if (!m) return null;
  const free = tasks.filter((t) => !used.has(t.id ?? t.prompt));
  const equal = free.find((t) => m.texts.includes(t.prompt.trim()));
  const contained = equal ? undefined : free.find((t) => t.prompt.trim() !== '' && m.whole.includes(t.prompt.trim()));
  const t = equal ?? contained;
  if (!t) return null;
  used.add(t.id ?? t.prompt);
  return { traceId: t.traceId, toolUseId: t.id, toolName: t.name, description: t.description, matchedBy: equal ? 'prompt_equal' : 'prompt_contained' };
}

/** The roles of a session's LLM calls (other flows are left out), with the calls as read. Never throws. */
export function sessionRoles(flows: readonly Flow[], usage?: readonly UsageRow[]): { roles: Roles; calls: SessionCall[] } {
  const notes: string[] = [];
  let calls: SessionCall[];
  try {
    calls = sessionCalls(flows, usage);
  } catch (e) {
    return { roles: { calls: [], threads: [], mainThreadId: null, notes: [`the session could not be read: ${(e as Error).message}`] }, calls: [] };
  }
  const groups = new Map<string, SessionCall[]>();
  for (const c of calls) {
    const group = groups.get(c.key);
    if (group) group.push(c);
    else groups.set(c.key, [c]);
  }
  const sessionHasTools = calls.some((c) => c.mark.toolCount > 0);
  for (const group of groups.values()) {
    for (const c of group) {
      const { kinds, reasons } = sideKinds(c, sessionHasTools, group.length);
      c.mark.sideKinds = kinds;
      c.mark.reasons = reasons;
    }
  }
  const isSide = (g: SessionCall[]) => g.every((c) => c.mark.sideKinds.length > 0);
  // The main thread: offers a subagent tool, else the most requests, else the earliest.
  const candidates = [...groups.values()].filter((g) => !isSide(g));
  const offersTask = (g: SessionCall[]) => g.some((c) => c.tools.some((n) => SUBAGENT_TOOLS.has(n)));
  const withTask = new Set(candidates.filter(offersTask));
  candidates.sort((a, b) => Number(withTask.has(b)) - Number(withTask.has(a)) || b.length - a.length || (a[0]!.mark.start ?? 0) - (b[0]!.mark.start ?? 0));
  const main = candidates[0] ?? null;
  if (calls.length > 0 && main === null) notes.push('every request is a side call: no main thread');
  const mainSignatures = new Set((main ?? []).map((c) => c.signature));
  const tasks = subagentCalls(calls);
  const used = new Set<string>();
  const threads: Thread[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const kind: CallRole = group === main || (!isSide(group) && group.some((c) => mainSignatures.has(c.signature))) ? 'main' : isSide(group) ? 'side' : 'subagent';
    const id = first.key;
    for (const c of group) {
      c.mark.threadId = id;
      c.mark.role = kind === 'side' ? 'side' : kind;
      if (kind !== 'side') {
        c.mark.sideKinds = [];
        c.mark.reasons = kind === 'main' ? (group === main ? ['the main thread: ' + (offersTask(group) ? 'it offers a subagent tool (Task/Agent)' : candidates.length > 1 ? 'the conversation with the most requests' : 'the only conversation')] : ['the main thread\'s system prompt and tools, another conversation (compacted or cleared)']) : ['its system prompt or tool set differs from the main thread\'s'];
      }
    }
    const models = group.map((c) => c.mark.model).filter((m): m is string => m !== null);
    threads.push({
      id,
      kind,
      callIds: group.map((c) => c.mark.traceId),
      model: models[models.length - 1] ?? null,
      tools: first.tools,
      signature: first.signature,
      firstPrompt: firstPromptOf(first),
      startedBy: kind === 'subagent' ? tieToTask(first, tasks, used) : null,
    });
  }
  // The conversation going on: the latest of the main threads (the earlier ones are the same agent before a /compact or /clear).
  const mains = threads.filter((t) => t.kind === 'main');
  const mainThreadId = mains.length > 0 ? mains[mains.length - 1]!.id : null;
  return { roles: { calls: calls.map((c) => c.mark), threads, mainThreadId, notes }, calls };
}

/** The roles of a session's LLM calls (other flows are left out). Never throws. */
export function markRoles(flows: readonly Flow[], usage?: readonly UsageRow[]): Roles {
  return sessionRoles(flows, usage).roles;
}
