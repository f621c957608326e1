// The Responses API's WebSocket form (what Codex CLI tries first: `GET /v1/responses` with Upgrade, then one
// `{"type":"response.create", model, input, …}` text message per turn, answered by the same events the SSE stream
// carries, `response.created` … `response.completed`, as text messages). The model is known only from the
// messages, so the gateway accepts the upgrade, routes the first `response.create` (rules see it as they see an
// HTTP Responses body), opens the WebSocket to the deployment with the same credentials as an HTTP call, and relays
// messages both ways with `model` rewritten. Codex's upgrade carries no model; a client that names one in the
// query (`?model=`, the Realtime API's form) is routed before its upgrade is answered, and an upstream refusal is
// passed through with its status. After the upgrade, a refusal (no route, the deployment refuses the upgrade or
// cannot be reached) is sent as the wrapped error event Codex reads — `{"type":"error","status":N,"error":{…}}` —
// and the socket is closed; Codex treats it as the same HTTP status (it retries, then falls back to HTTPS+SSE).
// A request routed to a deployment of another format (Anthropic, Gemini, chat completions) is translated and sent
// over HTTP (translated.ts); its Responses events come back as messages, as they would from OpenAI.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { endToEnd } from '../proxy/hop.js';
import { routeRequest, type GatewayParts, type Routed } from './dispatch.js';
import { isResponsesPath, routedEndpoint, type RoutedEndpoint } from './endpoints.js';
import { errorBody, parseJsonObject, Refusal } from './http-io.js';
import { firstDeployment } from './passthrough.js';
import { connectUpstream, MAX_WS_MESSAGE, type UpstreamSocket } from './ws-upstream.js';
import { runTranslated, type Out } from './translated.js';
import { translatedUrl } from './translation.js';

