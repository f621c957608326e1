// The message a model answered with, put together from its response: the text, the thinking, and the tool calls
// with their JSON input, whether it came as one JSON body or as a stream of deltas. One reader per API format
// (Anthropic Messages, OpenAI chat completions and Responses, Gemini), for `ccproxy show`. Never throws: a part it
// cannot read is left out.
import type { LlmApi } from '../usage/call.js';
import { obj, type SseEvent } from '../usage/wire.js';

export interface ToolCall {
  id: string | null;
  name: string;
  /** The parsed JSON input, or the text as it came when it is not JSON (a stream cut midway). */
  input: unknown;
}

export interface AssembledMessage {
  text: string;
  thinking: string;
  toolCalls: ToolCall[];
  stopReason: string | null;
}

const empty = (): AssembledMessage => ({ text: '', thinking: '', toolCalls: [], stopReason: null });
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const s = (v: unknown): string => (typeof v === 'string' ? v : '');
const jsonInput = (text: string): unknown => {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

function datas(events: readonly SseEvent[]): { event: string | null; data: Record<string, unknown> }[] {
  const out: { event: string | null; data: Record<string, unknown> }[] = [];
  for (const e of events) {
    try {
      const d = obj(JSON.parse(e.data));
      if (d) out.push({ event: e.event, data: d });
    } catch {
      // [DONE], keep-alives, a cut last event
    }
  }
  return out;
}

function anthropicContent(m: AssembledMessage, content: unknown): void {
  for (const b of arr(content).map(obj)) {
    if (!b) continue;
    if (b.type === 'text') m.text += s(b.text);
    else if (b.type === 'thinking') m.thinking += s(b.thinking);
    else if (b.type === 'tool_use' || b.type === 'server_tool_use') m.toolCalls.push({ id: s(b.id) || null, name: s(b.name), input: b.input ?? {} });
  }
}

function anthropicStream(events: readonly SseEvent[]): AssembledMessage {
  const m = empty();
  const blocks = new Map<number, { type: string; id: string | null; name: string; json: string }>();
  for (const { data } of datas(events)) {
    const index = typeof data.index === 'number' ? data.index : -1;
    if (data.type === 'content_block_start') {
      const b = obj(data.content_block) ?? {};
      blocks.set(index, { type: s(b.type), id: s(b.id) || null, name: s(b.name), json: '' });
      if (b.type === 'text') m.text += s(b.text);
      if (b.type === 'thinking') m.thinking += s(b.thinking);
    } else if (data.type === 'content_block_delta') {
      const d = obj(data.delta) ?? {};
      if (d.type === 'text_delta') m.text += s(d.text);
      else if (d.type === 'thinking_delta') m.thinking += s(d.thinking);
      else if (d.type === 'input_json_delta') {
        const b = blocks.get(index);
        if (b) b.json += s(d.partial_json);
      }
    } else if (data.type === 'message_delta') {
      m.stopReason = s(obj(data.delta)?.stop_reason) || m.stopReason;
    }
  }
  for (const b of [...blocks.entries()].sort((a, c) => a[0] - c[0]).map(([, b]) => b)) {
    if (b.type === 'tool_use' || b.type === 'server_tool_use') m.toolCalls.push({ id: b.id, name: b.name, input: jsonInput(b.json) });
  }
  return m;
}

function chatJson(body: Record<string, unknown>): AssembledMessage {
  const m = empty();
  const choice = obj(arr(body.choices)[0]) ?? {};
  const msg = obj(choice.message) ?? {};
  m.text = s(msg.content);
  m.thinking = s(msg.reasoning_content) || s(msg.reasoning);
  for (const tc of arr(msg.tool_calls).map(obj)) {
    const f = obj(tc?.function) ?? {};
    m.toolCalls.push({ id: s(tc?.id) || null, name: s(f.name), input: jsonInput(s(f.arguments)) });
  }
  m.stopReason = s(choice.finish_reason) || null;
  return m;
}

function chatStream(events: readonly SseEvent[]): AssembledMessage {
  const m = empty();
  const calls = new Map<number, { id: string | null; name: string; args: string }>();
  for (const { data } of datas(events)) {
    const choice = obj(arr(data.choices)[0]);
    if (!choice) continue;
    const d = obj(choice.delta) ?? {};
    m.text += s(d.content);
    m.thinking += s(d.reasoning_content) || s(d.reasoning);
    for (const tc of arr(d.tool_calls).map(obj)) {
      if (!tc) continue;
      const i = typeof tc.index === 'number' ? tc.index : calls.size;
      const c = calls.get(i) ?? { id: null, name: '', args: '' };
      const f = obj(tc.function) ?? {};
      c.id ??= s(tc.id) || null;
      c.name += s(f.name);
      c.args += s(f.arguments);
      calls.set(i, c);
    }
    if (s(choice.finish_reason)) m.stopReason = s(choice.finish_reason);
  }
  for (const [, c] of [...calls.entries()].sort((a, b) => a[0] - b[0])) m.toolCalls.push({ id: c.id, name: c.name, input: jsonInput(c.args) });
  return m;
}

function responsesOutput(response: Record<string, unknown>): AssembledMessage {
  const m = empty();
  for (const item of arr(response.output).map(obj)) {
    if (!item) continue;
    if (item.type === 'message') for (const c of arr(item.content).map(obj)) m.text += c?.type === 'output_text' ? s(c.text) : '';
    else if (item.type === 'reasoning') m.thinking += arr(item.summary).map((p) => s(obj(p)?.text)).join('\n');
    else if (item.type === 'function_call' || item.type === 'custom_tool_call') m.toolCalls.push({ id: s(item.call_id) || s(item.id) || null, name: s(item.name), input: jsonInput(s(item.arguments) || s(item.input)) });
  }
  m.stopReason = s(response.status) || null;
  return m;
}

function responsesStream(events: readonly SseEvent[]): AssembledMessage {
  const items = datas(events);
  const done = items.find((e) => e.data.type === 'response.completed' || e.data.type === 'response.incomplete');
  const final = obj(done?.data.response);
  if (final && arr(final.output).length > 0) return responsesOutput(final);
  // No final response (a stream cut midway): the deltas and the items that finished.
  const m = empty();
  for (const { data } of items) {
    if (data.type === 'response.output_text.delta') m.text += s(data.delta);
    else if (data.type === 'response.reasoning_summary_text.delta' || data.type === 'response.reasoning_text.delta') m.thinking += s(data.delta);
    else if (data.type === 'response.output_item.done') {
      const item = obj(data.item);
      if (item?.type === 'function_call') m.toolCalls.push({ id: s(item.call_id) || null, name: s(item.name), input: jsonInput(s(item.arguments)) });
    }
  }
  return m;
}

function geminiParts(m: AssembledMessage, body: Record<string, unknown>): void {
  const cand = obj(arr(body.candidates)[0]);
  if (!cand) return;
  for (const p of arr(obj(cand.content)?.parts).map(obj)) {
    if (!p) continue;
    if (typeof p.text === 'string') {
      if (p.thought === true) m.thinking += p.text;
      else m.text += p.text;
    }
    const fc = obj(p.functionCall);
    if (fc) m.toolCalls.push({ id: s(fc.id) || null, name: s(fc.name), input: fc.args ?? {} });
  }
  if (s(cand.finishReason)) m.stopReason = s(cand.finishReason);
}

/** The message of a JSON response body (Gemini's streamGenerateContent without SSE is a JSON array of chunks). */
export function assembleJson(api: LlmApi, body: unknown): AssembledMessage | null {
  const o = obj(body);
  if (api === 'gemini') {
    const m = empty();
    for (const part of Array.isArray(body) ? body : [body]) {
      const p = obj(part);
      if (p) geminiParts(m, p);
    }
    return m;
  }
  if (!o) return null;
  if (api === 'anthropic-messages') {
    const m = empty();
    anthropicContent(m, o.content);
    m.stopReason = s(o.stop_reason) || null;
    return m;
  }
  return api === 'openai-chat' ? chatJson(o) : responsesOutput(o);
}

/** The message a stream of SSE events makes. */
export function assembleStream(api: LlmApi, events: readonly SseEvent[]): AssembledMessage {
  switch (api) {
    case 'anthropic-messages':
      return anthropicStream(events);
    case 'openai-chat':
      return chatStream(events);
    case 'openai-responses':
      return responsesStream(events);
    case 'gemini': {
      const m = empty();
      for (const { data } of datas(events)) geminiParts(m, data);
      return m;
    }
  }
}
