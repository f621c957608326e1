// A stand-in OpenAI API in its real wire format: the Responses API as JSON, as SSE (`event:` + `data:` lines, the
// event sequence from response.created to response.completed with usage) and over its WebSocket (the same events
// as text messages, one `response.create` per turn, as Codex speaks it), and embeddings (float or base64, as the
// OpenAI SDK asks). `websocket` chooses whether the upgrade is accepted or refused with a status; a model named
// *vanish* is cut off after its first WebSocket event.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiStandIn, type SeenRequest } from './api-standin.js';

export const RESPONSE_TEXT = 'Hello from the Responses stand-in';

/** The Responses stream for one request: every event a real stream of a one-message answer carries. */
export function responseEvents(model: string, id = 'resp_standin', text = RESPONSE_TEXT): Record<string, unknown>[] {
  const created_at = 1_760_000_000;
  const base = { id, object: 'response', created_at, model, instructions: null, tools: [], tool_choice: 'auto', parallel_tool_calls: true, text: { format: { type: 'text' } }, reasoning: { effort: null, summary: null }, metadata: {}, error: null, incomplete_details: null };
  const item = { id: 'msg_standin', type: 'message', role: 'assistant' };
  const part = { type: 'output_text', annotations: [], logprobs: [] };
  const usage = { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 6, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 18 };
  const words = text.split(/(?<= )/);
  const events: Record<string, unknown>[] = [
    { type: 'response.created', response: { ...base, status: 'in_progress', output: [], usage: null } },
    { type: 'response.in_progress', response: { ...base, status: 'in_progress', output: [], usage: null } },
    { type: 'response.output_item.added', output_index: 0, item: { ...item, status: 'in_progress', content: [] } },
    { type: 'response.content_part.added', item_id: item.id, output_index: 0, content_index: 0, part: { ...part, text: '' } },
    ...words.map((delta) => ({ type: 'response.output_text.delta', item_id: item.id, output_index: 0, content_index: 0, delta, logprobs: [] })),
    { type: 'response.output_text.done', item_id: item.id, output_index: 0, content_index: 0, text, logprobs: [] },
    { type: 'response.content_part.done', item_id: item.id, output_index: 0, content_index: 0, part: { ...part, text } },
    { type: 'response.output_item.done', output_index: 0, item: { ...item, status: 'completed', content: [{ ...part, text }] } },
    { type: 'response.completed', response: { ...base, status: 'completed', output: [{ ...item, status: 'completed', content: [{ ...part, text }] }], usage } },
  ];
  return events.map((e, i) => ({ ...e, sequence_number: i }));
}

export class OpenAIStandIn extends ApiStandIn {
  /** `accept`: serve the Responses WebSocket; a number: refuse the upgrade with that status. */
  websocket: 'accept' | number = 'accept';
  /** Every message the WebSocket received, parsed. */
  wsMessages: Record<string, unknown>[] = [];
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: true });

  protected answer(_req: http.IncomingMessage, res: http.ServerResponse, seen: SeenRequest, body: Record<string, unknown>) {
    const path = seen.url.split('?')[0]!;
    const model = String(body.model ?? 'gpt-standin');
    if (seen.method === 'POST' && path.endsWith('/responses')) {
      if (/^status-(\d{3})$/.test(model)) return this.json(res, Number(model.slice(7)), { error: { message: `stand-in error ${model.slice(7)}`, type: 'server_error', param: null, code: null } });
      const events = responseEvents(model);
      if (!body.stream) return this.json(res, 200, (events.at(-1) as { response: unknown }).response, { 'x-request-id': 'req_standin' });
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': 'req_standin' });
      for (const e of events) res.write(`event: ${e.type as string}\ndata: ${JSON.stringify(e)}\n\n`);
      return void res.end();
    }
    if (seen.method === 'POST' && path.endsWith('/embeddings')) {
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      const vector = (i: number) => [0.25, -0.5, i];
      const encode = (v: number[]) => Buffer.from(new Float32Array(v).buffer).toString('base64');
      return this.json(res, 200, {
        object: 'list',
        data: inputs.map((_, i) => ({ object: 'embedding', index: i, embedding: body.encoding_format === 'base64' ? encode(vector(i)) : vector(i) })),
        model,
        usage: { prompt_tokens: 4 * inputs.length, total_tokens: 4 * inputs.length },
      });
    }
    this.echo(res, seen);
  }

  protected override upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.websocket !== 'accept') {
      const body = JSON.stringify({ error: { message: 'websockets are not enabled for this endpoint', type: 'invalid_request_error', code: 'websocket_not_supported' } });
      socket.end(`HTTP/1.1 ${this.websocket} Refused\r\nContent-Type: application/json\r\nx-request-id: req_refused\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      let turn = 0;
      ws.on('message', (data) => {
        const msg = JSON.parse(data.toString()) as Record<string, unknown>;
        this.wsMessages.push(msg);
        if (msg.type !== 'response.create') return;
        const events = responseEvents(String(msg.model), `resp_ws_${turn++}`);
        // A model named *vanish*: the provider drops the connection after the first event.
        if (String(msg.model).includes('vanish')) return void ws.send(JSON.stringify(events[0]), () => ws.terminate());
        for (const e of events) ws.send(JSON.stringify(e));
      });
    });
  }
}
