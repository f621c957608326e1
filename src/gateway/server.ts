// The gateway: the role LiteLLM played in the original. It takes Anthropic Messages, OpenAI chat, Responses and
// embeddings, and Gemini `{model}:{method}` requests, labels them by ccproxy's rules, resolves the label to a
// deployment of config.yaml, rewrites the model and sends the request to the deployment's api_base in the format
// it came in (dispatch.ts); the answer streams back untouched (relay.ts). Anthropic Messages, OpenAI chat and
// Responses requests sent to a deployment of another format are translated both ways (translated.ts). The
// Responses API's WebSocket form is served on the same path (responses-ws.ts); other provider paths pass through
// (passthrough.ts).
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { endToEnd } from '../proxy/hop.js';
import { createListener } from '../proxy/listen.js';
import { labelRequest, type GatewayParts } from './dispatch.js';
import { passThroughFormat, routedEndpoint } from './endpoints.js';
import { moveGeminiKey } from './gemini.js';
import { readJson, Refusal, sendError, sendJson } from './http-io.js';
import { passThrough } from './passthrough.js';
import { forward } from './relay.js';
import { forwardTranslated } from './translated.js';
import { countTokensAnthropic } from './count-tokens.js';
import { prepareForAnthropic } from '../translate/for-anthropic.js';
import type { AnthropicRequest } from '../translate/anthropic.js';
import { handleResponsesUpgrade, ResponsesSockets } from './responses-ws.js';
import { takeRequestRouting } from './router/fallbacks.js';
import { runRouted } from './router/run.js';

export type { GatewayParts } from './dispatch.js';

export interface GatewayServer extends http.Server {
  /** The Responses WebSockets: closed (1001) as the gateway stops, cut when its grace period is over. */
  webSockets: ResponsesSockets;
}

export function createGatewayServer(p: GatewayParts): GatewayServer {
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(p, req, res).catch((err: unknown) => {
      p.log.error(`${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      sendError(res, 500, 'api_error', `ccproxy gateway failed: ${(err as Error).message}`);
    });
  };
  const webSockets = new ResponsesSockets();
  const server = Object.assign(createListener(handler), { webSockets });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    handleResponsesUpgrade(p, webSockets, req, socket, head);
  });
  return server;
}

function splitUrl(raw: string): { path: string; query: string } {
  const q = raw.indexOf('?');
  return { path: q < 0 ? raw : raw.slice(0, q), query: q < 0 ? '' : raw.slice(q) };
}

async function handle(p: GatewayParts, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const { path, query } = splitUrl(req.url ?? '/');
  const method = req.method ?? 'GET';
  const read = method === 'GET' || method === 'HEAD';
  if (read && path === '/') {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(method === 'HEAD' ? undefined : 'ccproxy gateway\n');
    return;
  }
  if (read && (path === '/health' || path === '/health/liveliness' || path === '/health/readiness')) {
    req.resume();
    return sendJson(res, { status: 'healthy', models: p.state.models.names.length }, method === 'HEAD');
  }
  if (read && (path === '/v1/models' || path === '/models')) {
    req.resume();
    return sendJson(res, modelList(p), method === 'HEAD');
  }
  const ep = routedEndpoint(path);
  if (ep && method === 'POST') return routed(p, req, res, ep, query);
  if (ep) {
    req.resume();
    res.setHeader('allow', 'POST');
    return sendError(res, 405, 'invalid_request_error', `${method} ${path}: use POST`);
  }
  const format = passThroughFormat(path, req.headers);
  if (format) return passThrough(p, req, res, format, path, query);
  req.resume();
  return sendError(res, 404, 'not_found_error', `${method} ${path}: no such endpoint; the gateway serves POST /v1/messages, /v1/messages/count_tokens, /v1/chat/completions, /v1/responses, /v1/embeddings, /v1beta/models/{model}:{method}, GET /v1/models, /health, and passes other /v1/*, /v1beta/* provider paths through`);
}

async function routed(p: GatewayParts, req: http.IncomingMessage, res: http.ServerResponse, ep: NonNullable<ReturnType<typeof routedEndpoint>>, query: string): Promise<void> {
  const body = await readJson(req);
  if (body instanceof Refusal) return sendError(res, body.status, body.type, body.message);
  const requestedModel = ep.gemini?.model ?? body.model;
  if (typeof requestedModel !== 'string' || requestedModel === '') return sendError(res, 400, 'invalid_request_error', 'model: expected the model name, a non-empty string');

  const headers = endToEnd(req.headers) as Record<string, string | string[]>;
  for (const h of ['host', 'content-length', 'content-encoding', 'expect']) delete headers[h];
  const q = ep.format === 'gemini' ? moveGeminiKey(query, headers) : query;
  // LiteLLM's per-request router keys are the gateway's, never the provider's.
  const routing = takeRequestRouting(body);
  if (typeof routing === 'string') return sendError(res, 400, 'invalid_request_error', routing);
  const labelled = await labelRequest(p, ep, body, requestedModel, req.headers, headers);
  if (labelled instanceof Refusal) return sendError(res, labelled.status, labelled.type, labelled.message, labelled.extra);
  const stream = body.stream === true || ep.gemini?.method === 'streamGenerateContent';
  await runRouted(p, res, { ep, labelled, body, headers, stream, routing }, async (r, b) => {
    if (r.translate) return forwardTranslated(p, res, r, b);
    // An oat_sources token may need a refresh and a retry, which the relay does; every other count is answered, estimated if need be.
    if (ep.endpoint === 'count_tokens' && r.choice.kind !== 'oat') return countTokensAnthropic(p, res, r, b as AnthropicRequest);
    // A session another model answered before: Anthropic gets back only the thinking it signed (and no more cache
    // breakpoints than it takes).
    if (ep.endpoint === 'messages' && r.d.format === 'anthropic') for (const w of prepareForAnthropic(b as AnthropicRequest)) p.log.warn(`"${r.d.name}": ${w}`);
    r.headers['content-type'] ??= 'application/json';
    const payload = Buffer.from(JSON.stringify(b));
    r.headers['content-length'] = String(payload.length);
    await forward(p, res, { origin: r.origin, path: r.path + q, method: 'POST', headers: r.headers, body: payload, d: r.d, choice: r.choice, send: r.send });
  });
}

/** The configured model names in a shape both SDKs read: OpenAI's list (`object`, `owned_by`) and Anthropic's (`type`, `display_name`, `has_more`). */
function modelList(p: GatewayParts) {
  const names = p.state.models.names;
  const created = 0;
  return {
    object: 'list',
    data: names.map((id) => ({ id, object: 'model', type: 'model', display_name: id, created, created_at: new Date(0).toISOString(), owned_by: p.state.models.resolve(id)?.provider ?? 'ccproxy' })),
    has_more: false,
    first_id: names[0] ?? null,
    last_id: names.at(-1) ?? null,
  };
}
