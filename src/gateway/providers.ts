// The providers the gateway can call, by LiteLLM's provider prefix (`anthropic/…`, `openai/…`, `gemini/…`): which
// API format each speaks and its default base URL. Only the three formats the gateway passes through are here;
// other LiteLLM providers (vertex_ai, bedrock, …) speak APIs of their own, which the gateway does not call.

export type ApiFormat = 'anthropic' | 'openai' | 'gemini';

/** How messages name each format. */
export const FORMAT_NAMES: Record<ApiFormat, string> = { anthropic: 'Anthropic', openai: 'OpenAI', gemini: 'Gemini' };

export interface Provider {
  format: ApiFormat;
  /** Used when a deployment has no api_base; null: api_base is required. */
  defaultBase: string | null;
}

export const PROVIDERS: Record<string, Provider> = {
  anthropic: { format: 'anthropic', defaultBase: 'https://api.anthropic.com' },
  openai: { format: 'openai', defaultBase: 'https://api.openai.com/v1' },
  // Google AI Studio's Gemini API (generativelanguage.googleapis.com), called in its own format.
  gemini: { format: 'gemini', defaultBase: 'https://generativelanguage.googleapis.com' },
  // OpenAI-compatible services LiteLLM knows by name.
  openrouter: { format: 'openai', defaultBase: 'https://openrouter.ai/api/v1' },
  deepseek: { format: 'openai', defaultBase: 'https://api.deepseek.com/v1' },
  groq: { format: 'openai', defaultBase: 'https://api.groq.com/openai/v1' },
  xai: { format: 'openai', defaultBase: 'https://api.x.ai/v1' },
  mistral: { format: 'openai', defaultBase: 'https://api.mistral.ai/v1' },
  together_ai: { format: 'openai', defaultBase: 'https://api.together.xyz/v1' },
  fireworks_ai: { format: 'openai', defaultBase: 'https://api.fireworks.ai/inference/v1' },
  perplexity: { format: 'openai', defaultBase: 'https://api.perplexity.ai' },
  hosted_vllm: { format: 'openai', defaultBase: null },
  custom_openai: { format: 'openai', defaultBase: null },
};

/** LiteLLM provider names the gateway recognises but cannot call without translating the request. */
export const UNSUPPORTED = new Set(['vertex_ai', 'vertex_ai_beta', 'bedrock', 'bedrock_converse', 'azure', 'azure_ai', 'cohere', 'cohere_chat', 'ollama', 'ollama_chat', 'huggingface', 'sagemaker', 'watsonx', 'cloudflare', 'databricks', 'replicate']);

/**
 * Splits `anthropic/claude-x` into provider and the model name the provider knows. A model without a known
 * prefix gets its provider from its name, as LiteLLM does for the common families.
 */
export function splitModel(model: string): { provider: string | null; name: string } {
  const slash = model.indexOf('/');
  if (slash > 0) {
    const prefix = model.slice(0, slash);
    if (prefix in PROVIDERS || UNSUPPORTED.has(prefix)) return { provider: prefix, name: model.slice(slash + 1) };
  }
  if (/^claude/i.test(model)) return { provider: 'anthropic', name: model };
  if (/^(gpt-|o[1-9](-|$)|chatgpt-)/i.test(model)) return { provider: 'openai', name: model };
  if (/^gemini/i.test(model)) return { provider: 'gemini', name: model };
  return { provider: null, name: model };
}

/** The request paths the gateway routes by model, and where each goes under a deployment's base. */
export type UpstreamEndpoint = 'messages' | 'count_tokens' | 'chat' | 'responses' | 'responses_compact' | 'embeddings';

const OPENAI_SUFFIX: Record<string, string> = { chat: '/chat/completions', responses: '/responses', responses_compact: '/responses/compact', embeddings: '/embeddings' };

/**
 * The upstream URL for an endpoint: `/v1/messages` under an Anthropic base; `/chat/completions`, `/responses`,
 * `/embeddings` under an OpenAI one (LiteLLM's rule: its base already ends in /v1).
 */
export function endpointUrl(base: URL, format: ApiFormat, endpoint: UpstreamEndpoint): { origin: string; path: string } {
  let path = base.pathname.replace(/\/+$/, '');
  if (format === 'anthropic') {
    path = path.replace(/\/v1\/messages$/, '').replace(/\/v1$/, '');
    path += endpoint === 'count_tokens' ? '/v1/messages/count_tokens' : '/v1/messages';
  } else {
    const suffix = OPENAI_SUFFIX[endpoint] ?? '/chat/completions';
    path = path.replace(/\/(chat\/completions|responses(\/compact)?|embeddings)$/, '') + suffix;
  }
  return { origin: base.origin, path };
}

/** A Gemini call: `<base>/v1beta/models/<model>:<method>` (the version the client used; a base ending in /v1beta is not doubled). */
export function geminiUrl(base: URL, version: string, model: string, method: string): { origin: string; path: string } {
  return { origin: base.origin, path: `${geminiRoot(base)}/${version}/models/${model}:${method}` };
}

/** A Gemini base without a trailing API version: `https://generativelanguage.googleapis.com/v1beta` → ``. */
export function geminiRoot(base: URL): string {
  return base.pathname.replace(/\/+$/, '').replace(/\/v1(alpha|beta)?$/, '');
}
