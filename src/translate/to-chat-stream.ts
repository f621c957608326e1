// Anthropic stream events turned into OpenAI chat.completion.chunk SSE as they arrive: the role chunk at
// message_start, text as content deltas, thinking as reasoning_content, each tool_use block as a tool call with its
// own `index` (id and name first, then its input_json_delta fragments as arguments), the finish chunk at the end,
// the usage-only chunk (`choices: []`) when the client asked for it, then `[DONE]`. It keeps the message's id and
// model, the tool index of each open block, and the usage so far.
import { chatId } from './to-chat-response.js';
import { chatFinish, chatUsage } from './stop-usage.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Event = Record<string, any>;

export class ChatStreamWriter {
  private id = chatId(undefined);
  private model: string;
  private readonly created = Math.floor(Date.now() / 1000);
  /** Anthropic block index → tool call index. */
  private readonly tools = new Map<number, number>();
  private usage: Event = {};
  private stop: string | null = null;
  private done = false;
  /** The stop reason the provider gave, for a warning when it has no chat equivalent. */
  stopReason: string | null = null;

  constructor(
    model: string,
    private readonly includeUsage: boolean,
  ) {
    this.model = model;
  }

  get finished(): boolean {
    return this.done;
  }

  private chunk(delta: Event, finish: string | null = null): string {
    return `data: ${JSON.stringify({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, system_fingerprint: null, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  }

  /** One Anthropic event; returns the chat SSE it makes (possibly empty). */
  event(e: Event): string {
    if (this.done) return '';
    switch (e.type) {
      case 'message_start':
        this.id = chatId(e.message?.id);
        if (e.message?.model) this.model = e.message.model;
        this.usage = { ...e.message?.usage };
        return this.chunk({ role: 'assistant', content: '', refusal: null });
      case 'content_block_start': {
        const b = e.content_block ?? {};
        if (b.type !== 'tool_use') return b.type === 'text' && b.text ? this.chunk({ content: b.text }) : '';
        const index = this.tools.size;
        this.tools.set(e.index, index);
        return this.chunk({ tool_calls: [{ index, id: b.id, type: 'function', function: { name: b.name, arguments: '' } }] });
      }
      case 'content_block_delta': {
        const d = e.delta ?? {};
        if (d.type === 'text_delta') return d.text ? this.chunk({ content: d.text }) : '';
        if (d.type === 'thinking_delta') return d.thinking ? this.chunk({ reasoning_content: d.thinking }) : '';
        if (d.type === 'input_json_delta') {
          const index = this.tools.get(e.index);
          return index === undefined || !d.partial_json ? '' : this.chunk({ tool_calls: [{ index, function: { arguments: d.partial_json } }] });
        }
        return '';
      }
      case 'message_delta':
        if (e.delta?.stop_reason) this.stop = e.delta.stop_reason;
        // message_delta's usage is cumulative; input counts may come only here.
        for (const [k, v] of Object.entries(e.usage ?? {})) if (typeof v === 'number') this.usage[k] = v;
        return '';
      case 'message_stop':
        return this.end();
      case 'error':
        return this.fail(e.error?.type ?? 'api_error', e.error?.message ?? 'the provider reported an error');
      default:
        return '';
    }
  }

  /** The stream ended: the finish chunk, the usage chunk when asked for, `[DONE]`. */
  end(): string {
    if (this.done) return '';
    this.done = true;
    this.stopReason = this.stop;
    let out = this.chunk({}, chatFinish(this.stop));
    if (this.includeUsage) out += `data: ${JSON.stringify({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, system_fingerprint: null, choices: [], usage: chatUsage(this.usage) })}\n\n`;
    return out + 'data: [DONE]\n\n';
  }

  /** An error after the stream began: OpenAI's error object as a data event, and nothing after it. */
  fail(type: string, message: string): string {
    if (this.done) return '';
    this.done = true;
    return `data: ${JSON.stringify({ error: { message, type, param: null, code: type } })}\n\n`;
  }
}
