// A stand-in for Anthropic's Messages API that drives one agent turn with a tool, so a real Claude Code session can
// be watched end to end: asked with a Bash tool on offer, it answers with a tool_use block calling Bash; asked again
// with that call's tool_result, it answers with final text that quotes the result. Answers follow the API's wire
// format (docs.anthropic.com, "Streaming Messages"): SSE event by event — message_start, ping, content_block_start,
// content_block_delta (text_delta / input_json_delta), content_block_stop, message_delta with usage, message_stop —
// or one JSON message when the request does not stream, with the anthropic-ratelimit-* and request-id headers.
import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import { jsonBody, sendJson, startHttpsStandIn, type HttpsStandIn, type SeenRequest } from './https-standin.js';

/** Prefix of the tool_use ids this stand-in hands out: how it knows a tool_result answers its own call. */
const TOOL_ID_PREFIX = 'toolu_standin_';

export interface AnthropicStandIn extends HttpsStandIn {
  /** What the Bash command prints: the final text must quote it. */
  toolOutput: string;
  /** The command the stand-in asks Claude Code to run. */
  toolCommand: string;
  /** The final text's prefix, followed by the tool result as Claude Code sent it. */
  finalPrefix: string;
  /** Message requests, in order. */
  messages(): SeenRequest[];
}

type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export interface AnthropicStandInOptions {
  /**
   * Answer as a prompt-cached conversation does: cache reads growing with each request, and cache writes of both
   * TTLs (`cache_creation.ephemeral_5m_input_tokens` / `ephemeral_1h_input_tokens`), so every token kind is priced.
   */
  cached?: boolean;
}

export async function startAnthropicStandIn(options: AnthropicStandInOptions = {}): Promise<AnthropicStandIn> {
  const nonce = randomBytes(6).toString('hex');
  const toolOutput = `ccproxy-tool-output-${nonce}`;
  const toolCommand = `echo ${toolOutput}`;
  const finalPrefix = 'The command printed: ';
  let counter = 0;
  const host = await startHttpsStandIn((req, res, seen) => {
    const path = new URL(req.url!, 'https://x').pathname;
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') return sendJson(res, 200, { input_tokens: 42 }, rateLimitHeaders());
    if (req.method !== 'POST' || path !== '/v1/messages') {
      return sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `Not found: ${req.method} ${path}` } }, { 'request-id': `req_standin_${++counter}` });
    }
    const body = jsonBody(seen);
    const model = typeof body.model === 'string' ? body.model : 'claude-standin';
    const content = answerFor(body, { toolCommand, finalPrefix, nextId: () => `${TOOL_ID_PREFIX}${nonce}_${++counter}` });
    const stop = content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
    const id = `msg_standin_${nonce}_${++counter}`;
    const u = usage(content, options.cached ? counter : null);
    if (body.stream === true) return stream(res, id, model, content, stop, u);
    sendJson(res, 200, { id, type: 'message', role: 'assistant', model, content, stop_reason: stop, stop_sequence: null, usage: u }, { ...rateLimitHeaders(), 'request-id': `req_${id}` });
  });
  return {
    ...host,
    toolOutput,
    toolCommand,
    finalPrefix,
    messages: () => host.seen.filter((s) => s.method === 'POST' && s.url.startsWith('/v1/messages') && !s.url.startsWith('/v1/messages/')),
  };
}

/**
 * The turn's answer: final text quoting our tool's result when the conversation carries one; a Bash call when the
 * request offers Bash; plain text otherwise (a side request such as a title).
 */
function answerFor(body: Record<string, any>, o: { toolCommand: string; finalPrefix: string; nextId(): string }): Block[] {
  const result = toolResultOf(body.messages);
  if (result !== null) return [{ type: 'text', text: `${o.finalPrefix}${result}` }];
  const tools: unknown[] = Array.isArray(body.tools) ? body.tools : [];
  if (tools.some((t) => (t as { name?: unknown })?.name === 'Bash')) {
    return [
      { type: 'text', text: 'I will run the command.' },
      { type: 'tool_use', id: o.nextId(), name: 'Bash', input: { command: o.toolCommand, description: 'Print a marker' } },
    ];
  }
  return [{ type: 'text', text: 'Hello from the Anthropic stand-in' }];
}

/** The text of the last tool_result answering one of this stand-in's tool_use ids, or null. */
function toolResultOf(messages: unknown): string | null {
  if (!Array.isArray(messages)) return null;
  let found: string | null = null;
  for (const m of messages) {
    const content = (m as { content?: unknown })?.content;
    if (!Array.isArray(content)) continue;
    for (const block of content) {
      if (block?.type !== 'tool_result' || typeof block.tool_use_id !== 'string' || !block.tool_use_id.startsWith(TOOL_ID_PREFIX)) continue;
      const c = block.content;
      found = typeof c === 'string' ? c : Array.isArray(c) ? c.map((p: { text?: string }) => p?.text ?? '').join('') : '';
    }
  }
  return found === null ? null : found.trim();
}

type Usage = ReturnType<typeof usage>;

/** The answer's usage; `n` (the answer's number) set: as a cached conversation, cache reads and writes of both TTLs. */
function usage(content: Block[], n: number | null) {
  const output_tokens = 4 + content.length * 8;
  if (n === null) return { input_tokens: 120, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens };
  const w5m = 300 + 7 * n;
  const w1h = 1100 + 13 * n;
  return {
    input_tokens: 35 + n,
    cache_creation_input_tokens: w5m + w1h,
    cache_read_input_tokens: 9000 + 1000 * n,
    cache_creation: { ephemeral_5m_input_tokens: w5m, ephemeral_1h_input_tokens: w1h },
    output_tokens,
    service_tier: 'standard',
  };
}

/** The rate-limit headers the Messages API sends with every answer (docs.anthropic.com, "Rate limits"). */
function rateLimitHeaders(): http.OutgoingHttpHeaders {
  const reset = new Date(Date.now() + 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const h: http.OutgoingHttpHeaders = {};
  for (const [kind, limit] of [['requests', 4000], ['tokens', 2_000_000], ['input-tokens', 2_000_000], ['output-tokens', 400_000]] as const) {
    h[`anthropic-ratelimit-${kind}-limit`] = String(limit);
    h[`anthropic-ratelimit-${kind}-remaining`] = String(limit - 1);
    h[`anthropic-ratelimit-${kind}-reset`] = reset;
  }
  return h;
}

/** Writes the answer as the API streams it, one event per write. */
function stream(res: http.ServerResponse, id: string, model: string, content: Block[], stop: string, u: Usage) {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'request-id': `req_${id}`, ...rateLimitHeaders() });
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  send('message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...u, output_tokens: 1 } } });
  send('ping', { type: 'ping' });
  content.forEach((block, index) => {
    if (block.type === 'text') {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      // Two deltas, split mid-text, as the API sends text in pieces.
      const cut = Math.ceil(block.text.length / 2);
      for (const piece of [block.text.slice(0, cut), block.text.slice(cut)]) send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
    } else {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      // The input arrives as partial JSON strings that only parse once joined.
      const json = JSON.stringify(block.input);
      const cut = Math.ceil(json.length / 3);
      for (const piece of ['', json.slice(0, cut), json.slice(cut, 2 * cut), json.slice(2 * cut)]) send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } });
    }
    send('content_block_stop', { type: 'content_block_stop', index });
  });
  send('message_delta', { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: u.output_tokens } });
  send('message_stop', { type: 'message_stop' });
  res.end();
}
