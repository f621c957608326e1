// Anthropic's cache_control breakpoints as Gemini's explicit context cache: the part of a translated request up to
// the last breakpoint before the final turn (system instruction, tools and the contents so far) becomes a
// cachedContents object with the breakpoints' TTL (5 minutes → 300s, 1 hour → 3600s), and the request then names
// it and carries only the rest. Pure: the gateway creates and remembers the objects (gemini-cache.ts).
import { createHash } from 'node:crypto';
import type { AnthropicRequest, Block } from './anthropic.js';
import { toGeminiRequest } from './to-gemini-request.js';

export interface GeminiCachePlan {
  /** What the cachedContents object holds (without `model` and `ttl`). */
  cached: Record<string, unknown>;
  ttl: '300s' | '3600s';
  /** The generateContent body once the cache is named: the rest of the contents, no systemInstruction/tools/toolConfig. */
  rest: (cacheName: string) => Record<string, unknown>;
  /** Identifies the cached part: the same prefix on the same model reuses the object. */
  key: string;
}

const hasMark = (b: Record<string, unknown>) => b.cache_control !== undefined && b.cache_control !== null;
const ttlOf = (b: Record<string, unknown>) => ((b.cache_control as { ttl?: string } | undefined)?.ttl === '1h' ? '3600s' : '300s');

/** Null when the request has no breakpoint before its final turn, or nothing would be left to send. */
export function geminiCachePlan(req: AnthropicRequest, body: Record<string, unknown>, model: string): GeminiCachePlan | null {
  const marks: Record<string, unknown>[] = [];
  for (const t of req.tools ?? []) if (hasMark(t)) marks.push(t);
  if (Array.isArray(req.system)) for (const b of req.system) if (hasMark(b)) marks.push(b);
  // The last message holding a breakpoint, the final one excepted: what follows it is sent each time.
  const messages = req.messages ?? [];
  let upTo = -1;
  for (let i = 0; i < messages.length - 1; i++) {
    const content = messages[i]!.content;
    const marked = Array.isArray(content) ? (content as Block[]).filter(hasMark) : [];
    if (marked.length > 0) {
      upTo = i;
      marks.push(...marked);
    }
  }
  if (marks.length === 0) return null;
  const prefix = upTo < 0 ? { contents: [] as unknown[] } : toGeminiRequest({ ...req, messages: messages.slice(0, upTo + 1) }).body;
  const prefixContents = prefix.contents as unknown[];
  const contents = body.contents as unknown[];
  // The prefix must be the start of the contents as sent (a turn merged across the boundary is not).
  const same = prefixContents.length < contents.length && prefixContents.every((c, i) => JSON.stringify(c) === JSON.stringify(contents[i]));
  if (!same) return null;
  const cached: Record<string, unknown> = { contents: prefixContents };
  for (const k of ['systemInstruction', 'tools', 'toolConfig']) if (body[k] !== undefined) cached[k] = body[k];
  if (prefixContents.length === 0 && cached.systemInstruction === undefined && cached.tools === undefined) return null;
  const ttl = marks.some((m) => ttlOf(m) === '3600s') ? '3600s' : '300s';
  const key = createHash('sha256').update(model).update('\0').update(JSON.stringify(cached)).digest('hex');
  return {
    cached,
    ttl,
    key,
    rest: (cacheName) => {
      const { systemInstruction: _s, tools: _t, toolConfig: _c, ...others } = body;
      return { ...others, contents: contents.slice(prefixContents.length), cachedContent: cacheName };
    },
  };
}
