// A provider's error answer on a translated route, in Anthropic's terms so Anthropic clients react as they do to
// Anthropic itself: 429 → rate_limit_error, 529/503 → overloaded_error, other 5xx → api_error, with the provider's
// message, and a retry-after (the provider's header, or Gemini's RetryInfo delay) so Claude Code waits and retries.

const TYPE_BY_STATUS: Record<number, string> = { 400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error', 413: 'request_too_large', 422: 'invalid_request_error', 429: 'rate_limit_error', 503: 'overloaded_error', 529: 'overloaded_error' };

export interface AnthropicError {
  status: number;
  headers: Record<string, string>;
  body: { type: 'error'; error: { type: string; message: string } };
}

export function anthropicError(status: number, text: string, retryAfter: string | undefined, provider: string): AnthropicError {
  const type = TYPE_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  let message = text.trim();
  let delay: string | undefined;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string; details?: { '@type'?: string; retryDelay?: string }[] } | string; message?: string };
    const err = Array.isArray(parsed) ? (parsed[0] as typeof parsed).error : parsed.error;
    if (typeof err === 'string') message = err;
    else if (err?.message) message = err.message;
    else if (parsed.message) message = parsed.message;
    const retry = typeof err === 'object' ? err?.details?.find((d) => d['@type']?.endsWith('RetryInfo'))?.retryDelay : undefined;
    if (retry) delay = String(Math.ceil(parseFloat(retry)));
  } catch {
    /* not JSON: the text is the message */
  }
  const headers: Record<string, string> = {};
  const after = retryAfter ?? delay;
  if (after) headers['retry-after'] = after;
  if (status === 429 || status >= 500) headers['x-should-retry'] = 'true';
  // Anthropic's overloaded answer is 529; a provider's 503 is the same condition.
  const out = status === 503 ? 529 : status;
  return { status: out, headers, body: { type: 'error', error: { type, message: `${provider}: ${message || `HTTP ${status}`}` } } };
}

/** OpenAI's error types by status, as its SDKs and Codex read them. */
const OPENAI_TYPE_BY_STATUS: Record<number, string> = { 400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error', 429: 'rate_limit_exceeded' };

export interface OpenAIError {
  status: number;
  headers: Record<string, string>;
  body: { error: { message: string; type: string; param: null; code: string | null } };
}

/**
 * A provider's error answer for an OpenAI client (chat completions, Responses): OpenAI's `{error: {message, type,
 * code}}` with the status kept (Anthropic's 529 overloaded as 503, which OpenAI clients know) and retry-after.
 */
export function openaiError(status: number, text: string, retryAfter: string | undefined, provider: string): OpenAIError {
  const a = anthropicError(status, text, retryAfter, provider);
  const out = status === 529 ? 503 : status;
  const type = OPENAI_TYPE_BY_STATUS[out] ?? (out >= 500 ? 'server_error' : 'invalid_request_error');
  return { status: out, headers: a.headers, body: { error: { message: a.body.error.message, type, param: null, code: a.body.error.type } } };
}
