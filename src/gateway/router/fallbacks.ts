// Which groups a failed request goes to next, as LiteLLM's router chooses: a context-window error to the group's
// context_window_fallbacks, a content-policy refusal to its content_policy_fallbacks, other failures worth a retry
// to its fallbacks (else `*`'s, else default_fallbacks) — or the request's own `fallbacks`, or none when it says
// `disable_fallbacks`. Fallbacks are not followed further: a fallback group's own fallbacks do not apply.
import { retryable, type FailureKind } from './classify.js';
import type { RouterSettings } from './settings.js';

/** What a request body asks of the router (LiteLLM's per-request keys); removed before the request is sent on. */
export interface RequestRouting {
  fallbacks: string[] | null;
  disableFallbacks: boolean;
}

/** Takes `fallbacks` and `disable_fallbacks` out of `body`; a malformed one is an error message. */
export function takeRequestRouting(body: Record<string, unknown>): RequestRouting | string {
  const out: RequestRouting = { fallbacks: null, disableFallbacks: false };
  if ('disable_fallbacks' in body) {
    const v = body.disable_fallbacks;
    delete body.disable_fallbacks;
    if (typeof v !== 'boolean') return 'disable_fallbacks: expected true or false';
    out.disableFallbacks = v;
  }
  if ('fallbacks' in body) {
    const v = body.fallbacks;
    delete body.fallbacks;
    // LiteLLM takes model names, or {model: name} objects.
    const list = Array.isArray(v) ? v.map((f) => (typeof f === 'string' ? f : f && typeof f === 'object' && typeof (f as { model?: unknown }).model === 'string' ? (f as { model: string }).model : null)) : null;
    if (!list || list.some((f) => f === null || f === '')) return 'fallbacks: expected a list of model names';
    out.fallbacks = list as string[];
  }
  return out;
}

/**
 * The groups to try after `names` (the group as requested, then the names it resolved through) failed with `kind`,
 * without `names` themselves, at most max_fallbacks.
 */
export function fallbacksFor(s: RouterSettings, names: readonly string[], kind: FailureKind | 'unavailable', req: RequestRouting): string[] {
  if (req.disableFallbacks) return [];
  const lookup = (map: Record<string, string[]>) => {
    for (const n of names) if (map[n]) return map[n];
    return null;
  };
  let list: string[] | null = null;
  if (req.fallbacks) list = req.fallbacks;
  else {
    if (kind === 'context_window') list = lookup(s.contextWindowFallbacks);
    else if (kind === 'content_policy') list = lookup(s.contentPolicyFallbacks);
    if (!list && (kind === 'unavailable' || kind === 'context_window' || kind === 'content_policy' || retryable(kind))) {
      list = lookup(s.fallbacks) ?? s.fallbacks['*'] ?? (s.defaultFallbacks.length > 0 ? s.defaultFallbacks : null);
    }
  }
  if (!list) return [];
  if (kind !== 'unavailable' && kind !== 'context_window' && kind !== 'content_policy' && !retryable(kind)) return [];
  return [...new Set(list)].filter((n) => !names.includes(n)).slice(0, s.maxFallbacks);
}
