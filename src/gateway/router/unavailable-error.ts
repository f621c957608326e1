// The answer when no deployment can take a request — every one of its groups cooling down or at its rpm/tpm limit
// — in the client's own API format (Anthropic, OpenAI or Gemini error JSON), naming each deployment, why, and when
// it is back, with a retry-after so clients wait that long rather than retry at once.
import type { ApiFormat } from '../providers.js';
import type { Health } from './health.js';
import type { Unavailable } from './pick.js';

export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function unavailableError(format: ApiFormat, groups: readonly string[], list: readonly Unavailable[], health: Health): ErrorAnswer {
  const now = health.now();
  const seen = new Set<number>();
  const items = list.filter((u) => !seen.has(u.d.index) && seen.add(u.d.index));
  const soonest = Math.min(...items.map((u) => u.until));
  const wait = Math.max(1, Math.ceil((soonest - now) / 1000));
  const parts = items.map((u) => {
    const what = `"${u.d.name}" (${u.d.provider ?? '?'}/${u.d.model}, ${u.d.where})`;
    const back = `until ${iso(u.until)} (in ${Math.max(1, Math.ceil((u.until - now) / 1000))}s)`;
    if (u.why === 'cooldown') {
      const c = health.cooldownOf(u.d);
      return `${what} is cooling down ${back}${c ? ` after ${c.reason}` : ''}`;
    }
    return `${what} has reached its ${u.why} limit (${u.why === 'rpm' ? u.d.rpm : u.d.tpm} a minute) ${back}`;
  });
  const names = groups.map((g) => `"${g}"`).join(', then ');
  const message = `no deployment of ${names} can take the request now: ${parts.join('; ')}. Retry in ${wait}s.`;
  const deployments = items.map((u) => ({ model_name: u.d.name, model: `${u.d.provider ?? '?'}/${u.d.model}`, where: u.d.where, reason: u.why, until: iso(u.until) }));
  const headers = { 'content-type': 'application/json', 'retry-after': String(wait) };
  let body: unknown;
  if (format === 'openai') body = { error: { message, type: 'rate_limit_error', param: null, code: 'no_deployment_available', deployments } };
  else if (format === 'gemini') body = { error: { code: 429, message, status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${wait}s` }] } };
  else body = { type: 'error', error: { type: 'rate_limit_error', message, deployments } };
  return { status: 429, headers, body: JSON.stringify(body) };
}
