// Anthropic answers in the Responses API's shapes: a message as a Response object (output items: reasoning with
// its summary and the signature in encrypted_content, the assistant message with output_text, function_call or
// custom_tool_call per tool_use), and a stream of Anthropic events as the Responses events, emitted as they come:
// response.created / in_progress, output_item.added, content_part.added, output_text.delta,
// function_call_arguments.delta, reasoning_summary_text.delta, the matching .done events, output_item.done, and
// response.completed (or response.incomplete) with the usage. Each event carries its sequence_number.
import { randomBytes } from 'node:crypto';
import { wholeArguments, type Block } from './anthropic.js';
import { responsesUsage } from './stop-usage.js';
import type { AnthropicMessage } from './to-chat-response.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Event = Record<string, any>;

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
export const responseId = (id: string | undefined) => (id ? `resp_${id.replace(/^msg_/, '')}` : newId('resp'));

/** Why a response is incomplete, by Anthropic stop reason; other stops complete it. */
const INCOMPLETE: Record<string, string> = { max_tokens: 'max_output_tokens', model_context_window_exceeded: 'max_output_tokens', refusal: 'content_filter' };

function shell(id: string, model: string, status: string, output: Event[], usage: Event | null, stop: string | null): Event {
  const reason = stop ? INCOMPLETE[stop] : undefined;
  return {
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: status === 'completed' && reason ? 'incomplete' : status,
    error: null,
    incomplete_details: status === 'completed' && reason ? { reason } : null,
    model,
    output,
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    usage,
  };
}

const messageItem = (id: string, text: string, status: string) => ({ id, type: 'message', status, role: 'assistant', content: [{ type: 'output_text', text, annotations: [], logprobs: [] }] });
const reasoningItem = (id: string, text: string, signature: string) => ({ id, type: 'reasoning', summary: text ? [{ type: 'summary_text', text }] : [], ...(signature ? { encrypted_content: signature } : {}) });
function callItem(id: string, callId: string, name: string, args: string, custom: boolean, status: string): Event {
  if (!custom) return { id, type: 'function_call', status, call_id: callId, name, arguments: args };
  let input = '';
  try {
    input = String((JSON.parse(wholeArguments(args)) as { input?: unknown }).input ?? '');
  } catch {
    /* whole arguments always parse */
  }
  return { id, type: 'custom_tool_call', status, call_id: callId, name, input };
}

export function toResponsesResponse(m: AnthropicMessage, model: string, customTools: Set<string>): Event {
  const output: Event[] = [];
  for (const b of m.content ?? ([] as Block[])) {
    if (b.type === 'thinking') output.push(reasoningItem(newId('rs'), String(b.thinking ?? ''), String(b.signature ?? '')));
    else if (b.type === 'text') {
      const last = output.at(-1);
      if (last?.type === 'message') last.content[0].text += String(b.text);
      else output.push(messageItem(newId('msg'), String(b.text), 'completed'));
    } else if (b.type === 'tool_use') output.push(callItem(newId('fc'), String(b.id), String(b.name), JSON.stringify(b.input ?? {}), customTools.has(String(b.name)), 'completed'));
  }
  return shell(responseId(m.id), m.model ?? model, 'completed', output, responsesUsage(m.usage), m.stop_reason ?? null);
}

interface OpenItem {
  outputIndex: number;
  item: Event;
  /** Text, summary or arguments so far. */
  text: string;
  kind: 'message' | 'reasoning' | 'call';
  custom: boolean;
  signature: string;
}

export class ResponsesStreamWriter {
  private seq = 0;
  private id = responseId(undefined);
  private model: string;
  private started = false;
  private done = false;
  private readonly output: Event[] = [];
  /** Anthropic block index → the output item it fills. */
  private readonly open = new Map<number, OpenItem>();
  private usage: Event = {};
  private stop: string | null = null;
  /** The stop reason the provider gave, once the stream ended. */
  stopReason: string | null = null;

  /** `emit` gets each Responses event (SSE or WebSocket framing is the caller's). */
  constructor(
    model: string,
    private readonly customTools: Set<string>,
    private readonly emit: (event: Event) => void,
  ) {
    this.model = model;
  }

  get finished(): boolean {
    return this.done;
  }

  private send(type: string, fields: Event): void {
    this.emit({ type, sequence_number: this.seq++, ...fields });
  }

  private begin(id?: string, model?: string): void {
    if (this.started) return;
    this.started = true;
    if (id) this.id = responseId(id);
    if (model) this.model = model;
    const r = shell(this.id, this.model, 'in_progress', [], null, null);
    this.send('response.created', { response: r });
    this.send('response.in_progress', { response: r });
  }

