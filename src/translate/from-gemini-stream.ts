// Gemini's streamGenerateContent (`?alt=sse`) chunks turned into Anthropic events as they arrive. Each chunk is a
// whole GenerateContentResponse: thought parts go to a thinking block, text to a text block, and a functionCall —
// always whole in one chunk — to a tool_use block with its arguments as one input_json_delta. Every chunk carries
// usageMetadata, so message_start already has the real input_tokens.
import { AnthropicStream } from './anthropic-stream.js';
import type { GeminiChunk } from './from-gemini-response.js';
import { joinToolId } from './gemini-ids.js';
import { geminiStop, geminiUsage } from './stop-usage.js';

export class GeminiStreamTranslator {
  private readonly out: AnthropicStream;
  private finish: string | null = null;
  private calls = 0;

  /** `sink`: the Anthropic events as objects, for a client of another format (see AnthropicStream). */
  constructor(model: string, sink?: (event: Record<string, unknown>) => void) {
    this.out = new AnthropicStream(model, 'gemini', sink);
  }

  get finished(): boolean {
    return this.out.isFinished;
  }

  data(payload: string): string {
    let g: GeminiChunk & { error?: { message?: string } };
    try {
      g = JSON.parse(payload) as typeof g;
    } catch {
      return '';
    }
    if (g.error) return this.out.start(undefined, undefined) + this.out.error('api_error', g.error.message ?? 'the provider reported an error');
    if (g.usageMetadata) this.out.usage = geminiUsage(g.usageMetadata);
    let s = this.out.start(g.responseId ? `msg_${g.responseId}` : undefined, g.modelVersion);
    const cand = g.candidates?.[0];
    for (const p of cand?.content?.parts ?? []) {
      if (p.functionCall) {
        const key = String(this.calls++);
        s += this.out.toolStart(key, joinToolId(p.functionCall.id, p.thoughtSignature), p.functionCall.name ?? '');
        s += this.out.toolArgs(key, JSON.stringify(p.functionCall.args ?? {}));
      } else if (typeof p.text === 'string') s += p.thought ? this.out.thinking(p.text) : this.out.text(p.text);
    }
    if (cand?.finishReason) this.finish = cand.finishReason;
    else if (g.promptFeedback?.blockReason) this.finish = 'SAFETY';
    return s;
  }

  end(): string {
    return this.out.finish(geminiStop(this.finish, this.calls > 0));
  }

  fail(message: string): string {
    return this.out.start(undefined, undefined) + this.out.error('api_error', message);
  }
}
