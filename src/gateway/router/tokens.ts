// The tokens an answer used, for a deployment's tpm limit, read from the usage fields as the answer passes (JSON or
// SSE, any of the three formats): Anthropic's input/output/cache tokens, OpenAI's prompt/completion (or Responses'
// input/output) tokens, Gemini's totalTokenCount. A stream repeats or accumulates them, so each field's largest value
// counts. Fields split across two chunks are missed: the count is for a limit, not for billing.

const FIELD = /"(input_tokens|output_tokens|cache_creation_input_tokens|cache_read_input_tokens|prompt_tokens|completion_tokens|total_tokens|totalTokenCount)"\s*:\s*(\d+)/g;

export class TokenTally {
  private max = new Map<string, number>();
  private decoder = new TextDecoder();

  feed(chunk: Buffer): void {
    const text = this.decoder.decode(chunk, { stream: true });
    for (const m of text.matchAll(FIELD)) {
      const n = Number(m[2]);
      if (n > (this.max.get(m[1]!) ?? 0)) this.max.set(m[1]!, n);
    }
  }

  total(): number {
    const g = (k: string) => this.max.get(k) ?? 0;
    if (this.max.has('totalTokenCount')) return g('totalTokenCount');
    if (this.max.has('total_tokens')) return g('total_tokens');
    return g('input_tokens') + g('output_tokens') + g('cache_creation_input_tokens') + g('cache_read_input_tokens') + g('prompt_tokens') + g('completion_tokens');
  }
}
