// A request body of any of the four APIs read into one shape: the tools offered, the system prompt's blocks and the
// messages with their parts (text, thinking, tool calls, tool results, attachments), each with the JSON Pointer of
// where it sits in the body. The conversation, roles and cache views read requests through this, so they need to
// know each API's field names only here. Never throws: what it cannot read it leaves out.
import type { LlmApi } from '../usage/call.js';
import { obj } from '../usage/wire.js';
import { pointer } from './json-diff.js';

export type Part =
  | { type: 'text'; text: string }
  | { type: 'thinking'; text: string; redacted: boolean }
  | { type: 'tool_call'; id: string | null; name: string; input: unknown }
  | { type: 'tool_result'; id: string | null; name: string | null; text: string; isError: boolean | null }
  | { type: 'attachment'; what: string; mediaType: string | null }
  | { type: 'other'; what: string };

export interface PromptMessage {
  /** `user`, `assistant`, `system` (Claude Code puts one last; OpenAI's `developer` too), `tool` (a chat tool answer). */
  role: string;
  parts: Part[];
  /** The message as it came, for structural comparison. */
  raw: unknown;
  /** Where it sits in the body: `/messages/3`, `/input/5`, `/contents/2`. */
  path: string;
}

export interface PromptBlock {
  raw: unknown;
  path: string;
  /** Text of a system block, the name of a tool. */
  label: string;
}

export interface Prompt {
  api: LlmApi;
  tools: PromptBlock[];
  system: PromptBlock[];
  /** The system prompt's text, blocks joined with blank lines ('' when none). */
  systemText: string;
  messages: PromptMessage[];
  /** `max_tokens` / `max_completion_tokens` / `max_output_tokens` / `generationConfig.maxOutputTokens`. */
  maxTokens: number | null;
}

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const s = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Text of a tool result's content: a string, or text blocks joined (other blocks named in brackets). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((b) => {
        const o = obj(b);
        if (!o) return typeof b === 'string' ? b : '';
        if (typeof o.text === 'string') return o.text;
        return `[${s(o.type) || 'block'}]`;
      })
      .join('\n');
  }
  if (content === null || content === undefined) return '';
  return JSON.stringify(content);
}

