// A stand-in for OpenAI's Responses API as Codex CLI speaks it: POST /v1/responses answered with one JSON response
// or, when streaming, the SSE event sequence (response.created, response.in_progress, response.output_item.added,
// response.content_part.added, response.output_text.delta…, response.output_text.done, response.content_part.done,
// response.output_item.done, response.completed with usage; each with its sequence_number), and the same events as
// text messages over the Responses WebSocket (GET /v1/responses upgraded; each client message is a
// `{"type":"response.create", …}` request; one with `generate: false` only warms the connection up). In
// `refuse-upgrade` mode the upgrade gets 404, as from a server without the WebSocket form, so a client falls back to
// HTTPS. Shapes from platform.openai.com's Responses reference and Codex's own parser (codex-rs/codex-api, sse).
import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { jsonBody, sendJson, startHttpsStandIn, type HttpsStandIn } from './https-standin.js';

export type ResponsesMode = 'websocket' | 'refuse-upgrade';

export interface ResponsesStandIn extends HttpsStandIn {
  /** The assistant text every answer carries. */
  answer: string;
  /** Requests received over WebSockets (parsed), in order. */
  wsRequests: Record<string, any>[];
  /** WebSocket connections accepted so far. */
  wsConnections(): number;
}

export async function startResponsesStandIn(mode: ResponsesMode): Promise<ResponsesStandIn> {
  const nonce = randomBytes(6).toString('hex');
  const answer = `Hello from the Responses stand-in ${nonce}`;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: true });
  const state = { wsRequests: [] as Record<string, any>[], wsConnections: 0 };
  let counter = 0;
  const nextId = (kind: string) => `${kind}_standin_${nonce}_${++counter}`;

  const host = await startHttpsStandIn(
    (req, res, seen) => {
      const path = new URL(req.url!, 'https://x').pathname;
      if (req.method === 'POST' && path === '/v1/responses') {
        const body = jsonBody(seen);
        const events = responseEvents(body, answer, nextId);
        if (body.stream === true) return streamSse(res, events);
        return sendJson(res, 200, events.at(-1)!.response, rateLimitHeaders());
      }
      sendJson(res, 404, { error: { message: `Invalid URL (${req.method} ${path})`, type: 'invalid_request_error', param: null, code: null } });
    },
    (req, socket, head) => {
      const path = new URL(req.url!, 'https://x').pathname;
      if (mode === 'refuse-upgrade' || path !== '/v1/responses') {
        const body = JSON.stringify({ error: { message: `Invalid URL (GET ${path})`, type: 'invalid_request_error', param: null, code: null } });
        socket.end(`HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        state.wsConnections++;
        serveSocket(ws, answer, nextId, state.wsRequests);
      });
    },
  );
  const close = host.close;
  return Object.assign(host, {
    answer,
    wsRequests: state.wsRequests,
    wsConnections: () => state.wsConnections,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await close();
    },
  }) as ResponsesStandIn;
}

/** Each text message is a request; the answer's events go back one message each. */
function serveSocket(ws: WebSocket, answer: string, nextId: (kind: string) => string, requests: Record<string, any>[]) {
  ws.on('message', (data, isBinary) => {
    if (isBinary) return ws.close(1003, 'binary messages are not supported');
    let body: Record<string, any>;
    try {
      body = JSON.parse(data.toString());
    } catch {
      return ws.send(JSON.stringify({ type: 'error', status: 400, error: { type: 'invalid_request_error', message: 'message is not JSON' } }));
    }
    requests.push(body);
    if (body.type !== 'response.create') {
      return ws.send(JSON.stringify({ type: 'error', status: 400, error: { type: 'invalid_request_error', message: `unsupported message type ${String(body.type)}` } }));
    }
    for (const e of responseEvents(body, body.generate === false ? null : answer, nextId)) ws.send(JSON.stringify(e));
  });
  ws.on('error', () => ws.terminate());
}

type ResponseEvent = Record<string, any> & { type: string };

/** The full event sequence of one response; the last event (response.completed) carries the whole response. */
function responseEvents(body: Record<string, any>, text: string | null, nextId: (kind: string) => string): ResponseEvent[] {
  const model = typeof body.model === 'string' ? body.model : 'gpt-standin';
  const created = Math.floor(Date.now() / 1000);
  const responseId = nextId('resp');
  const base = {
    id: responseId,
    object: 'response',
    created_at: created,
    model,
    error: null,
    incomplete_details: null,
    instructions: typeof body.instructions === 'string' ? body.instructions : null,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    store: body.store ?? false,
    tool_choice: body.tool_choice ?? 'auto',
    tools: Array.isArray(body.tools) ? body.tools : [],
    text: { format: { type: 'text' } },
    usage: null,
    metadata: {},
  };
  const events: ResponseEvent[] = [];
  const push = (e: Record<string, any> & { type: string }) => events.push({ ...e, sequence_number: events.length });
  push({ type: 'response.created', response: { ...base, status: 'in_progress', output: [] } });
  push({ type: 'response.in_progress', response: { ...base, status: 'in_progress', output: [] } });
  const output: Record<string, any>[] = [];
  if (text !== null) {
    const itemId = nextId('msg');
    const part = { type: 'output_text', text, annotations: [], logprobs: [] };
    push({ type: 'response.output_item.added', output_index: 0, item: { id: itemId, type: 'message', status: 'in_progress', role: 'assistant', content: [] } });
    push({ type: 'response.content_part.added', item_id: itemId, output_index: 0, content_index: 0, part: { ...part, text: '' } });
    for (const delta of text.split(/(?<= )/)) push({ type: 'response.output_text.delta', item_id: itemId, output_index: 0, content_index: 0, delta, logprobs: [] });
    push({ type: 'response.output_text.done', item_id: itemId, output_index: 0, content_index: 0, text, logprobs: [] });
    push({ type: 'response.content_part.done', item_id: itemId, output_index: 0, content_index: 0, part });
    const item = { id: itemId, type: 'message', status: 'completed', role: 'assistant', content: [part] };
    push({ type: 'response.output_item.done', output_index: 0, item });
    output.push(item);
  }
  const outputTokens = text === null ? 0 : text.split(' ').length;
  push({
    type: 'response.completed',
    response: {
      ...base,
      status: 'completed',
      output,
      usage: { input_tokens: 321, input_tokens_details: { cached_tokens: 0 }, output_tokens: outputTokens, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 321 + outputTokens },
    },
  });
  return events;
}

function rateLimitHeaders(): http.OutgoingHttpHeaders {
  return { 'x-request-id': `req_${randomBytes(8).toString('hex')}`, 'x-ratelimit-limit-requests': '10000', 'x-ratelimit-remaining-requests': '9999', 'x-ratelimit-reset-requests': '6ms' };
}

function streamSse(res: http.ServerResponse, events: ResponseEvent[]) {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...rateLimitHeaders() });
  for (const e of events) res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
  res.end();
}
