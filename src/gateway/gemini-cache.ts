// Gemini's explicit context cache for translated requests that carry cache_control: the cached part (see
// gemini-cache-plan.ts) is created once as a cachedContents object with the breakpoints' TTL and named by the
// requests that share it until it expires. A part Gemini will not cache (below its minimum size, a model without
// caching) is remembered for the TTL and sent whole, as it would be without breakpoints.
import { createHash } from 'node:crypto';
import type { AnthropicRequest } from '../translate/anthropic.js';
import { geminiCachePlan } from '../translate/gemini-cache-plan.js';
import type { GatewayParts, Routed } from './dispatch.js';
import { geminiRoot } from './providers.js';

interface Entry {
  /** The cachedContents name, or null: Gemini refused to cache this part. */
  name: string | null;
  until: number;
}

/** Cached parts by key; expired ones are dropped as new ones are added. */
const entries = new Map<string, Entry>();
const MAX_ENTRIES = 1000;
/** An object this close to its expiry is not named any more (the request could reach Gemini after it expired). */
const MARGIN_MS = 15_000;

/** The body to send: the plan's rest naming the cache when there is one, else `body` unchanged. */
export async function withGeminiCache(p: GatewayParts, r: Routed, hub: AnthropicRequest, body: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>> {
  const plan = geminiCachePlan(hub, body, r.d.model);
  if (!plan) return body;
  const now = Date.now();
  // An object belongs to the API key (project) that made it.
  const credential = String(r.headers['x-goog-api-key'] ?? r.headers.authorization ?? '');
  const key = `${plan.key}|${r.origin}|${createHash('sha256').update(credential).digest('hex')}`;
  const known = entries.get(key);
  if (known && known.until - MARGIN_MS > now) return known.name ? plan.rest(known.name) : body;
  const ttlMs = Number.parseInt(plan.ttl, 10) * 1000;
  const payload = Buffer.from(JSON.stringify({ model: `models/${r.d.model}`, ...plan.cached, ttl: plan.ttl }));
  let name: string | null = null;
  let until = now + ttlMs;
  try {
    const up = await p.upstream.dispatcher.request({
      origin: r.origin,
      path: `${geminiRoot(r.d.apiBase!)}/v1beta/cachedContents`,
      method: 'POST',
      headers: { ...r.headers, 'content-type': 'application/json', 'content-length': String(payload.length) },
      body: payload,
      signal,
    });
    const text = await up.body.text();
    if (up.statusCode === 200) {
      const created = JSON.parse(text) as { name?: string; expireTime?: string };
      name = created.name ?? null;
      const expires = created.expireTime ? Date.parse(created.expireTime) : NaN;
      if (Number.isFinite(expires)) until = expires;
    } else p.log.info(`"${r.d.name}": Gemini did not cache the prompt's cached part (${up.statusCode}: ${text.slice(0, 200)}); sent whole for ${plan.ttl}`);
  } catch (err) {
    if (signal.aborted) throw err;
    p.log.warn(`"${r.d.name}": creating Gemini's cache failed (${(err as Error).message}); the request is sent whole`);
    return body;
  }
  if (entries.size >= MAX_ENTRIES) for (const [k, e] of entries) if (e.until <= now) entries.delete(k);
  if (entries.size < MAX_ENTRIES) entries.set(key, { name, until });
  return name ? plan.rest(name) : body;
}
