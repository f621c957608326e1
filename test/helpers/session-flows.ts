// Stored flows of a whole session, built in a few lines for the viewer's analysis tests: requests with their JSON
// bodies and answers in each provider's wire format (Anthropic Messages SSE event by event, as the stand-in in
// anthropic-standin.ts streams them, with the usage fields a cache write and read carry), at both capture points
// linked by the parent trace id as the store reads them back.
import type { Flow } from '../../src/flow/flow.js';

export const SESSION_T0 = Date.parse('2026-11-28T10:00:00.000Z');

export type AnthropicBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature?: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_5m?: number;
  cache_1h?: number;
}

/** The answer as the Messages API streams it: message_start (with the usage and the cache-write split), ping, each block's start, deltas and stop, message_delta, message_stop. */
export function anthropicSse(model: string, content: AnthropicBlock[], u: AnthropicUsage, opts: { cutAfterEvents?: number } = {}): string {
  const events: string[] = [];
  const send = (event: string, data: unknown) => events.push(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const w5 = u.cache_5m ?? 0;
  const w1 = u.cache_1h ?? 0;
  const usage = { input_tokens: u.input_tokens, cache_creation_input_tokens: w5 + w1, cache_read_input_tokens: u.cache_read_input_tokens ?? 0, cache_creation: { ephemeral_5m_input_tokens: w5, ephemeral_1h_input_tokens: w1 }, output_tokens: 1, service_tier: 'standard' };
  send('message_start', { type: 'message_start', message: { id: 'msg_test', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage } });
  send('ping', { type: 'ping' });
  content.forEach((block, index) => {
    if (block.type === 'text') {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      const cut = Math.ceil(block.text.length / 2);
      for (const piece of [block.text.slice(0, cut), block.text.slice(cut)]) send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
    } else if (block.type === 'thinking') {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: block.thinking } });
      send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.signature ?? 'sig' } });
    } else {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      const json = JSON.stringify(block.input);
      const cut = Math.ceil(json.length / 3);
      for (const piece of ['', json.slice(0, cut), json.slice(cut, 2 * cut), json.slice(2 * cut)]) send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } });
    }
    send('content_block_stop', { type: 'content_block_stop', index });
  });
  const stop = content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
  send('message_delta', { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: u.output_tokens } });
  send('message_stop', { type: 'message_stop' });
  if (opts.cutAfterEvents !== undefined) {
    const kept = events.slice(0, opts.cutAfterEvents).join('');
    // Cut inside the next event, as a dropped connection leaves it.
    return kept + (events[opts.cutAfterEvents] ?? '').slice(0, 40);
  }
  return events.join('');
}

export interface SessionFlowOptions {
  id: string;
  direction?: 'reverse' | 'forward';
  parentId?: string;
  start: number;
  durationMs?: number;
  host?: string;
  path?: string;
  url?: string;
  method?: string;
  headers?: Record<string, unknown>;
  /** An object is sent as JSON; a string as it is. */
  request: object | string | null;
  response?: object | string | null;
  status?: number;
  /** Default: text/event-stream for a string response that starts like SSE, else application/json. */
  contentType?: string;
  responseHeaders?: Record<string, unknown>;
  error?: { type: string; message: string };
  sessionId?: string;
}

const bytes = (b: object | string | null | undefined): Uint8Array | null => (b === null || b === undefined ? null : Buffer.from(typeof b === 'string' ? b : JSON.stringify(b)));

/** A flow as rowToFlow gives it back from the store. */
export function sessionFlow(o: SessionFlowOptions): Flow {
  const direction = o.direction ?? 'reverse';
  const host = o.host ?? (direction === 'reverse' ? '127.0.0.1:4000' : 'api.anthropic.com');
  const path = o.path ?? '/v1/messages?beta=true';
  const req = bytes(o.request);
  const res = bytes(o.response);
  const contentType = o.contentType ?? (typeof o.response === 'string' && /^(event|data):/.test(o.response) ? 'text/event-stream; charset=utf-8' : 'application/json');
  return {
    id: o.id,
    direction,
    sessionId: o.sessionId ?? 'session-1',
    trafficType: 'llm',
    client: { address: '127.0.0.1', port: 50000 },
    server: { address: direction === 'reverse' ? '127.0.0.1' : '160.79.104.10', port: direction === 'reverse' ? 4000 : 443, https: direction === 'forward' },
    request: {
      method: o.method ?? 'POST',
      url: o.url ?? `${direction === 'reverse' ? 'http' : 'https'}://${host}${path}`,
      originalUrl: null,
      host,
      path,
      headers: o.headers ?? { 'content-type': 'application/json' },
      body: req,
      bodySize: req?.length ?? 0,
      bodyTruncated: false,
      contentType: 'application/json',
    },
    response:
      o.response === undefined && o.error
        ? null
        : { status: o.status ?? 200, headers: { 'content-type': contentType, ...(o.responseHeaders ?? {}) }, body: res, bodySize: res?.length ?? 0, bodyTruncated: false, contentType },
    error: o.error ?? null,
    timing: { start: o.start, end: o.start + (o.durationMs ?? 1500) },
    ...(o.parentId !== undefined ? { parentId: o.parentId } : {}),
    metadata: {},
  };
}
