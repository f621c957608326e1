// What a translated route does to a request, said before it is sent (`ccproxy route --from`): the API the client
// speaks and the one the deployment gets, what is mapped on the way (always), and what this request loses (the
// translators' own warnings, from running them on the request body).
import { TranslationRefusal } from '../translate/from-chat-request.js';
import type { Deployment } from './config.js';
import type { ApiFormat } from './providers.js';
import { CLIENT_NAMES, planTranslation, TARGET_NAMES, type ClientApi } from './translation.js';

export interface TranslationExplained {
  from: string;
  to: string;
  /** Through Anthropic Messages, when neither end speaks it. */
  via: string | null;
  mapped: string[];
  dropped: string[];
  /** Why this request body cannot be translated, or null. */
  refused: string | null;
}

const READ: Record<Exclude<ClientApi, 'anthropic'>, string[]> = {
  chat: [
    'system and developer messages → system',
    'tool messages → tool_result blocks after the assistant tool_calls',
    'tool_calls → tool_use blocks; arguments made whole JSON',
    'reasoning_effort → a thinking budget',
    'tool_choice required/function/none, parallel_tool_calls → any/tool/none, disable_parallel_tool_use',
    'stream_options.include_usage → the usage-only final chunk',
  ],
  responses: [
    'instructions, system and developer messages → system',
    'function_call / custom_tool_call items → tool_use; function_call_output → tool_result',
    'reasoning items → thinking (signature in encrypted_content)',
    'reasoning.effort → a thinking budget; max_output_tokens → max_tokens',
    'web_search → web search where the deployment has it',
  ],
};

const WRITE: Record<ApiFormat, string[]> = {
  anthropic: ['thinking Anthropic did not sign left out', 'at most 4 cache_control breakpoints'],
  openai: [
    'system blocks → one system message (cache_control and the billing header left out)',
    'tool_result → tool messages; tool_use → tool_calls',
    'thinking → reasoning_effort; only this provider\'s reasoning goes back',
    'max_tokens clamped to the model; stream_options.include_usage requested',
    'count_tokens: a local estimate (x-ccproxy-token-count: estimate)',
  ],
  gemini: [
    'system → systemInstruction; tool_use/tool_result → functionCall/functionResponse (thoughtSignature kept)',
    'tool schemas cut to what Gemini accepts',
    'cache_control breakpoints → a cachedContents object (300s, or 3600s for 1-hour ones)',
    'thinking → thinkingConfig under maxOutputTokens',
    'count_tokens → countTokens',
  ],
};

const ANSWER: Record<ClientApi, string> = {
  anthropic: 'answers → Anthropic messages and SSE events; stop reasons and usage mapped (cached tokens apart)',
  chat: 'answers → chat.completion / chat.completion.chunk; stop reasons → finish_reason; usage with cached tokens inside the prompt',
  responses: 'answers → Response objects and Responses events (response.created … response.completed with usage)',
};

export function explainTranslation(client: ClientApi, target: ApiFormat, d: Deployment, body: Record<string, unknown>): TranslationExplained {
  // count_tokens is an Anthropic endpoint: said only to Anthropic clients.
  const mapped = [...(client === 'anthropic' ? [] : READ[client]), ...WRITE[target].filter((m) => client === 'anthropic' || !m.includes('count_tokens')), ANSWER[client]];
  let dropped: string[] = [];
  let refused: string | null = null;
  try {
    const request = structuredClone({ ...(client === 'anthropic' ? { max_tokens: 1024 } : {}), messages: client === 'chat' ? [] : undefined, ...body, model: d.model });
    if (request.messages === undefined) delete request.messages;
    dropped = planTranslation(client, target, d, request).warnings;
  } catch (err) {
    if (!(err instanceof TranslationRefusal)) throw err;
    refused = err.message;
  }
  const via = client !== 'anthropic' && target !== 'anthropic' ? 'Anthropic Messages' : null;
  return { from: CLIENT_NAMES[client], to: TARGET_NAMES[target], via, mapped, dropped, refused };
}