/** Close codes: the gateway refused the request (policy), the upstream failed, the gateway is stopping. */
const CLOSE_REFUSED = 1008;
const CLOSE_UPSTREAM_FAILED = 1011;
const CLOSE_GOING_AWAY = 1001;
/** Headers of the client's upgrade that belong to its own handshake, not to the provider's. */
const HANDSHAKE_HEADERS = ['host', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol', 'content-length', 'expect'];
const RESPONSES: RoutedEndpoint = routedEndpoint('/v1/responses')!;

/** The WebSockets a gateway serves: one `ws` server (no listener of its own) and the open client sockets. */
export class ResponsesSockets {
  readonly server = new WebSocketServer({ noServer: true, perMessageDeflate: true, maxPayload: MAX_WS_MESSAGE });
  readonly live = new Set<WebSocket>();

  /** Closes every client socket (and with it its upstream), as the gateway stops. */
  closeAll(): void {
    for (const c of this.live) c.close(CLOSE_GOING_AWAY, 'ccproxy gateway is stopping');
  }

  terminateAll(): void {
    for (const c of this.live) c.terminate();
  }
}

export function handleResponsesUpgrade(p: GatewayParts, sockets: ResponsesSockets, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', (err) => p.log.debug(`WebSocket ${req.url}: the client connection failed: ${err.message}`));
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  if (!isResponsesPath(path)) return refuse(socket, 404, errorBody('not_found_error', `WebSocket ${path}: the gateway serves WebSockets on /v1/responses only (the Responses API)`));
  if (String(req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return refuse(socket, 400, errorBody('invalid_request_error', `${path}: only WebSocket upgrades are served`));
  if (!(['openai', 'anthropic', 'gemini'] as const).some((f) => firstDeployment(p.state.models, f))) {
    // Nothing could answer over this socket: refuse the upgrade, so the client falls back to HTTP (and gets its answer there).
    return refuse(socket, 404, errorBody('not_found_error', `${path}: ${p.state.models.file} has no deployment the gateway can call for the Responses WebSocket`));
  }
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  const model = query.get('model');
  if (model) {
    routeBeforeUpgrade(p, sockets, req, socket, head, model, query).catch((err: unknown) => {
      p.log.error(`WebSocket ${raw}: ${(err as Error).stack ?? String(err)}`);
      refuse(socket, 500, errorBody('api_error', `ccproxy gateway failed: ${(err as Error).message}`));
    });
    return;
  }
  sockets.server.handleUpgrade(req, socket, head, (client) => {
    sockets.live.add(client);
    client.on('close', () => sockets.live.delete(client));
    new Relay(p, req, client, query).start();
  });
}

/** `?model=` names the model before the upgrade is answered: route now, and pass an upstream refusal through as it is. */
async function routeBeforeUpgrade(p: GatewayParts, sockets: ResponsesSockets, req: http.IncomingMessage, socket: Duplex, head: Buffer, model: string, query: URLSearchParams): Promise<void> {
  const r = await routeRequest(p, RESPONSES, { model }, model, req.headers, upstreamHeaders(req));
  if (r instanceof Refusal) return refuse(socket, r.status, errorBody(r.type, r.message, r.extra));
  if (r.translate) {
    // Answered over HTTP in another format, message by message: there is no upstream socket to open.
    sockets.server.handleUpgrade(req, socket, head, (client) => {
      sockets.live.add(client);
      client.on('close', () => sockets.live.delete(client));
      new Relay(p, req, client, query).start();
    });
    return;
  }
  query.set('model', r.d.model);
  const up = await connectUpstream(wsUrl(r, query), r.headers, p.upstream.ws);
  if (up.kind === 'refused') {
    p.log.info(`WebSocket ${req.url}: "${r.d.name}" refused the upgrade (${up.status}); passed on`);
    return refuse(socket, up.status, up.body, up.headers);
  }
  if (up.kind === 'failed') return refuse(socket, 502, errorBody('proxy_error', unreachableMessage(r, up.message), { error_type: 'connect_failed', deployment: r.d.name }));
  if (socket.destroyed) return void up.ws.terminate();
  sockets.server.handleUpgrade(req, socket, head, (client) => {
    sockets.live.add(client);
    client.on('close', () => sockets.live.delete(client));
    const relay = new Relay(p, req, client, query);
    relay.bind(r, up.ws);
    relay.start();
  });
}

/** One client socket and, once its first request is routed, the deployment's socket. */
class Relay {
  private upstream: WebSocket | null = null;
  private bound: Routed | null = null;
  /** Client messages are handled in order, one at a time (routing is asynchronous). */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** Translated routes: the conversation so far (input and output items) by response id, for previous_response_id. */
  private readonly history = new Map<string, unknown[]>();

  constructor(
    private readonly p: GatewayParts,
    private readonly req: http.IncomingMessage,
    private readonly client: WebSocket,
    private readonly query: URLSearchParams,
  ) {}

  start(): void {
    this.client.on('message', (data, isBinary) => {
      this.chain = this.chain.then(() => this.fromClient(data, isBinary)).catch((err: unknown) => {
        this.p.log.error(`WebSocket ${this.req.url}: ${(err as Error).stack ?? String(err)}`);
        this.fail(500, 'api_error', `ccproxy gateway failed: ${(err as Error).message}`, CLOSE_UPSTREAM_FAILED);
      });
    });
    this.client.on('close', (code, reason) => {
      this.closed = true;
      if (this.upstream) closeWith(this.upstream, code, reason);
    });
    this.client.on('error', (err) => {
      this.p.log.debug(`WebSocket ${this.req.url}: the client socket failed: ${err.message}`);
      this.upstream?.terminate();
    });
  }

  bind(r: Routed, ws: WebSocket): void {
    this.bound = r;
    this.upstream = ws;
    ws.on('message', (data, isBinary) => {
      if (this.client.readyState === WebSocket.OPEN) this.client.send(data, { binary: isBinary });
    });
    ws.on('close', (code, reason) => closeWith(this.client, code, reason));
    ws.on('error', (err) => {
      this.p.log.warn(`WebSocket to "${r.d.name}" (${r.origin}) failed: ${err.message}`);
      this.client.terminate();
    });
    if (this.closed) ws.close();
  }

  private async fromClient(data: RawData, isBinary: boolean): Promise<void> {
    if (this.closed) return;
    const bytes = toBuffer(data);
    const message = isBinary ? null : parseJsonObject(bytes.toString('utf8'), 'WebSocket message');
    const model = message && !(message instanceof Refusal) ? message.model : undefined;
    if (!message || message instanceof Refusal || typeof model !== 'string' || model === '') {
      if (this.upstream) return void this.upstream.send(bytes, { binary: isBinary });
      return this.fail(400, 'invalid_request_error', 'the first message on /v1/responses must be a JSON response.create event naming the model', CLOSE_REFUSED);
    }
    // A request: the rules see it as they see an HTTP Responses body (without the event's `type`).
    const { type, ...body } = message;
    const r = await routeRequest(this.p, RESPONSES, body, model, this.req.headers, upstreamHeaders(this.req));
    if (r instanceof Refusal) {
      if (this.upstream) return this.sendError(r.status, r.type, r.message, r.extra);
      return this.fail(r.status, r.type, r.message, CLOSE_REFUSED, r.extra);
    }
    if (r.translate) return this.translated(r, body);
    if (!this.upstream) {
      const up = await connectUpstream(wsUrl(r, this.query), r.headers, this.p.upstream.ws);
      if (!this.opened(r, up)) return;
    } else if (r.d.name !== this.bound!.d.name) {
      return this.sendError(400, 'invalid_request_error', `model "${model}" routes to "${r.d.name}", but this WebSocket is connected to "${this.bound!.d.name}"; open a new connection for it`);
    }
    this.upstream!.send(JSON.stringify(type === undefined ? body : { type, ...body }));
  }

  /**
   * A request for a deployment of another format: sent over HTTP (translated.ts), its events sent back as messages.
   * A previous_response_id of this connection is resolved from what it carried before; the connection keeps the
   * last few conversations for that.
   */
  private async translated(r: Routed, body: Record<string, unknown>): Promise<void> {
    const prev = body.previous_response_id;
    if (typeof prev === 'string' && this.history.has(prev)) {
      body.input = [...this.history.get(prev)!, ...inputItems(body.input)];
      delete body.previous_response_id;
    }
    const input = inputItems(body.input);
    if (body.generate === false) {
      // A warm-up: nothing to generate, nothing to send to the provider.
      const response = { id: `resp_warmup_${Date.now().toString(36)}`, object: 'response', created_at: Math.floor(Date.now() / 1000), status: 'completed', model: r.d.model, output: [], usage: null, error: null };
      this.history.set(response.id, input);
      this.send({ type: 'response.created', sequence_number: 0, response: { ...response, status: 'in_progress' } });
      return this.send({ type: 'response.completed', sequence_number: 1, response });
    }
    body.stream = true;
    // Routed as a request without `stream`: the deployment's streaming URL now (Gemini's differs).
    r.path = translatedUrl(r.d, r.translate!, r.ctx, true).path;
    const abort = new AbortController();
    const onClose = () => abort.abort();
    this.client.once('close', onClose);
    const out: Out = {
      signal: abort.signal,
      json: (status, headers, text) => {
        const parsed = parseJsonObject(text, 'the answer');
        const error = !(parsed instanceof Refusal) && parsed.error && typeof parsed.error === 'object' ? parsed.error : { type: 'api_error', message: text };
        this.send({ type: 'error', status, error, headers });
      },
      open: () => {},
      write: () => {},
      event: (e) => {
        if ((e.type === 'response.completed' || e.type === 'response.incomplete') && e.response?.id) {
          this.history.set(e.response.id, [...input, ...(e.response.output as unknown[])]);
          while (this.history.size > HISTORY_KEPT) this.history.delete(this.history.keys().next().value!);
        }
        this.send(e);
      },
      end: () => {},
    };
    try {
      await runTranslated(this.p, out, r, body);
    } finally {
      this.client.off('close', onClose);
    }
  }

  /** Binds the deployment's socket, or tells the client why there is none and closes. */
  private opened(r: Routed, up: UpstreamSocket): boolean {
    if (up.kind === 'open') {
      this.bind(r, up.ws);
      return !this.closed;
    }
    if (up.kind === 'failed') {
      this.p.log.warn(`WebSocket to "${r.d.name}" (${r.origin}): ${up.message}`);
      this.fail(502, 'proxy_error', unreachableMessage(r, up.message), CLOSE_UPSTREAM_FAILED, { error_type: 'connect_failed', deployment: r.d.name });
      return false;
    }
    this.p.log.info(`WebSocket ${this.req.url}: "${r.d.name}" refused the upgrade (${up.status})`);
    const text = up.body.toString('utf8');
    const parsed = parseJsonObject(text, 'the refusal');
    const error = !(parsed instanceof Refusal) && parsed.error && typeof parsed.error === 'object' ? (parsed.error as Record<string, unknown>) : { type: 'upstream_error', message: text || `the upgrade was refused with ${up.status}` };
    this.send({ type: 'error', status: up.status, error: { ...error, deployment: r.d.name }, headers: plainHeaders(up.headers) });
    this.client.close(CLOSE_UPSTREAM_FAILED, `upstream refused the upgrade: ${up.status}`);
    return false;
  }

  private sendError(status: number, type: string, message: string, extra: Record<string, unknown> = {}): void {
    this.send({ type: 'error', status, error: { type, code: type, message, ...extra } });
  }

  private fail(status: number, type: string, message: string, code: number, extra: Record<string, unknown> = {}): void {
    this.sendError(status, type, message, extra);
    this.client.close(code, truncateReason(message));
  }

  private send(event: unknown): void {
    if (this.client.readyState === WebSocket.OPEN) this.client.send(JSON.stringify(event));
  }
}

/** Conversations a connection keeps for previous_response_id on translated routes. */
const HISTORY_KEPT = 4;

function inputItems(input: unknown): unknown[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  return Array.isArray(input) ? input : [];
}

function upstreamHeaders(req: http.IncomingMessage): Record<string, string | string[]> {
  const headers = endToEnd(req.headers) as Record<string, string | string[]>;
  for (const h of HANDSHAKE_HEADERS) delete headers[h];
  // A link from the reverse capture stays: connectUpstream (or translated.ts) passes it on or drops it (link.ts).
  return headers;
}

function wsUrl(r: Routed, query: URLSearchParams): URL {
  const url = new URL(r.origin + r.path);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = query.toString();
  if (q) url.search = q;
  return url;
}

function unreachableMessage(r: Routed, why: string): string {
  return `ccproxy could not open the WebSocket to deployment "${r.d.name}" (${r.origin}): ${why}`;
}

/** An HTTP answer on a socket whose upgrade is refused, then the end of it. */
function refuse(socket: Duplex, status: number, body: string | Buffer, headers: http.IncomingHttpHeaders = { 'content-type': 'application/json' }): void {
  if (socket.destroyed) return;
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  const lines = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Refused'}`, 'Connection: close', `Content-Length: ${payload.length}`];
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || ['connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade'].includes(k)) continue;
    for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
  }
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), payload]));
}

/** A close received on one side, sent on the other: codes that may not be sent (1005 none, 1006 abnormal) become 1000 / 1011. */
function closeWith(ws: WebSocket, code: number, reason: Buffer): void {
  if (ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING) return;
  if (ws.readyState === WebSocket.CONNECTING) return void ws.terminate();
  const valid = (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999);
  const sendable = valid ? code : code === 1005 ? 1000 : CLOSE_UPSTREAM_FAILED;
  ws.close(sendable, reason);
}

function toBuffer(data: RawData): Buffer {
  return Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

function plainHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** A close reason is at most 123 bytes. */
function truncateReason(s: string): string {
  let out = s;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}
