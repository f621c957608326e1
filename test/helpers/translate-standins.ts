// Stand-in providers for translated routes, in their real wire formats, that play one tool round trip: asked with
// tools, they call Bash if offered, else the first one (`{"command":"echo hi"}`); given the tool's result, they
// answer with its text.
// OpenAI chat completions: JSON, or SSE chunks (role chunk, content, tool-call fragments with the id and name
// first and the arguments in pieces, a finish chunk, the usage-only chunk when asked, `[DONE]`). Gemini:
// generateContent JSON and streamGenerateContent SSE, the functionCall whole in one chunk with a thoughtSignature;
// countTokens, one token per word of the request's texts; cachedContents (generateContent naming one reports
// cachedContentTokenCount).
// Model names steer failures: `status-NNN` answers that status in the provider's error shape, `vanish` breaks the
// stream after its first chunk, `hang` sends one chunk and waits (`closed` resolves when the client side goes).
import type http from 'node:http';
import { ApiStandIn, type SeenRequest } from './api-standin.js';

export const TOOL_ARGS = { command: 'echo hi' };
export const SIGNATURE = 'CiQB0e2Kb8c5w3lX+yZ/standin=';

/** The tool a stand-in calls: Bash when offered (as Claude Code offers it among many), else the first. */
function toolToCall(names: (string | undefined)[]): string | undefined {
  return names.includes('Bash') ? 'Bash' : names[0];
}

abstract class ToolStandIn extends ApiStandIn {
  /** Resolves when a `hang` request's connection closes (the gateway cancelled it). */
  closed!: Promise<void>;
  protected hangClosed(req: http.IncomingMessage, res: http.ServerResponse) {
    this.closed = new Promise((r) => res.on('close', () => r()));
    void req;
  }
}

