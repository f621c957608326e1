// The conversation of a session rebuilt from its requests and answers: the last request of a thread holds the
// history the client sent, its answer (JSON or SSE) ends it; each item says which trace it came from. Tool calls
// carry their results (matched by id) and, for reading, a Bash command with its output or a file edit as a diff.
import { createHash } from 'node:crypto';
import type { Flow } from '../flow/flow.js';
import type { LlmApi } from '../usage/call.js';
import { withoutKeys } from './json-diff.js';
import type { Part, PromptMessage } from './prompt.js';
import { sessionRoles, type Thread } from './roles.js';
import { readSessionCall } from './session-calls.js';
import { toolView } from './tool-views.js';
import type { UsageRow } from './usage-row.js';

/** Where an item was read: the body of the request (the history the client sent) or its response (the answer). */
export type ItemSource = 'request' | 'response';

interface ItemBase {
  /** The trace it came from: for a request item, the first request of the thread that carried it; for a response item, the request answered. */
  traceId: string;
  source: ItemSource;
}

export interface UserItem extends ItemBase {
  kind: 'user';
  text: string;
}

/**
 * System text inside the messages: a `system` message (Claude Code appends one as the last message; OpenAI's
 * `developer`), or text the client injected into a user turn (Claude Code's `<system-reminder>` blocks).
 */
export interface SystemItem extends ItemBase {
  kind: 'system';
  text: string;
}

export interface AssistantItem extends ItemBase {
  kind: 'assistant';
  text: string;
}

export interface ThinkingItem extends ItemBase {
  kind: 'thinking';
  text: string;
  /** The provider sent it encrypted or redacted: no text. */
  redacted: boolean;
}

/** A tool's result, matched to its call by id (Gemini without ids: by name, in order). */
export interface ToolResultView {
  traceId: string;
  text: string;
  /** The result says it failed (`is_error`), when it says. */
  isError: boolean | null;
  /** Characters and lines of `text`. */
  length: number;
  lines: number;
  /** Long enough to show folded (more than FOLD_CHARS characters or FOLD_LINES lines). */
  foldable: boolean;
}

/** A shell command (Claude Code `Bash`, Codex `shell`/`exec_command`/`local_shell`, Gemini CLI `run_shell_command`). */
export interface BashView {
  kind: 'bash';
  command: string;
  description: string | null;
  /** The result's text, null while unanswered. */
  output: string | null;
  /** Read from the output (`Exit code 1`, Codex's metadata, Gemini's `Exit Code:`), null when it does not say. */
  exitCode: number | null;
  isError: boolean | null;
}

/** A file edit as a unified diff (Claude Code `Edit`/`MultiEdit`/`Write`, Gemini CLI `replace`/`write_file`, Codex `apply_patch`). */
export interface EditView {
  kind: 'edit';
  path: string | null;
  /** Unified diff text. Hunks of `Edit` are numbered within the replaced snippet, not the file (the file is not in the request). */
  diff: string;
  added: number;
  removed: number;
  /** `Write`/`write_file`: the old content is unknown, the diff is against an empty file. */
  wholeFile: boolean;
}

export type ToolView = BashView | EditView;

export interface ToolCallItem extends ItemBase {
  kind: 'tool_call';
  id: string | null;
  name: string;
  input: unknown;
  result: ToolResultView | null;
  view: ToolView | null;
  /** The subagent thread this call started (a `Task`/`Agent` call tied by its prompt), see markRoles. */
  subagentThreadId: string | null;
}

/** A tool result whose call is not in the history (the history was compacted, or ids do not match). */
export interface OrphanResultItem extends ItemBase {
  kind: 'tool_result';
  id: string | null;
  result: ToolResultView;
}

export interface AttachmentItem extends ItemBase {
  kind: 'attachment';
  role: string;
  /** `image`, `document`, `image_url`, `inlineData`… */
  what: string;
  mediaType: string | null;
}

export type ConversationItem = UserItem | SystemItem | AssistantItem | ThinkingItem | ToolCallItem | OrphanResultItem | AttachmentItem;

