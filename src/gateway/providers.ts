// The providers the gateway can call, by LiteLLM's provider prefix (`anthropic/…`, `openai/…`): which API format
// each speaks and its default base URL. Only the two formats the gateway passes through are here; other LiteLLM
// providers (gemini, vertex_ai, bedrock, …) need translation, which the gateway does not do.

export type ApiFormat = 'anthropic' | 'openai';

export interface Provider {
  format: ApiFormat;
  /** Used when a deployment has no api_base; null: api_base is required. */
  defaultBase: string | null;
}

export const PROVIDERS: Record<string, Provider> = {
  anthropic: { format: 'anthropic', defaultBase: 'https://api.anthropic.com' },
  openai: { format: 'openai', defaultBase: 'https://api.openai.com/v1' },
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
export const UNSUPPORTED = new Set(['gemini', 'vertex_ai', 'vertex_ai_beta', 'bedrock', 'bedrock_converse', 'azure', 'azure_ai', 'cohere', 'cohere_chat', 'ollama', 'ollama_chat', 'huggingface', 'sagemaker', 'watsonx', 'cloudflare', 'databricks', 'replicate']);

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

/** The upstream URL for an endpoint: `/v1/messages` under an Anthropic base, `/chat/completions` under an OpenAI one (LiteLLM's rule: its base already ends in /v1). */
export function endpointUrl(base: URL, format: ApiFormat, endpoint: 'messages' | 'count_tokens' | 'chat'): { origin: string; path: string } {
  let path = base.pathname.replace(/\/+$/, '');
  if (format === 'anthropic') {
    path = path.replace(/\/v1\/messages$/, '').replace(/\/v1$/, '');
    path += endpoint === 'count_tokens' ? '/v1/messages/count_tokens' : '/v1/messages';
  } else {
    path = path.replace(/\/chat\/completions$/, '') + '/chat/completions';
  }
  return { origin: base.origin, path };
}