export class ChatStandIn extends ToolStandIn {
  protected answer(req: http.IncomingMessage, res: http.ServerResponse, seen: SeenRequest, body: Record<string, any>) {
    // An OpenAI-compatible server asked for Anthropic's count_tokens: FastAPI's 404 (vLLM, and others like it).
    if (seen.url.endsWith('/v1/messages/count_tokens')) return this.json(res, 404, { detail: 'Not Found' });
    if (!seen.url.endsWith('/chat/completions')) return this.echo(res, seen);
    const model = String(body.model);
    const status = /^status-(\d{3})$/.exec(model);
    if (status) return this.json(res, Number(status[1]), { error: { message: `stand-in error ${status[1]}`, type: 'server_error', param: null, code: null } }, { 'retry-after': '3' });
    // The tool's result: a tool message after the last assistant turn (a client may add text after it).
    const messages = body.messages as { role: string; content: unknown }[];
    const lastAssistant = messages.map((m) => m.role).lastIndexOf('assistant');
    const result = messages.slice(lastAssistant + 1).find((m) => m.role === 'tool');
    const tool = toolToCall((body.tools ?? []).map((t: { function?: { name?: string } }) => t.function?.name));
    const text = result ? `The tool said: ${String(result.content).trim()}` : tool ? 'Let me run it.' : 'Hello from the chat stand-in';
    const call = !result && tool ? { id: 'call_standin1', name: tool, args: JSON.stringify(TOOL_ARGS) } : null;
    const usage = { prompt_tokens: 50, completion_tokens: 9, total_tokens: 59, prompt_tokens_details: { cached_tokens: 20, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } };
    const head = { id: 'chatcmpl-standin', object: 'chat.completion.chunk', created: 1_760_000_000, model, system_fingerprint: 'fp_standin' };
    if (!body.stream) {
      const message = { role: 'assistant', content: text, refusal: null, ...(call ? { tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.args } }] } : {}) };
      return this.json(res, 200, { ...head, object: 'chat.completion', choices: [{ index: 0, message, logprobs: null, finish_reason: call ? 'tool_calls' : 'stop' }], usage });
    }
    const chunk = (delta: object, finish: string | null = null) => ({ ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
    const chunks: object[] = [chunk({ role: 'assistant', content: '', refusal: null })];
    for (const w of text.split(/(?<= )/)) chunks.push(chunk({ content: w }));
    if (call) {
      chunks.push(chunk({ tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }));
      for (let i = 0; i < call.args.length; i += 5) chunks.push(chunk({ tool_calls: [{ index: 0, function: { arguments: call.args.slice(i, i + 5) } }] }));
    }
    chunks.push(chunk({}, call ? 'tool_calls' : 'stop'));
    if (body.stream_options?.include_usage) chunks.push({ ...head, choices: [], usage });
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'x-request-id': 'req_chat_standin' });
    if (model === 'hang') {
      this.hangClosed(req, res);
      return void res.write(`data: ${JSON.stringify(chunks[1])}\n\n`);
    }
    if (model === 'vanish') return void res.write(`data: ${JSON.stringify(chunks[1])}\n\n`, () => res.destroy());
    for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\n\n`);
    res.end('data: [DONE]\n\n');
  }
}

export class GeminiToolStandIn extends ToolStandIn {
  /**
   * POST /v1beta/cachedContents as Gemini answers it: a name and expireTime from the ttl; a part under 1024 tokens
   * (counted here as 4 bytes each) is refused as Gemini refuses one under its minimum.
   */
  private cache(res: http.ServerResponse, body: Record<string, any>) {
    const { model, ttl, ...cached } = body;
    if (JSON.stringify(cached).length / 4 < 1024) return this.json(res, 400, { error: { code: 400, message: 'Cached content is too small. total_token_count=12, min_total_token_count=1024', status: 'INVALID_ARGUMENT' } });
    const name = `cachedContents/standin${this.caches.size + 1}`;
    const now = Date.now();
    this.caches.set(name, body);
    return this.json(res, 200, { name, model, createTime: new Date(now).toISOString(), updateTime: new Date(now).toISOString(), expireTime: new Date(now + Number.parseInt(String(ttl), 10) * 1000).toISOString(), usageMetadata: { totalTokenCount: 300 } });
  }

  /** The cachedContents objects made, by name. */
  readonly caches = new Map<string, Record<string, any>>();

  protected answer(req: http.IncomingMessage, res: http.ServerResponse, seen: SeenRequest, body: Record<string, any>) {
    if (seen.url === '/v1beta/cachedContents') return this.cache(res, body);
    const call = /\/models\/([^/:]+):(\w+)$/.exec(seen.url.split('?')[0]!);
    if (!call) return this.echo(res, seen);
    const model = decodeURIComponent(call[1]!);
    const status = /^status-(\d{3})$/.exec(model);
    if (status) return this.json(res, Number(status[1]), { error: { code: Number(status[1]), message: `stand-in error ${status[1]}`, status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '12s' }] } });
    if (call[2] === 'countTokens') {
      // Deterministic: one token per word of every text the request carries.
      const words = JSON.stringify(body.generateContentRequest ?? body).match(/"text":"([^"]*)"/g)?.join(' ').split(/\s+/).length ?? 0;
      return this.json(res, 200, { totalTokens: words, promptTokensDetails: [{ modality: 'TEXT', tokenCount: words }] });
    }
    const parts = body.contents.at(-1).parts as Record<string, any>[];
    const result = parts.find((p) => p.functionResponse)?.functionResponse;
    // A request naming a cache has its tools there.
    const tools = body.tools ?? this.caches.get(body.cachedContent)?.tools;
    const tool = toolToCall((tools?.[0]?.functionDeclarations ?? []).map((d: { name?: string }) => d.name));
    const text = result ? `The tool said: ${String(result.response.content ?? result.response.error).trim()}` : tool ? 'Let me run it.' : 'Hello from the Gemini stand-in';
    if (body.cachedContent && !this.caches.has(body.cachedContent)) return this.json(res, 403, { error: { code: 403, message: `CachedContent not found (or permission denied): ${body.cachedContent}`, status: 'PERMISSION_DENIED' } });
    const usageMetadata = { promptTokenCount: 40, candidatesTokenCount: 8, totalTokenCount: 48, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 40 }], ...(body.cachedContent ? { cachedContentTokenCount: 30 } : {}) };
    const head = { modelVersion: model, responseId: 'gemini-standin' };
    const fc = !result && tool ? { functionCall: { name: tool, args: TOOL_ARGS }, thoughtSignature: SIGNATURE } : null;
    if (call[2] === 'generateContent') {
      return this.json(res, 200, { candidates: [{ content: { role: 'model', parts: [{ text }, ...(fc ? [fc] : [])] }, finishReason: 'STOP', index: 0 }], usageMetadata, ...head });
    }
    const words = text.split(/(?<= )/);
    const chunks = words.map((w) => ({ candidates: [{ content: { role: 'model', parts: [{ text: w }] }, index: 0 }], usageMetadata: { promptTokenCount: 40, totalTokenCount: 40 }, ...head }));
    chunks.push({ candidates: [{ content: { role: 'model', parts: fc ? [fc] : [{ text: '' }] }, finishReason: 'STOP', index: 0 } as never], usageMetadata, ...head });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (model === 'hang') {
      this.hangClosed(req, res);
      return void res.write(`data: ${JSON.stringify(chunks[0])}\r\n\r\n`);
    }
    for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\r\n\r\n`);
    res.end();
  }
}
