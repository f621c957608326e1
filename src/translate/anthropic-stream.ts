// Writes Anthropic's SSE events for a translated stream: message_start, content blocks opened, filled and closed
// in order, message_delta with stop reason and usage, message_stop. It keeps only what the next event needs: the
// open text/thinking block, the open tool blocks (by the provider's key) and each one's arguments so far, so an
// empty or cut-short argument text can be made whole JSON when the block closes.
import { translatedSignature } from './thinking-origin.js';
import { closingSuffix, newMessageId, newToolId, type StopReason, type Usage } from './anthropic.js';

export const sse = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;

interface ToolBlock {
  index: number;
  args: string;
  /** Arguments that did not begin as an object are held and replaced by `{}`. */
  held: boolean;
}

export class AnthropicStream {
  private started = false;
  private finished = false;
  private next = 0;
  /** The open text or thinking block. */
  private open: { kind: 'text' | 'thinking'; index: number } | null = null;
  private readonly tools = new Map<string, ToolBlock>();
  usage: Usage = { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  /** message_start's input_tokens when the provider has not said them yet (a local estimate), or 0. */
  inputEstimate = 0;

  /**
   * With `sink`, each event goes to it as an object (for a client of another format, which writes its own events)
   * and the methods return ''; without, they return the events as SSE text.
   */
  constructor(
    private readonly model: string,
    /** The format the events are made from: thinking blocks are signed with it (thinking-origin.ts). */
    private readonly origin: string,
    private readonly sink?: (event: Record<string, unknown>) => void,
  ) {}

  private sse(type: string, data: Record<string, unknown>): string {
    if (this.sink) {
      this.sink(data);
      return '';
    }
    return sse(type, data);
  }

  get isStarted(): boolean {
    return this.started;
  }
  get isFinished(): boolean {
    return this.finished;
  }

  start(id: string | undefined, model: string | undefined): string {
    if (this.started) return '';
    this.started = true;
    const message = { id: id ?? newMessageId(), type: 'message', role: 'assistant', model: model ?? this.model, content: [], stop_reason: null, stop_sequence: null, usage: this.usage };
    return this.sse('message_start', { type: 'message_start', message: { ...message, usage: { ...this.usage, input_tokens: this.usage.input_tokens || this.inputEstimate } } });
  }

  text(delta: string): string {
    return this.piece('text', delta);
  }

  thinking(delta: string): string {
    return this.piece('thinking', delta);
  }

  private piece(kind: 'text' | 'thinking', delta: string): string {
    if (delta === '' || this.finished) return '';
    let out = '';
    if (this.open?.kind !== kind) {
      out += this.closeAll();
      this.open = { kind, index: this.next++ };
      out += this.sse('content_block_start', { type: 'content_block_start', index: this.open.index, content_block: kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' } });
    }
    const d = kind === 'text' ? { type: 'text_delta', text: delta } : { type: 'thinking_delta', thinking: delta };
    return out + this.sse('content_block_delta', { type: 'content_block_delta', index: this.open.index, delta: d });
  }

  /** A tool call begins (key: the provider's index for it). The text or thinking before it is closed first. */
  toolStart(key: string, id: string | undefined, name: string): string {
    if (this.finished) return '';
    let out = this.closeOpen();
    const index = this.next++;
    this.tools.set(key, { index, args: '', held: false });
    out += this.sse('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: id || newToolId(), name, input: {} } });
    return out;
  }

  hasTool(key: string): boolean {
    return this.tools.has(key);
  }

  toolArgs(key: string, fragment: string): string {
    const t = this.tools.get(key);
    if (!t || fragment === '' || this.finished) return '';
    const wasEmpty = t.args.trim() === '';
    t.args += fragment;
    if (wasEmpty && t.args.trim() !== '' && !t.args.trimStart().startsWith('{')) t.held = true;
    if (t.held) return '';
    return this.sse('content_block_delta', { type: 'content_block_delta', index: t.index, delta: { type: 'input_json_delta', partial_json: fragment } });
  }

  /** Ends the stream: open blocks closed, then message_delta (stop reason, usage) and message_stop. */
  finish(stop: StopReason): string {
    if (this.finished) return '';
    let out = this.start(undefined, undefined) + this.closeAll();
    this.finished = true;
    out += this.sse('message_delta', { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: this.usage });
    return out + this.sse('message_stop', { type: 'message_stop' });
  }

  /** An error after the stream began: Anthropic's `error` event, and nothing after it. */
  error(type: string, message: string): string {
    if (this.finished) return '';
    this.finished = true;
    return this.sse('error', { type: 'error', error: { type, message } });
  }

  private closeOpen(): string {
    if (!this.open) return '';
    let out = '';
    if (this.open.kind === 'thinking') out += this.sse('content_block_delta', { type: 'content_block_delta', index: this.open.index, delta: { type: 'signature_delta', signature: translatedSignature(this.origin) } });
    out += this.sse('content_block_stop', { type: 'content_block_stop', index: this.open.index });
    this.open = null;
    return out;
  }

  private closeAll(): string {
    let out = this.closeOpen();
    for (const t of this.tools.values()) {
      const trimmed = t.args.trim();
      let fix = '';
      if (t.held || trimmed === '') fix = '{}';
      else {
        const suffix = closingSuffix(trimmed);
        if (suffix) fix = suffix;
      }
      if (fix) out += this.sse('content_block_delta', { type: 'content_block_delta', index: t.index, delta: { type: 'input_json_delta', partial_json: fix } });
      out += this.sse('content_block_stop', { type: 'content_block_stop', index: t.index });
    }
    this.tools.clear();
    return out;
  }
}
