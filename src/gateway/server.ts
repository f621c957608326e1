// The gateway: the role LiteLLM played in the original. It takes Anthropic Messages and OpenAI chat requests,
// labels them by ccproxy's rules, resolves the label to a deployment of config.yaml, rewrites `model` and sends
// the request to the deployment's api_base in the format it came in. The response streams back untouched:
// headers at once, each chunk (each SSE event) as it arrives, provider errors as they are.
import http from 'node:http';
import { decodeBody } from '../capture/decode.js';
import type { Logger } from '../log.js';
import { endToEnd } from '../proxy/hop.js';
import { createListener } from '../proxy/listen.js';
import type { Deployment } from './config.js';
import { applyCredentials, CredentialError, setOatHeaders, type CredentialChoice, type OatSources } from './credentials.js';
import { route, RouteError, type HookContext, type NamedHook, type RoutingState } from './hooks.js';
import { endpointUrl, type ApiFormat } from './providers.js';
import type { RuleContext } from './rules.js';
import { classifyOutboundError, type Upstream } from './upstream.js';

/** Anthropic accepts request bodies up to 32 MB; twice that, decoded, is refused with 413. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const ANTHROPIC_VERSION = '2023-06-01';

export interface GatewayParts {
  state: RoutingState;
  hooks: readonly NamedHook[];
  oat: OatSources;
  upstream: Upstream;
  env: NodeJS.ProcessEnv;
  log: Logger;
}

type Endpoint = RuleContext['endpoint'];
const ENDPOINTS: Record<string, { endpoint: Endpoint; format: ApiFormat }> = {
  '/v1/messages': { endpoint: 'messages', format: 'anthropic' },
  '/v1/messages/count_tokens': { endpoint: 'count_tokens', format: 'anthropic' },
  '/v1/chat/completions': { endpoint: 'chat', format: 'openai' },
  '/chat/completions': { endpoint: 'chat', format: 'openai' },
};

/** One error shape for both formats: Anthropic's, whose `error.message` the OpenAI SDK reads as well. */
function sendError(res: http.ServerResponse, status: number, type: string, message: string, extra: Record<string, unknown> = {}) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ type: 'error', error: { type, message, ...extra } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: http.ServerResponse, value: unknown, head = false) {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

export function createGatewayServer(p: GatewayParts): http.Server {
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(p, req, res).catch((err: unknown) => {
      p.log.error(`${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      sendError(res, 500, 'api_error', `ccproxy gateway failed: ${(err as Error).message}`);
    });
  };
  return createListener(handler);
}

async function handle(p: GatewayParts, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? '' : raw.slice(q);
  const method = req.method ?? 'GET';
  const ep = ENDPOINTS[path];
  if (!ep) {
    req.resume();
    if ((method === 'GET' || method === 'HEAD') && path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(method === 'HEAD' ? undefined : 'ccproxy gateway\n');
      return;
    }
    if ((method === 'GET' || method === 'HEAD') && (path === '/health' || path === '/health/liveliness' || path === '/health/readiness')) {
      return sendJson(res, { status: 'healthy', models: p.state.models.names.length }, method === 'HEAD');
    }
    if ((method === 'GET' || method === 'HEAD') && (path === '/v1/models' || path === '/models')) return sendJson(res, modelList(p), method === 'HEAD');
    return sendError(res, 404, 'not_found_error', `${method} ${path}: no such endpoint; the gateway serves POST /v1/messages, /v1/messages/count_tokens, /v1/chat/completions and GET /v1/models, /health`);
  }
  if (method !== 'POST') {
    req.resume();
    res.setHeader('allow', 'POST');
    return sendError(res, 405, 'invalid_request_error', `${method} ${path}: use POST`);
  }

  const body = await readJson(req, res);
  if (!body) return;
  const requestedModel = body.model;
  if (typeof requestedModel !== 'string' || requestedModel === '') return sendError(res, 400, 'invalid_request_error', 'model: expected the model name, a non-empty string');

  const headers = endToEnd(req.headers) as Record<string, string | string[]>;
  for (const h of ['host', 'content-length', 'content-encoding', 'expect']) delete headers[h];
  const ctx: HookContext = {
    endpoint: ep.endpoint,
    format: ep.format,
    body,
    requestedModel,
    incoming: req.headers,
    headers,
    label: null,
    deployment: null,
    forward: { oauth: false, apiKey: false },
    sessionId: null,
    metadata: {},
    log: p.log,
  };
  let d: Deployment;
  try {
    for (const h of p.hooks) await h.run(ctx);
    d = ctx.deployment ?? route(p.state, ctx.label, requestedModel);
  } catch (err) {
    if (err instanceof RouteError) return sendError(res, err.status, err.type, err.message);
    throw err;
  }
  if (d.unusable || !d.apiBase || !d.format) return sendError(res, 501, 'api_error', `model "${requestedModel}" routes to "${d.name}" (${d.where}), which ccproxy cannot call: ${d.unusable}`);
  if (d.format !== ep.format) {
    return sendError(res, 400, 'invalid_request_error', `model "${requestedModel}" routes to "${d.name}" (${d.where}), an ${d.format === 'openai' ? 'OpenAI' : 'Anthropic'}-format deployment, but ${path} is ${ep.format === 'openai' ? 'OpenAI chat' : 'Anthropic Messages'}; ccproxy does not translate between formats`);
  }

  let choice: CredentialChoice;
  try {
    choice = await applyCredentials(headers, d, ctx.forward, p.oat, p.env);
  } catch (err) {
    if (err instanceof CredentialError) return sendError(res, 502, 'proxy_error', err.message, { error_type: 'credential_failed', deployment: d.name });
    throw err;
  }
  Object.assign(headers, lowerKeys(d.extraHeaders));
  if (d.format === 'anthropic' && !headers['anthropic-version']) headers['anthropic-version'] = ANTHROPIC_VERSION;
  headers['content-type'] ??= 'application/json';

  body.model = d.model;
  const payload = Buffer.from(JSON.stringify(body));
  headers['content-length'] = String(payload.length);
  const { origin, path: upPath } = endpointUrl(d.apiBase, d.format, ep.endpoint);
  if (p.log.debugEnabled) p.log.debug(`${path} model=${requestedModel} label=${ctx.label === null ? '-' : ctx.label === 'default' && p.state.passthrough ? 'default (no rule matched: routed by the requested model)' : ctx.label} → ${d.name} (${d.provider ?? '?'}/${d.model}) ${origin}${upPath} auth=${choice.kind}`);
  await forward(p, res, { origin, path: upPath + query, headers, payload, d, choice });
}

interface Outbound {
  origin: string;
  path: string;
  headers: Record<string, string | string[]>;
  payload: Buffer;
  d: Deployment;
  choice: CredentialChoice;
}

async function forward(p: GatewayParts, res: http.ServerResponse, o: Outbound): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const send = () => p.upstream.dispatcher.request({ origin: o.origin, path: o.path, method: 'POST', headers: o.headers, body: o.payload, signal: abort.signal });
  let up: Awaited<ReturnType<typeof send>>;
  try {
    up = await send();
    // An oat_sources token the provider refuses: read the source again and, if the token changed, retry once.
    if (up.statusCode === 401 && o.choice.kind === 'oat') {
      const refused = await up.body.arrayBuffer();
      let fresh: string | null = null;
      try {
        fresh = await p.oat.refresh(o.choice.oatSource!, o.choice.oatToken!);
      } catch (err) {
        p.log.warn(`${(err as Error).message}`);
      }
      if (fresh && fresh !== o.choice.oatToken) {
        p.log.info(`oat_sources.${o.choice.oatSource!.provider}: the provider refused the cached token; retrying with a fresh one`);
        setOatHeaders(o.headers, o.d, fresh, o.choice.oatSource!);
        up = await send();
      } else {
        res.writeHead(401, endToEnd(up.headers as http.IncomingHttpHeaders) as http.OutgoingHttpHeaders);
        res.end(Buffer.from(refused));
        return;
      }
    }
  } catch (err) {
    if (abort.signal.aborted) return;
    const e = classifyOutboundError(err);
    return unreachable(p, res, o, e.status, e.type, e.message);
  }
  // The forward capture could not reach the provider (its 502/504 carries x-ccproxy-error): say so as the gateway
  // does for its own network failures, naming the deployment.
  const captureError = up.headers['x-ccproxy-error'];
  if (typeof captureError === 'string' && up.statusCode >= 502) {
    const text = await up.body.text().catch(() => '');
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
    } catch {
      /* not JSON: keep the text */
    }
    return unreachable(p, res, o, up.statusCode, captureError, message);
  }
  res.writeHead(up.statusCode, endToEnd(up.headers as http.IncomingHttpHeaders) as http.OutgoingHttpHeaders);
  // Headers leave with the first chunk when it is already here, else on the next turn: a stream's headers never
  // wait for its first event.
  setImmediate(() => {
    if (!res.headersSent && !res.destroyed) res.flushHeaders();
  });
  const body = up.body;
  body.on('error', (err) => {
    if (!abort.signal.aborted) p.log.warn(`"${o.d.name}": the response broke off: ${err.message}`);
    res.destroy();
  });
  body.pipe(res);
}

/** The deployment could not be reached (by the gateway, or by the forward capture on its behalf): 502/504 naming it. */
function unreachable(p: GatewayParts, res: http.ServerResponse, o: Outbound, status: number, type: string, message: string): void {
  p.log.warn(`"${o.d.name}" (${o.origin}): ${type}: ${message}`);
  sendError(res, status, 'proxy_error', `ccproxy could not reach deployment "${o.d.name}" (${o.origin}): ${message}`, { error_type: type, deployment: o.d.name, upstream: o.origin });
}

async function readJson(req: http.IncomingMessage, res: http.ServerResponse): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      sendError(res, 413, 'request_too_large', `request body over ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
      req.resume();
      return null;
    }
    chunks.push(c as Buffer);
  }
  let buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  const encoding = req.headers['content-encoding'];
  if (encoding && encoding !== 'identity') {
    const decoded = await decodeBody(buf, encoding, MAX_BODY_BYTES);
    if (decoded.error) {
      sendError(res, 415, 'invalid_request_error', `request body: ${decoded.error}`);
      return null;
    }
    if (decoded.truncated) {
      sendError(res, 413, 'request_too_large', `request body over ${MAX_BODY_BYTES / 1024 / 1024} MiB once decoded`);
      return null;
    }
    buf = decoded.body;
  }
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    sendError(res, 400, 'invalid_request_error', `request body is not valid JSON: ${(err as Error).message}`);
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    sendError(res, 400, 'invalid_request_error', `request body must be a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
    return null;
  }
  return value as Record<string, unknown>;
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
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