export interface Conversation {
  threadId: string | null;
  api: LlmApi | null;
  model: string | null;
  /** The request whose body held the history (the thread's last request with a readable body). */
  historyTraceId: string | null;
  /** The system prompt's text, as the history's request (historyTraceId) has it ('' when none). */
  system: string;
  tools: string[];
  items: ConversationItem[];
  /** Every thread of the session, to move between them (see markRoles). */
  threads: Thread[];
  notes: string[];
}

export interface ConversationOptions {
  /** The thread to rebuild (default: the main thread). */
  threadId?: string;
}

/** Characters or lines over which a tool result is shown folded. */
export const FOLD_CHARS = 2000;
export const FOLD_LINES = 40;

/** Text the client adds to a user turn for the model, not typed by the user. */
const INJECTED = /^\s*<system-reminder>/;

function resultView(traceId: string, text: string, isError: boolean | null): ToolResultView {
  const lines = text === '' ? 0 : text.split('\n').length;
  return { traceId, text, isError, length: text.length, lines, foldable: text.length > FOLD_CHARS || lines > FOLD_LINES };
}

/** A message's digest, cache_control left out: what is compared to find where it first appeared. */
const messageKey = (m: PromptMessage): string => createHash('sha1').update(JSON.stringify(withoutKeys(m.raw, ['cache_control'])) ?? '').digest('base64');

/** A call of the thread as the origin search needs it: its messages' digests, and whether it had an answer. */
interface Carried {
  traceId: string;
  keys: string[];
  answered: boolean;
}

/**
 * For each message of the history, the call it came from: a request message from the first call that carried it at
 * that place; an assistant message from the answer of the call just before that one (the request it answered).
 */
function origins(calls: readonly Carried[], history: readonly PromptMessage[]): { traceId: string; source: ItemSource }[] {
  const out: { traceId: string; source: ItemSource }[] = [];
  const last = calls[calls.length - 1]!;
  const keys = calls[calls.length - 1]!.keys;
  let from = 0;
  for (let k = 0; k < history.length; k++) {
    const want = keys[k];
    let i = from;
    // Histories grow by appending; a message that is not at its place in a call (Claude Code's trailing system
    // message, a rewritten history) is looked for in the calls after it.
    while (i < calls.length && calls[i]!.keys[k] !== want) i++;
    if (i >= calls.length) i = calls.length - 1;
    else from = i;
    const role = history[k]!.role;
    const answered = i > 0 ? calls[i - 1]! : null;
    if (role === 'assistant' && answered?.answered) out.push({ traceId: answered.traceId, source: 'response' });
    else out.push({ traceId: (calls[i] ?? last).traceId, source: 'request' });
  }
  return out;
}

class Builder {
  readonly items: ConversationItem[] = [];
  private readonly calls = new Map<string, ToolCallItem>();
  private readonly unanswered: ToolCallItem[] = [];
  skipped = 0;

  constructor(private readonly subagents: Map<string, string>) {}

  toolCall(traceId: string, source: ItemSource, id: string | null, name: string, input: unknown): void {
    const item: ToolCallItem = { kind: 'tool_call', traceId, source, id, name, input, result: null, view: toolView(name, input, null), subagentThreadId: id ? (this.subagents.get(id) ?? null) : null };
    this.items.push(item);
    if (id) this.calls.set(id, item);
    this.unanswered.push(item);
  }

  toolResult(traceId: string, source: ItemSource, id: string | null, name: string | null, text: string, isError: boolean | null): void {
    // By id; a result without one (Gemini) answers the earliest open call of its name.
    const call = id ? this.calls.get(id) : this.unanswered.find((c) => c.result === null && (name === null || c.name === name));
    const result = resultView(traceId, text, isError);
    if (!call || call.result !== null) {
      this.items.push({ kind: 'tool_result', traceId, source, id, result });
      return;
    }
    call.result = result;
    call.view = toolView(call.name, call.input, { text, isError });
  }

