// Which request paths the gateway routes by model, in which API format, and where the model is read (the JSON
// body's `model`, or for Gemini the URL path); and for every other provider path, whose API it belongs to, so it
// can be passed through to that provider. Pure functions of the path and headers: no I/O, tested on their own.
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiFormat, UpstreamEndpoint } from './providers.js';
import type { RuleContext } from './rules.js';

export interface RoutedEndpoint {
  endpoint: RuleContext['endpoint'];
  format: ApiFormat;
  /** What the client called, for messages (`OpenAI Responses`, `Gemini generateContent`). */
  title: string;
  /** OpenAI and Anthropic: where the request goes under the deployment's base. */
  upstream?: UpstreamEndpoint;
  /** Gemini: the model from the path, the method after the colon, and the API version the client used. */
  gemini?: { model: string; method: string; version: string };
}

/** The paths routed by the model in the JSON body. Without /v1 too, as OpenAI clients do with a base URL lacking it. */
const BODY_ROUTED: Record<string, RoutedEndpoint> = {
  '/v1/messages': { endpoint: 'messages', format: 'anthropic', title: 'Anthropic Messages', upstream: 'messages' },
  '/v1/messages/count_tokens': { endpoint: 'count_tokens', format: 'anthropic', title: 'Anthropic Messages', upstream: 'count_tokens' },
  '/v1/chat/completions': { endpoint: 'chat', format: 'openai', title: 'OpenAI chat', upstream: 'chat' },
  '/chat/completions': { endpoint: 'chat', format: 'openai', title: 'OpenAI chat', upstream: 'chat' },
  '/v1/responses': { endpoint: 'responses', format: 'openai', title: 'OpenAI Responses', upstream: 'responses' },
  '/responses': { endpoint: 'responses', format: 'openai', title: 'OpenAI Responses', upstream: 'responses' },
  // Codex compacts a long conversation here; the body names the model like /responses.
  '/v1/responses/compact': { endpoint: 'responses', format: 'openai', title: 'OpenAI Responses', upstream: 'responses_compact' },
  '/responses/compact': { endpoint: 'responses', format: 'openai', title: 'OpenAI Responses', upstream: 'responses_compact' },
  '/v1/embeddings': { endpoint: 'embeddings', format: 'openai', title: 'OpenAI embeddings', upstream: 'embeddings' },
  '/embeddings': { endpoint: 'embeddings', format: 'openai', title: 'OpenAI embeddings', upstream: 'embeddings' },
};

/** `/v1beta/models/gemini-2.5-pro:generateContent`: Gemini's `{model}:{method}` calls, in any of its API versions. */
const GEMINI_CALL = /^\/(v1|v1beta|v1alpha)\/models\/([^/:]+):([A-Za-z]+)$/;

/** The routed endpoint for a request path (without its query), or null. */
export function routedEndpoint(path: string): RoutedEndpoint | null {
  const byBody = BODY_ROUTED[path];
  if (byBody) return byBody;
  const g = GEMINI_CALL.exec(path);
  if (g) {
    const [, version, model, method] = g as unknown as [string, string, string, string];
    let decoded: string;
    try {
      decoded = decodeURIComponent(model);
    } catch {
      return null;
    }
    return { endpoint: 'gemini', format: 'gemini', title: `Gemini ${method}`, gemini: { model: decoded, method, version } };
  }
  return null;
}

/** Whether a path is the Responses API, which also has a WebSocket form. */
export function isResponsesPath(path: string): boolean {
  return path === '/v1/responses' || path === '/responses';
}

/**
 * Whose API a path belongs to, for a request the gateway cannot route by model (`/v1/files`, `/v1/batches`,
 * `/v1/messages/batches`, `/v1/responses/{id}`, `/v1beta/files`, …): Anthropic for /v1/messages/* or a request
 * that carries `anthropic-version`; Gemini for /v1beta/*, /v1alpha/*, /upload/* or a request that carries
 * `x-goog-api-key`; OpenAI for any other /v1/* path and for the OpenAI paths clients call without /v1
 * (/responses/*, /files, /batches, …). Null: not a provider path (404).
 */
export function passThroughFormat(path: string, headers: IncomingHttpHeaders): ApiFormat | null {
  if (path.startsWith('/v1/messages/') || (path.startsWith('/v1/') && headers['anthropic-version'] !== undefined)) return 'anthropic';
  if (/^\/(v1beta|v1alpha|upload)\//.test(path) || (/^\/v1\//.test(path) && headers['x-goog-api-key'] !== undefined)) return 'gemini';
  if (path.startsWith('/v1/')) return 'openai';
  if (/^\/(responses|files|batches|uploads|vector_stores|conversations|audio|images|moderations|fine_tuning|completions)(\/|$)/.test(path)) return 'openai';
  return null;
}

/**
 * The upstream path of a passed-through request under a deployment's base path: OpenAI bases end in /v1
 * (LiteLLM's rule), so `/v1/files` goes to `<base>/files`; Anthropic and Gemini bases are roots, so the path is
 * appended whole (a base that ends in the path's own version prefix is not doubled).
 */
export function passThroughPath(format: ApiFormat, basePath: string, path: string): string {
  const base = basePath.replace(/\/+$/, '');
  if (format === 'openai') return base + path.replace(/^\/v1(?=\/)/, '');
  const version = /^\/[^/]+/.exec(path)?.[0] ?? '';
  return (version && base.endsWith(version) ? base.slice(0, -version.length) : base) + path;
}
