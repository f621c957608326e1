// What an Anthropic deployment needs of a request made elsewhere (an OpenAI client's, or a session that another
// model answered before): thinking blocks Anthropic did not sign left out, and at most 4 cache breakpoints, those
// with a 1-hour TTL before those with 5 minutes (Anthropic refuses either otherwise).
import type { AnthropicRequest, Block } from './anthropic.js';
import { hasThinking, stripForeignThinking } from './thinking-origin.js';

const MAX_BREAKPOINTS = 4;

export function prepareForAnthropic(req: AnthropicRequest): string[] {
  const warnings = hasThinking(req) ? stripForeignThinking(req, 'anthropic') : [];
  warnings.push(...limitCacheBreakpoints(req));
  return warnings;
}

/** Every object carrying cache_control, in prompt order: tools, system, messages. */
function breakpoints(req: AnthropicRequest): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const t of req.tools ?? []) if (t.cache_control) out.push(t);
  if (Array.isArray(req.system)) for (const b of req.system) if (b.cache_control) out.push(b);
  for (const m of req.messages ?? []) {
    if (!Array.isArray(m.content)) continue;
    for (const b of m.content) {
      if (b.cache_control) out.push(b);
      if (b.type === 'tool_result' && Array.isArray(b.content)) for (const c of b.content as Block[]) if (c.cache_control) out.push(c);
    }
  }
  return out;
}

/** Keeps the first breakpoint (the longest-lived prefix) and the last three; a 1-hour TTL after a 5-minute one becomes 5 minutes. */
export function limitCacheBreakpoints(req: AnthropicRequest): string[] {
  const all = breakpoints(req);
  const warnings: string[] = [];
  if (all.length > MAX_BREAKPOINTS) {
    const dropped = all.splice(1, all.length - MAX_BREAKPOINTS);
    for (const b of dropped) delete b.cache_control;
    warnings.push(`${dropped.length} cache_control breakpoint${dropped.length === 1 ? '' : 's'} left out: Anthropic takes at most ${MAX_BREAKPOINTS}`);
  }
  let short = false;
  for (const b of all) {
    const c = b.cache_control as { ttl?: string };
    if (c.ttl === '1h' && short) {
      b.cache_control = { ...c, ttl: '5m' };
      warnings.push('a 1-hour cache_control after a 5-minute one sent as 5 minutes: Anthropic requires the longer first');
    } else if (c.ttl !== '1h') short = true;
  }
  return warnings;
}
