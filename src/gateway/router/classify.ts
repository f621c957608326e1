// What kind of failure a provider's answer (or a network error) is, read from its status and its error body as
// each provider writes it, and what the router does with each kind: retry it, cool the deployment down, send the
// request to the context-window or content-policy fallbacks, or hand it to the client as it is.

export type FailureKind =
  | 'rate_limit' // 429
  | 'overloaded' // 529, 503
  | 'server' // other 5xx
  | 'timeout' // no answer in time (the router's timeout, a connect or idle timeout)
  | 'connect' // the provider could not be reached, or the connection broke before the answer
  | 'context_window' // the prompt does not fit the model
  | 'content_policy' // the provider's safety filter refused it
  | 'client'; // any other 4xx: the request's own fault, the same anywhere

/** Worth another attempt, in the same group and then in the fallbacks. */
export function retryable(kind: FailureKind): boolean {
  return kind === 'rate_limit' || kind === 'overloaded' || kind === 'server' || kind === 'timeout' || kind === 'connect';
}

/** Counted against allowed_fails: the deployment's fault, not the request's. */
export function countsAgainstDeployment(kind: FailureKind): boolean {
  return retryable(kind);
}

/**
 * Phrases of the providers' context-window errors (all 400s): OpenAI and the OpenAI-compatible servers
 * (`code: context_length_exceeded`, "This model's maximum context length is …"), Anthropic ("prompt is too long:
 * N tokens > M maximum", "input length and `max_tokens` exceed context limit"), Gemini ("The input token count (N)
 * exceeds the maximum number of tokens allowed (M)"), vLLM and Ollama ("… longer than the model's context length").
 */
const CONTEXT_WINDOW = [/context_length_exceeded/, /maximum context length/i, /prompt is too long/i, /exceed(?:s|ed)? (?:the )?context (?:limit|window|length)/i, /exceeds the maximum number of tokens/i, /context length/i, /too many (?:input )?tokens/i, /reduce the length of the messages/i];

/**
 * Phrases of content-policy refusals: OpenAI (`code: content_policy_violation`, "… rejected as a result of our
 * safety system"), Azure OpenAI (`code: content_filter`, "… content management policy"), Anthropic ("Output
 * blocked by content filtering policy").
 */
const CONTENT_POLICY = [/content_policy_violation/, /"code"\s*:\s*"content_filter"/, /content management policy/i, /safety system/i, /content filtering policy/i];

/** The kind of a provider's error answer. `capture` is the forward capture's x-ccproxy-error (it could not reach the provider). */
export function classifyAnswer(status: number, body: string, capture?: string): FailureKind {
  if (capture && status >= 502) return capture === 'timeout' ? 'timeout' : 'connect';
  if (status === 429) return 'rate_limit';
  if (status === 529 || status === 503) return 'overloaded';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 500) return 'server';
  if (status === 400 || status === 413 || status === 422) {
    if (CONTENT_POLICY.some((r) => r.test(body))) return 'content_policy';
    if (CONTEXT_WINDOW.some((r) => r.test(body))) return 'context_window';
  }
  return 'client';
}

/** The kind of a network failure, from classifyOutboundError's type. */
export function classifyNetwork(type: string): FailureKind {
  return type === 'timeout' ? 'timeout' : 'connect';
}

/**
 * Seconds the provider asks to wait: `retry-after-ms`, `retry-after` (seconds or an HTTP date), or Gemini's
 * RetryInfo `retryDelay` ("30s") in the error body; null when it says nothing.
 */
export function retryAfterOf(headers: Record<string, string | string[] | undefined>, body: string, now = Date.now()): number | null {
  const one = (h: string) => {
    const v = headers[h];
    return Array.isArray(v) ? v[0] : v;
  };
  const ms = Number(one('retry-after-ms'));
  if (one('retry-after-ms') !== undefined && Number.isFinite(ms) && ms >= 0) return ms / 1000;
  const ra = one('retry-after');
  if (ra !== undefined) {
    const n = Number(ra);
    if (ra.trim() !== '' && Number.isFinite(n) && n >= 0) return n;
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, (at - now) / 1000);
  }
  const m = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(body);
  return m ? Number(m[1]) : null;
}
