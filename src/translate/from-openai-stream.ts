// OpenAI chat-completion chunks (the `data:` of its SSE stream) turned into Anthropic events as they arrive:
// reasoning (`reasoning_content`, or `reasoning` on OpenRouter and vLLM) as a thinking block, content as text,
// tool-call fragments by their `index` (parallel calls may interleave), and at the end — `[DONE]`, or the stream
// closing — the finish reason and the usage of the usage-only final chunk.
import { AnthropicStream } from './anthropic-stream.js';
import { openaiStop, openaiUsage } from './stop-usage.js';

interface Chunk {
  id?: string;
  model?: string;
  choices?: { delta?: { content?: string | null; refusal?: string | null; reasoning_content?: string | null; reasoning?: string | null; tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[] }; finish_reason?: string | null }[];
  usage?: Parameters<typeof openaiUsage>[0] | null;
  error?: { message?: string; type?: string };
}

export class OpenAIStreamTranslator {
  private readonly out: AnthropicStream;
  private finish: string | null = null;
  private calledTools = false;

  /** `sink`: the Anthropic events as objects, for a client of another format (see AnthropicStream). */
  constructor(model: string, sink?: (event: Record<string, unknown>) => void) {
    this.out = new AnthropicStream(model, 'openai', sink);
  }

  /** message_start's input_tokens until the provider says them (see AnthropicStream.inputEstimate). */
  set inputEstimate(n: number) {
    this.out.inputEstimate = n;
  }

  get finished(): boolean {
    return this.out.isFinished;
  }

  /** One `data:` payload of the provider's stream; returns the Anthropic SSE text it makes (possibly empty). */
  data(payload: string): string {
    if (payload.trim() === '[DONE]') return this.end();
    let c: Chunk;
    try {
      c = JSON.parse(payload) as Chunk;
    } catch {
      return '';
    }
    if (c.error) return this.out.start(undefined, undefined) + this.out.error('api_error', c.error.message ?? 'the provider reported an error');
    let s = this.out.start(c.id ? `msg_${c.id.replace(/^chatcmpl-/, '')}` : undefined, c.model);
    if (c.usage) this.out.usage = openaiUsage(c.usage);
    const choice = c.choices?.[0];
    if (!choice) return s;
    const d = choice.delta ?? {};
    const reasoning = d.reasoning_content ?? d.reasoning;
    if (reasoning) s += this.out.thinking(reasoning);
    if (d.content) s += this.out.text(d.content);
    // OpenAI's structured refusal: its text is the answer.
    if (d.refusal) s += this.out.text(d.refusal);
    for (const call of d.tool_calls ?? []) {
      const key = String(call.index ?? 0);
      if (!this.out.hasTool(key)) {
        this.calledTools = true;
        s += this.out.toolStart(key, call.id, call.function?.name ?? '');
      }
      if (call.function?.arguments) s += this.out.toolArgs(key, call.function.arguments);
    }
    if (choice.finish_reason) this.finish = choice.finish_reason;
    return s;
  }

  /** The provider's stream ended (after `[DONE]`, or without it). */
  end(): string {
    return this.out.finish(openaiStop(this.finish, this.calledTools));
  }

  /** The provider's stream broke off. */
  fail(message: string): string {
    return this.out.start(undefined, undefined) + this.out.error('api_error', message);
  }
}
