// A stand-in LLM provider (there is no internet here): Anthropic-style JSON and SSE answers, compressed on
// request, plus endpoints that misbehave; upgrades are echoed. The SSE stream can be gated so a test proves
// event-by-event delivery.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import zlib from 'node:zlib';
import { WebSocketServer } from 'ws';

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  aborted: boolean;
}

export class StandIn {
  server: http.Server;
  port = 0;
  seen: Seen[] = [];
  /** Set by a test: the stream waits on it after its first event. */
  gate: Promise<void> | null = null;
  /** Resolves when the stand-in has written the first SSE event of a gated stream. */
  firstEventSent: Promise<void> = Promise.resolve();
  private markFirstSent: () => void = () => {};
  eventsSent = 0;

  readonly secure: boolean;
  /** Set by a test: the Messages usage object answers carry (JSON, and a stream's message_start and cumulative message_delta). */
  anthropicUsage: Record<string, unknown> | null = null;
  /** Set by a test: requests whose headers it refuses get 401. */
  requireAuth: ((headers: http.IncomingHttpHeaders) => boolean) | null = null;

  /** With a key and certificate the stand-in speaks HTTPS (a certificate from its own CA, not ccproxy's). */
  constructor(tlsOptions?: { key: string; cert: string }) {
    this.secure = !!tlsOptions;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res);
    this.server = tlsOptions ? https.createServer(tlsOptions, handler) : http.createServer(handler);
    // Upgrades: answer 101 to the protocol asked for and echo whatever comes (enough to see bytes pass both ways untouched).
    // A WebSocket gets a real one (ws), echoing each message.
    const wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: import('node:net').Socket, head: Buffer) => {
      this.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.alloc(0), aborted: false });
      if (String(req.headers.upgrade).toLowerCase() === 'websocket') {
        wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
        return;
      }
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\n\r\n`);
      socket.pipe(socket);
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `${this.secure ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** Gate the next stream: it sends one event, then waits for `release()`. */
  armGate(): () => void {
    let release!: () => void;
    this.gate = new Promise<void>((r) => (release = r));
    this.firstEventSent = new Promise<void>((r) => (this.markFirstSent = r));
    return release;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    const seen: Seen = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.alloc(0), aborted: false };
    this.seen.push(seen);
    res.on('close', () => {
      if (!res.writableFinished) seen.aborted = true;
    });
    for await (const c of req) chunks.push(c as Buffer);
    seen.body = Buffer.concat(chunks);
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/reset') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: ping\ndata: {}\n\n');
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    if (url.pathname === '/hang') return; // never answers: for timeouts
    if (url.pathname === '/oauth/token') {
      return this.send(res, req, 200, { access_token: 'at-secret-1', refresh_token: 'rt-secret-2', token_type: 'Bearer', expires_in: 3600 });
    }
    if (url.pathname === '/error') return this.send(res, req, 529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    if (this.requireAuth && !this.requireAuth(req.headers)) return this.send(res, req, 401, { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key or bearer token' } });
    let body: { stream?: boolean; model?: string; messages?: unknown[] } = {};
    try {
      body = JSON.parse(seen.body.toString() || '{}');
    } catch {
      /* not JSON */
    }
    // A model named status-NNN gets that status with an error body (provider errors for the gateway's tests).
    const status = /^status-(\d{3})$/.exec(body.model ?? '');
    if (status) return this.send(res, req, Number(status[1]), { type: 'error', error: { type: 'overloaded_error', message: `stand-in error ${status[1]}` } });
    if (url.pathname.endsWith('/messages/count_tokens')) return this.send(res, req, 200, { input_tokens: 42 });
    if (url.pathname.endsWith('/chat/completions')) {
      if (body.stream) return this.streamChat(res, body.model ?? 'gpt-test');
      return this.send(res, req, 200, {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1700000000,
        model: body.model ?? 'gpt-test',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the OpenAI stand-in', refusal: null }, finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 },
      });
    }
    if (body.stream) return this.stream(res, body.model ?? 'claude-test');
    return this.send(res, req, 200, {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: body.model ?? 'claude-test',
      content: [{ type: 'text', text: 'Hello from the stand-in' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: this.anthropicUsage ?? { input_tokens: 10, output_tokens: 5 },
    });
  }

  /** Answers JSON, compressed as the request's x-test-encoding asks (gzip, br, zstd, or none). */
  private send(res: http.ServerResponse, req: http.IncomingMessage, status: number, value: unknown) {
    const json = Buffer.from(JSON.stringify(value));
    const enc = String(req.headers['x-test-encoding'] ?? '');
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'request-id': 'req_standin' };
    let out = json;
    if (enc === 'gzip') out = zlib.gzipSync(json);
    else if (enc === 'br') out = zlib.brotliCompressSync(json);
    else if (enc === 'zstd') out = readFileSync(new URL('../../../test/fixtures/message.json.zst', import.meta.url));
    if (enc) headers['content-encoding'] = enc;
    headers['content-length'] = out.length;
    res.writeHead(status, headers);
    res.end(out);
  }

  /** OpenAI chat completion chunks (`data: {...}` lines, then `data: [DONE]`), gated like the Anthropic stream. */
  private async streamChat(res: http.ServerResponse, model: string) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta: object, finish: string | null) => ({ id: 'chatcmpl-s', object: 'chat.completion.chunk', created: 1700000000, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
    const events = [chunk({ role: 'assistant', content: '' }, null), chunk({ content: 'Hello' }, null), chunk({ content: ' world' }, null), chunk({}, 'stop')];
    const gate = this.gate;
    this.gate = null;
    this.eventsSent = 0;
    for (const [i, data] of events.entries()) {
      if (res.destroyed) return;
      res.write(`data: ${JSON.stringify(data)}\n\n`);
      this.eventsSent++;
      if (i === 0 && gate) {
        this.markFirstSent();
        await gate;
      }
    }
    res.end('data: [DONE]\n\n');
  }

  private async stream(res: http.ServerResponse, model: string) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const events: [string, unknown][] = [
      ['message_start', { type: 'message_start', message: { id: 'msg_s', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: this.anthropicUsage ? { ...this.anthropicUsage, output_tokens: 1 } : { input_tokens: 3, output_tokens: 0 } } }],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' world' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: this.anthropicUsage ?? { output_tokens: 2 } }],
      ['message_stop', { type: 'message_stop' }],
    ];
    const gate = this.gate;
    this.gate = null;
    this.eventsSent = 0;
    for (const [i, [name, data]] of events.entries()) {
      if (res.destroyed) return;
      res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      this.eventsSent++;
      if (i === 0 && gate) {
        this.markFirstSent();
        await gate;
      }
    }
    res.end();
  }
}