function parseArgs(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function anthropicParts(content: unknown): Part[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  const out: Part[] = [];
  for (const b of arr(content).map(obj)) {
    if (!b) continue;
    switch (b.type) {
      case 'text':
        out.push({ type: 'text', text: s(b.text) });
        break;
      case 'thinking':
        out.push({ type: 'thinking', text: s(b.thinking), redacted: false });
        break;
      case 'redacted_thinking':
        out.push({ type: 'thinking', text: '', redacted: true });
        break;
      case 'tool_use':
      case 'server_tool_use':
        out.push({ type: 'tool_call', id: s(b.id) || null, name: s(b.name), input: b.input ?? {} });
        break;
      case 'tool_result':
        out.push({ type: 'tool_result', id: s(b.tool_use_id) || null, name: null, text: contentText(b.content), isError: typeof b.is_error === 'boolean' ? b.is_error : null });
        break;
      case 'image':
      case 'document':
        out.push({ type: 'attachment', what: String(b.type), mediaType: s(obj(b.source)?.media_type) || null });
        break;
      default:
        if (typeof b.type === 'string' && b.type.endsWith('_tool_result')) out.push({ type: 'tool_result', id: s(b.tool_use_id) || null, name: null, text: contentText(b.content), isError: null });
        else out.push({ type: 'other', what: s(b.type) || 'block' });
    }
  }
  return out;
}

function chatParts(m: Record<string, unknown>): Part[] {
  const out: Part[] = [];
  const reasoning = s(m.reasoning_content) || s(m.reasoning);
  if (reasoning) out.push({ type: 'thinking', text: reasoning, redacted: false });
  if (m.role === 'tool') return [{ type: 'tool_result', id: s(m.tool_call_id) || null, name: s(m.name) || null, text: contentText(m.content), isError: null }];
  if (typeof m.content === 'string') out.push({ type: 'text', text: m.content });
  for (const p of arr(m.content).map(obj)) {
    if (!p) continue;
    if (p.type === 'text' || p.type === 'input_text') out.push({ type: 'text', text: s(p.text) });
    else if (p.type === 'image_url' || p.type === 'input_audio' || p.type === 'file') out.push({ type: 'attachment', what: String(p.type), mediaType: null });
    else out.push({ type: 'other', what: s(p.type) || 'part' });
  }
  for (const tc of arr(m.tool_calls).map(obj)) {
    if (!tc) continue;
    const f = obj(tc.function) ?? {};
    out.push({ type: 'tool_call', id: s(tc.id) || null, name: s(f.name), input: parseArgs(s(f.arguments)) });
  }
  return out;
}

function responsesItem(item: Record<string, unknown>): { role: string; parts: Part[] } {
  const type = s(item.type) || (item.role ? 'message' : '');
  switch (type) {
    case 'message': {
      const parts: Part[] = [];
      if (typeof item.content === 'string') parts.push({ type: 'text', text: item.content });
      for (const c of arr(item.content).map(obj)) {
        if (!c) continue;
        if (typeof c.text === 'string') parts.push({ type: 'text', text: c.text });
        else if (c.type === 'input_image' || c.type === 'input_file') parts.push({ type: 'attachment', what: String(c.type), mediaType: null });
        else parts.push({ type: 'other', what: s(c.type) || 'part' });
      }
      return { role: s(item.role) || 'user', parts };
    }
    case 'reasoning': {
      const text = arr(item.summary).map((p) => s(obj(p)?.text)).join('\n');
      return { role: 'assistant', parts: [{ type: 'thinking', text, redacted: text === '' && item.encrypted_content !== undefined }] };
    }
    case 'function_call':
      return { role: 'assistant', parts: [{ type: 'tool_call', id: s(item.call_id) || s(item.id) || null, name: s(item.name), input: parseArgs(s(item.arguments)) }] };
    case 'custom_tool_call':
      return { role: 'assistant', parts: [{ type: 'tool_call', id: s(item.call_id) || s(item.id) || null, name: s(item.name), input: item.input ?? '' }] };
    case 'local_shell_call':
      return { role: 'assistant', parts: [{ type: 'tool_call', id: s(item.call_id) || s(item.id) || null, name: 'local_shell', input: item.action ?? {} }] };
    case 'function_call_output':
    case 'custom_tool_call_output':
    case 'local_shell_call_output':
      return { role: 'tool', parts: [{ type: 'tool_result', id: s(item.call_id) || null, name: null, text: contentText(item.output), isError: null }] };
    default:
      return { role: 'other', parts: [{ type: 'other', what: type || 'item' }] };
  }
}

function geminiParts(parts: unknown): Part[] {
  const out: Part[] = [];
  for (const p of arr(parts).map(obj)) {
    if (!p) continue;
    if (typeof p.text === 'string') out.push(p.thought === true ? { type: 'thinking', text: p.text, redacted: false } : { type: 'text', text: p.text });
    else if (obj(p.functionCall)) {
      const fc = obj(p.functionCall)!;
      out.push({ type: 'tool_call', id: s(fc.id) || null, name: s(fc.name), input: fc.args ?? {} });
    } else if (obj(p.functionResponse)) {
      const fr = obj(p.functionResponse)!;
      const response = obj(fr.response);
      const text = typeof response?.output === 'string' ? response.output : typeof response?.error === 'string' ? response.error : JSON.stringify(fr.response ?? null);
      out.push({ type: 'tool_result', id: s(fr.id) || null, name: s(fr.name) || null, text, isError: response && 'error' in response ? true : null });
    } else if (obj(p.inlineData) || obj(p.fileData)) out.push({ type: 'attachment', what: obj(p.inlineData) ? 'inlineData' : 'fileData', mediaType: s(obj(p.inlineData ?? p.fileData)?.mimeType) || null });
    else out.push({ type: 'other', what: Object.keys(p)[0] ?? 'part' });
  }
  return out;
}

function textOfBlock(b: unknown): string {
  if (typeof b === 'string') return b;
  const o = obj(b);
  return o && typeof o.text === 'string' ? o.text : '';
}

/** The request body read as a prompt of `api`. */
export function readPrompt(api: LlmApi, body: Record<string, unknown>): Prompt {
  const p: Prompt = { api, tools: [], system: [], systemText: '', messages: [], maxTokens: null };
  const toolName = (t: unknown): string => {
    const o = obj(t) ?? {};
    return s(o.name) || s(obj(o.function)?.name) || s(o.type) || 'tool';
  };
  if (api === 'gemini') {
    const req = obj(body.request) && body.contents === undefined ? obj(body.request)! : body;
    const base = req === body ? [] : ['request'];
    arr(req.tools).forEach((t, j) => {
      const decls = arr(obj(t)?.functionDeclarations);
      const label = decls.length > 0 ? decls.map((d) => s(obj(d)?.name)).join(', ') : Object.keys(obj(t) ?? {})[0] ?? 'tool';
      p.tools.push({ raw: t, path: pointer([...base, 'tools', j]), label });
    });
    const si = obj(req.systemInstruction ?? req.system_instruction);
    arr(si?.parts).forEach((part, i) => p.system.push({ raw: part, path: pointer([...base, req.systemInstruction ? 'systemInstruction' : 'system_instruction', 'parts', i]), label: textOfBlock(part) }));
    arr(req.contents).forEach((c, k) => {
      const o = obj(c) ?? {};
      p.messages.push({ role: s(o.role) === 'model' ? 'assistant' : s(o.role) || 'user', parts: geminiParts(o.parts), raw: c, path: pointer([...base, 'contents', k]) });
    });
    p.maxTokens = num(obj(req.generationConfig)?.maxOutputTokens);
  } else if (api === 'openai-responses') {
    arr(body.tools).forEach((t, j) => p.tools.push({ raw: t, path: pointer(['tools', j]), label: toolName(t) }));
    if (typeof body.instructions === 'string' && body.instructions !== '') p.system.push({ raw: body.instructions, path: '/instructions', label: body.instructions });
    if (typeof body.input === 'string') p.messages.push({ role: 'user', parts: [{ type: 'text', text: body.input }], raw: body.input, path: '/input' });
    arr(body.input).forEach((it, k) => {
      const o = obj(it);
      if (!o) return;
      const { role, parts } = responsesItem(o);
      p.messages.push({ role: role === 'developer' ? 'system' : role, parts, raw: it, path: pointer(['input', k]) });
    });
    p.maxTokens = num(body.max_output_tokens);
  } else if (api === 'openai-chat') {
    arr(body.tools).forEach((t, j) => p.tools.push({ raw: t, path: pointer(['tools', j]), label: toolName(t) }));
    arr(body.messages).forEach((m, k) => {
      const o = obj(m);
      if (!o) return;
      const role = s(o.role) === 'developer' ? 'system' : s(o.role) || 'user';
      // Leading system messages are the system prompt (they head the cached prefix, as Anthropic's `system` does).
      if (role === 'system' && p.messages.length === 0) {
        p.system.push({ raw: m, path: pointer(['messages', k]), label: contentText(o.content) });
        return;
      }
      p.messages.push({ role, parts: chatParts(o), raw: m, path: pointer(['messages', k]) });
    });
    p.maxTokens = num(body.max_completion_tokens) ?? num(body.max_tokens);
  } else {
    arr(body.tools).forEach((t, j) => p.tools.push({ raw: t, path: pointer(['tools', j]), label: toolName(t) }));
    if (typeof body.system === 'string') {
      if (body.system !== '') p.system.push({ raw: body.system, path: '/system', label: body.system });
    } else arr(body.system).forEach((b, i) => p.system.push({ raw: b, path: pointer(['system', i]), label: textOfBlock(b) }));
    arr(body.messages).forEach((m, k) => {
      const o = obj(m);
      if (!o) return;
      p.messages.push({ role: s(o.role) || 'user', parts: anthropicParts(o.content), raw: m, path: pointer(['messages', k]) });
    });
    p.maxTokens = num(body.max_tokens);
  }
  p.systemText = p.system.map((b) => b.label).filter((t) => t !== '').join('\n\n');
  return p;
}

/** The names of the tools offered (Gemini: each function declaration). */
export function toolNames(p: Prompt): string[] {
  return p.tools.flatMap((t) => t.label.split(', ')).filter((n) => n !== '');
}

/** The text of a message's text parts, joined. */
export function messageText(m: PromptMessage): string {
  return m.parts
    .filter((x): x is Extract<Part, { type: 'text' }> => x.type === 'text')
    .map((x) => x.text)
    .join('\n');
}