  part(role: string, p: Part, traceId: string, source: ItemSource): void {
    switch (p.type) {
      case 'text':
        if (p.text.trim() === '') return;
        if (role === 'assistant') this.items.push({ kind: 'assistant', traceId, source, text: p.text });
        else if (role === 'system' || INJECTED.test(p.text)) this.items.push({ kind: 'system', traceId, source, text: p.text });
        else this.items.push({ kind: 'user', traceId, source, text: p.text });
        return;
      case 'thinking':
        if (p.text === '' && !p.redacted) return;
        this.items.push({ kind: 'thinking', traceId, source, text: p.text, redacted: p.redacted });
        return;
      case 'tool_call':
        this.toolCall(traceId, source, p.id, p.name, p.input);
        return;
      case 'tool_result':
        this.toolResult(traceId, source, p.id, p.name, p.text, p.isError);
        return;
      case 'attachment':
        this.items.push({ kind: 'attachment', traceId, source, role, what: p.what, mediaType: p.mediaType });
        return;
      case 'other':
        this.skipped++;
    }
  }
}

/** The conversation of one thread of the session (default: its main thread). Never throws. */
export function buildConversation(flows: readonly Flow[], usage?: readonly UsageRow[], options: ConversationOptions = {}): Conversation {
  const empty = (notes: string[], threads: Thread[] = []): Conversation => ({ threadId: options.threadId ?? null, api: null, model: null, historyTraceId: null, system: '', tools: [], items: [], threads, notes });
  try {
    const { roles, calls } = sessionRoles(flows, usage);
    const threads = roles.threads;
    const threadId = options.threadId ?? roles.mainThreadId;
    if (calls.length === 0) return empty(['the session has no LLM call whose API is known'], threads);
    if (threadId === null) return empty(['the session has no main thread (every request is a side call): pick one of its threads'], threads);
    const thread = roles.threads.find((t) => t.id === threadId);
    if (!thread) return empty([`no thread ${threadId} in this session`], threads);
    const mine = calls.filter((c) => c.mark.threadId === threadId && c.readable);
    const notes = [...roles.notes];
    if (mine.length === 0) return { ...empty([`no request of thread ${threadId} has a readable body`, ...calls.filter((c) => c.mark.threadId === threadId).flatMap((c) => c.notes)], threads), threadId };
    // Each request read again in turn, keeping only its messages' digests; the last one whole.
    const carried: Carried[] = [];
    let lastRead: ReturnType<typeof readSessionCall> | null = null;
    for (const c of mine) {
      const r = readSessionCall(c);
      carried.push({ traceId: c.mark.traceId, keys: (r.prompt?.messages ?? []).map(messageKey), answered: r.read.answer !== null });
      lastRead = r;
    }
    const last = mine[mine.length - 1]!;
    const { read, prompt } = lastRead!;
    if (prompt === null) return { ...empty([`the last request of thread ${threadId} could not be read again`], threads), threadId };
    const history = prompt.messages;
    const subagents = new Map<string, string>();
    for (const t of roles.threads) if (t.startedBy?.toolUseId) subagents.set(t.startedBy.toolUseId, t.id);
    const b = new Builder(subagents);
    const from = origins(carried, history);
    history.forEach((m, k) => {
      for (const p of m.parts) b.part(m.role, p, from[k]!.traceId, from[k]!.source);
    });
    const answer = read.answer;
    const id = last.mark.traceId;
    if (answer) {
      if (answer.thinking) b.part('assistant', { type: 'thinking', text: answer.thinking, redacted: false }, id, 'response');
      if (answer.text) b.part('assistant', { type: 'text', text: answer.text }, id, 'response');
      for (const t of answer.toolCalls) b.toolCall(id, 'response', t.id, t.name, t.input);
    }
    notes.push(...read.notes.map((n) => `the last request (${id}): ${n}`));
    if (b.skipped > 0) notes.push(`${b.skipped} message parts of kinds not shown were left out`);
    return {
      threadId,
      api: read.api,
      model: last.mark.model,
      historyTraceId: id,
      system: prompt.systemText,
      tools: thread.tools,
      items: b.items,
      threads,
      notes,
    };
  } catch (e) {
    return empty([`the conversation could not be rebuilt: ${(e as Error).message}`]);
  }
}
