// Which routes are translated and how: a client API (Anthropic Messages, OpenAI chat, OpenAI Responses) meeting a
// deployment of another format. Every translation goes through Anthropic Messages: the client's request is read
// into it (unless it is one), then written in the deployment's format (unless that is Anthropic); answers come
// back the same way. Responses requests reach an OpenAI-format deployment as chat completions unless its provider
// serves the Responses API itself.
import type { AnthropicRequest } from '../translate/anthropic.js';
import { fromChatRequest } from '../translate/from-chat-request.js';
import { fromResponsesRequest } from '../translate/from-responses-request.js';
import { prepareForAnthropic } from '../translate/for-anthropic.js';
import { toGeminiRequest } from '../translate/to-gemini-request.js';
import { toOpenAIRequest } from '../translate/to-openai-request.js';
import type { Deployment } from './config.js';
import type { RoutedEndpoint } from './endpoints.js';
import { endpointUrl, geminiUrl, type ApiFormat } from './providers.js';

/** The client side of a translated route. */
export type ClientApi = 'anthropic' | 'chat' | 'responses';

/** OpenAI-format providers that serve /responses themselves; the others get Responses requests as chat completions. */
const NATIVE_RESPONSES = new Set(['openai', 'xai', 'azure']);

export const CLIENT_NAMES: Record<ClientApi, string> = { anthropic: 'Anthropic Messages', chat: 'OpenAI chat completions', responses: 'OpenAI Responses' };
export const TARGET_NAMES: Record<ApiFormat, string> = { anthropic: 'Anthropic Messages', openai: 'OpenAI chat completions', gemini: 'Gemini generateContent' };

export function clientApi(ep: Pick<RoutedEndpoint, 'endpoint'>): ClientApi | null {
  if (ep.endpoint === 'messages' || ep.endpoint === 'count_tokens') return 'anthropic';
  if (ep.endpoint === 'chat') return 'chat';
  if (ep.endpoint === 'responses') return 'responses';
  return null;
}

/**
 * The format a request on `ep` is translated to for deployment `d`, or null when it goes as it came (same format)
 * or cannot be translated (embeddings, Gemini clients, Responses compaction: refused by the caller).
 */
export function translationTarget(ep: Pick<RoutedEndpoint, 'endpoint' | 'upstream'>, d: Pick<Deployment, 'format' | 'provider'>): ApiFormat | null {
  const f = d.format;
  if (!f) return null;
  switch (ep.endpoint) {
    case 'messages':
    case 'count_tokens':
      return f === 'anthropic' ? null : f;
    case 'chat':
      return f === 'openai' ? null : f;
    case 'responses':
      if (ep.upstream === 'responses_compact') return null;
      if (f === 'openai') return NATIVE_RESPONSES.has(d.provider ?? 'openai') ? null : 'openai';
      return f;
    default:
      return null;
  }
}

/** Where a translated request goes: the deployment's chat completions, Messages (or count_tokens), or Gemini's method. */
export function translatedUrl(d: Deployment, target: ApiFormat, ep: Pick<RoutedEndpoint, 'endpoint'>, stream: boolean): { origin: string; path: string } {
  const count = ep.endpoint === 'count_tokens';
  if (target === 'gemini') {
    const { origin, path } = geminiUrl(d.apiBase!, 'v1beta', encodeURIComponent(d.model), count ? 'countTokens' : stream ? 'streamGenerateContent' : 'generateContent');
    return { origin, path: stream && !count ? `${path}?alt=sse` : path };
  }
  return endpointUrl(d.apiBase!, target, target === 'anthropic' ? (count ? 'count_tokens' : 'messages') : 'chat');
}

/** A translated request: the client's as Anthropic Messages, the deployment's body, and what the answer needs. */
export interface Plan {
  client: ClientApi;
  target: ApiFormat;
  /** The request in Anthropic Messages. */
  hub: AnthropicRequest;
  /** The body sent to the deployment. */
  body: Record<string, unknown>;
  warnings: string[];
  stream: boolean;
  /** Chat clients: the usage-only final chunk was asked for. */
  includeUsage: boolean;
  /** Responses clients: free-form custom tools, whose calls go back as custom_tool_call. */
  customTools: Set<string>;
}

/** Throws TranslationRefusal for a request that cannot be translated (said to the client as a 400). */
export function planTranslation(client: ClientApi, target: ApiFormat, d: Pick<Deployment, 'provider'>, request: Record<string, unknown>): Plan {
  let hub: AnthropicRequest;
  const warnings: string[] = [];
  let includeUsage = false;
  let customTools = new Set<string>();
  if (client === 'chat') {
    const r = fromChatRequest(request);
    hub = r.request;
    warnings.push(...r.warnings);
    includeUsage = r.includeUsage;
  } else if (client === 'responses') {
    const r = fromResponsesRequest(request);
    hub = r.request;
    warnings.push(...r.warnings);
    customTools = r.customTools;
  } else hub = request as AnthropicRequest;
  let body: Record<string, unknown>;
  if (target === 'anthropic') {
    warnings.push(...prepareForAnthropic(hub));
    body = hub as Record<string, unknown>;
  } else {
    const t = target === 'openai' ? toOpenAIRequest(hub, { provider: d.provider ?? 'openai' }) : toGeminiRequest(hub);
    warnings.push(...t.warnings);
    body = t.body;
  }
  return { client, target, hub, body, warnings, stream: hub.stream === true, includeUsage, customTools };
}