  event(e: Event): void {
    if (this.done) return;
    switch (e.type) {
      case 'message_start':
        this.usage = { ...e.message?.usage };
        return this.begin(e.message?.id, e.message?.model);
      case 'content_block_start':
        return this.blockStart(e.index, e.content_block ?? {});
      case 'content_block_delta':
        return this.delta(e.index, e.delta ?? {});
      case 'content_block_stop':
        return this.blockStop(e.index);
      case 'message_delta':
        if (e.delta?.stop_reason) this.stop = e.delta.stop_reason;
        for (const [k, v] of Object.entries(e.usage ?? {})) if (typeof v === 'number') this.usage[k] = v;
        return;
      case 'message_stop':
        return this.end();
      case 'error':
        return this.fail(e.error?.type ?? 'api_error', e.error?.message ?? 'the provider reported an error');
    }
  }

  private blockStart(index: number, b: Event): void {
    this.begin();
    const outputIndex = this.output.length;
    let o: OpenItem;
    if (b.type === 'text') o = { outputIndex, item: messageItem(newId('msg'), '', 'in_progress'), text: '', kind: 'message', custom: false, signature: '' };
    else if (b.type === 'thinking') o = { outputIndex, item: reasoningItem(newId('rs'), '', ''), text: '', kind: 'reasoning', custom: false, signature: String(b.signature ?? '') };
    else if (b.type === 'tool_use') {
      const custom = this.customTools.has(String(b.name));
      o = { outputIndex, item: callItem(newId('fc'), String(b.id), String(b.name), '', custom, 'in_progress'), text: '', kind: 'call', custom, signature: '' };
    } else return;
    this.output.push(o.item);
    this.open.set(index, o);
    const item = o.kind === 'message' ? { ...o.item, content: [] } : o.item;
    this.send('response.output_item.added', { output_index: outputIndex, item });
    if (o.kind === 'message') this.send('response.content_part.added', { item_id: o.item.id, output_index: outputIndex, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
    if (o.kind === 'reasoning') this.send('response.reasoning_summary_part.added', { item_id: o.item.id, output_index: outputIndex, summary_index: 0, part: { type: 'summary_text', text: '' } });
    if (b.type === 'text' && b.text) this.delta(index, { type: 'text_delta', text: b.text });
  }

  private delta(index: number, d: Event): void {
    const o = this.open.get(index);
    if (!o) return;
    const at = { item_id: o.item.id, output_index: o.outputIndex };
    if (d.type === 'text_delta' && o.kind === 'message' && d.text) {
      o.text += d.text;
      this.send('response.output_text.delta', { ...at, content_index: 0, delta: d.text, logprobs: [] });
    } else if (d.type === 'thinking_delta' && o.kind === 'reasoning' && d.thinking) {
      o.text += d.thinking;
      this.send('response.reasoning_summary_text.delta', { ...at, summary_index: 0, delta: d.thinking });
    } else if (d.type === 'signature_delta' && o.kind === 'reasoning') o.signature += String(d.signature ?? '');
    else if (d.type === 'input_json_delta' && o.kind === 'call' && d.partial_json) {
      o.text += d.partial_json;
      // A custom tool's input is free text: it is sent whole when the call is done.
      if (!o.custom) this.send('response.function_call_arguments.delta', { ...at, delta: d.partial_json });
    }
  }

  private blockStop(index: number): void {
    const o = this.open.get(index);
    if (!o) return;
    this.open.delete(index);
    const at = { item_id: o.item.id, output_index: o.outputIndex };
    let item: Event;
    if (o.kind === 'message') {
      item = messageItem(o.item.id, o.text, 'completed');
      this.send('response.output_text.done', { ...at, content_index: 0, text: o.text, logprobs: [] });
      this.send('response.content_part.done', { ...at, content_index: 0, part: item.content[0] });
    } else if (o.kind === 'reasoning') {
      item = reasoningItem(o.item.id, o.text, o.signature);
      this.send('response.reasoning_summary_text.done', { ...at, summary_index: 0, text: o.text });
      this.send('response.reasoning_summary_part.done', { ...at, summary_index: 0, part: { type: 'summary_text', text: o.text } });
    } else {
      const args = wholeArguments(o.text);
      item = callItem(o.item.id, o.item.call_id, o.item.name, args, o.custom, 'completed');
      if (o.custom) this.send('response.custom_tool_call_input.done', { ...at, input: item.input });
      else this.send('response.function_call_arguments.done', { ...at, name: o.item.name, arguments: args });
    }
    this.output[o.outputIndex] = item;
    this.send('response.output_item.done', { output_index: o.outputIndex, item });
  }

  /** The stream ended: open items closed, then response.completed (or .incomplete) with the whole output and usage. */
  end(): void {
    if (this.done) return;
    this.begin();
    for (const index of [...this.open.keys()]) this.blockStop(index);
    this.done = true;
    this.stopReason = this.stop;
    const r = shell(this.id, this.model, 'completed', this.output, responsesUsage(this.usage), this.stop);
    this.send(r.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: r });
  }

  /** An error after the stream began: response.failed with the error, and nothing after it. */
  fail(type: string, message: string): void {
    if (this.done) return;
    this.begin();
    this.done = true;
    const r = { ...shell(this.id, this.model, 'failed', this.output, responsesUsage(this.usage), null), error: { code: type, message } };
    this.send('response.failed', { response: r });
  }
}

/** A Responses event as SSE text. */
export const responsesSse = (e: Event) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
