// Anthropic's count_tokens for every deployment, so Claude Code's counts never end in a 404: a Gemini deployment
// counts with its own countTokens method (the request translated as for generateContent); an OpenAI-format one has
// no such endpoint, and a Gemini one that fails to count falls back too: a local estimate (token-estimate.ts),
// marked as one in the x-ccproxy-token-count header. An Anthropic-format deployment (often another vendor's
// Anthropic-compatible API) is asked as it is, and estimated for when it has no count_tokens (404, 405, 501).
import type http from 'node:http';
import { endToEnd } from '../proxy/hop.js';
import { carryLink } from '../proxy/link.js';
import type { AnthropicRequest } from '../translate/anthropic.js';
import { ESTIMATE_HEADER, ESTIMATE_VALUE, estimateInputTokens } from '../translate/token-estimate.js';
import { toGeminiRequest } from '../translate/to-gemini-request.js';
import type { GatewayParts, Routed } from './dispatch.js';
import { httpOut, type Out } from './translated.js';
import { classifyOutboundError } from './upstream.js';

/** Statuses by which an Anthropic-compatible API says it has no count_tokens. */
const NO_ENDPOINT = new Set([404, 405, 501]);

function estimate(out: Out, request: AnthropicRequest): void {
  let n: number;
  try {
    n = estimateInputTokens(request);
  } catch (err) {
    return out.json(400, {}, JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: `the request could not be counted: ${(err as Error).message}` } }));
  }
  out.json(200, { [ESTIMATE_HEADER]: ESTIMATE_VALUE }, JSON.stringify({ input_tokens: n }));
}

export async function countTokensTranslated(p: GatewayParts, out: Out, r: Routed, request: AnthropicRequest): Promise<void> {
  if (r.translate !== 'gemini') return estimate(out, request);
  const { body } = toGeminiRequest({ ...request, max_tokens: request.max_tokens ?? 1 });
  // countTokens takes the whole generateContent request, so the system prompt and tools are counted too.
  const { generationConfig: _ignored, ...counted } = body;
  const payload = Buffer.from(JSON.stringify({ generateContentRequest: { model: `models/${r.d.model}`, ...counted } }));
  try {
    const up = await p.upstream.dispatcher.request({ origin: r.origin, path: r.path, method: 'POST', headers: { ...r.headers, 'content-type': 'application/json', 'content-length': String(payload.length) }, body: payload, signal: out.signal });
    const text = await up.body.text();
    if (up.statusCode === 200) {
      const total = (JSON.parse(text) as { totalTokens?: unknown }).totalTokens;
      if (typeof total === 'number') return out.json(200, { [ESTIMATE_HEADER]: 'provider' }, JSON.stringify({ input_tokens: total }));
    }
    p.log.warn(`"${r.d.name}": countTokens answered ${up.statusCode} (${text.slice(0, 200)}); the count is estimated locally`);
  } catch (err) {
    if (out.signal.aborted) return;
    p.log.warn(`"${r.d.name}": countTokens failed (${(err as Error).message}); the count is estimated locally`);
  }
  estimate(out, request);
}

/** count_tokens to an Anthropic-format deployment: its answer as it is, or an estimate when it has no such endpoint. */
export async function countTokensAnthropic(p: GatewayParts, res: http.ServerResponse, r: Routed, request: AnthropicRequest): Promise<void> {
  const out = httpOut(res);
  const payload = Buffer.from(JSON.stringify(request));
  // The answer is read whole and sent on: uncompressed.
  const headers = { ...r.headers, 'content-type': 'application/json', 'content-length': String(payload.length), 'accept-encoding': 'identity' };
  const where = new URL(r.origin);
  carryLink(headers, where, p.upstream.ws.proxyFor(where));
  let up;
  try {
    up = await p.upstream.dispatcher.request({ origin: r.origin, path: r.path, method: 'POST', headers, body: payload, signal: out.signal });
  } catch (err) {
    if (out.signal.aborted) return;
    const e = classifyOutboundError(err);
    p.log.warn(`"${r.d.name}" (${r.origin}): ${e.type}: ${e.message}`);
    return out.json(e.status, {}, JSON.stringify({ type: 'error', error: { type: 'proxy_error', message: `ccproxy could not reach deployment "${r.d.name}" (${r.origin}): ${e.message}`, error_type: e.type, deployment: r.d.name, upstream: r.origin } }));
  }
  if (NO_ENDPOINT.has(up.statusCode) && typeof up.headers['x-ccproxy-error'] !== 'string') {
    await up.body.text().catch(() => '');
    p.log.info(`"${r.d.name}": no count_tokens (${up.statusCode}); the count is estimated locally`);
    return estimate(out, request);
  }
  const body = Buffer.from(await up.body.arrayBuffer());
  const passed = endToEnd(up.headers as http.IncomingHttpHeaders) as Record<string, string>;
  for (const h of ['content-length', 'content-type', 'content-encoding']) delete passed[h];
  out.json(up.statusCode, passed, body.toString('utf8'));
}
