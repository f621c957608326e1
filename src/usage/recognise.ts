// Which LLM API an exchange speaks, from its path first (by suffix, so a gateway's prefix such as `/anthropic` or
// `/api/v1` does not hide it), then from the shape of its bodies when the path is not one of the APIs' own. Only
// calls that generate (and bill) are recognised: token counting, embeddings and retrievals are not.
import type { LlmApi } from './call.js';
import { obj } from './wire.js';

export interface Recognised {
  api: LlmApi;
  /** Gemini (and Anthropic on Google Cloud) name the model in the path (`models/gemini-2.5-pro:streamGenerateContent`). */
  pathModel: string | null;
  /** The path names a streaming method (`streamGenerateContent`, `streamRawPredict`). */
  streamMethod: boolean;
}

const GEMINI = /(?:models\/([^/:]+))?:(generateContent|streamGenerateContent)$/;
const ANTHROPIC = /(?:^|\/)messages$/;
/** Anthropic's Messages API on Google Cloud: the model in the path, the same bodies. */
const ANTHROPIC_ON_VERTEX = /\/publishers\/anthropic\/models\/([^/:]+):(rawPredict|streamRawPredict)$/;
const CHAT = /(?:^|\/)chat\/completions$/;
const RESPONSES = /(?:^|\/)responses(?:\/compact)?$/;
/** Token counts, embeddings, batches, and Gemini's context caches (made by the gateway, billed as storage): no call. */
const NOT_CALLS = /(?:^|\/)(count_tokens|countTokens|embeddings|batches|cachedContents)(?:\/|$)/;

/** The API of a request, or null when it is not a generating call of a known API. */
export function recognise(method: string | null, path: string | null, requestBody: unknown, responseBody?: unknown): Recognised | null {
  const r = recognisePath(method, path);
  if (r !== undefined) return r;
  const api = byShape(requestBody, responseBody);
  return api === null ? null : byPath(api);
}

/** The API from the method and path alone: null when they say it is not a call, undefined when only the bodies can tell. */
export function recognisePath(method: string | null, path: string | null): Recognised | null | undefined {
  if (method !== null && method.toUpperCase() !== 'POST') return null;
  const bare = pathOnly(path ?? '');
  if (NOT_CALLS.test(bare) || bare.includes(':countTokens') || bare.includes(':embedContent')) return null;
  const g = GEMINI.exec(bare);
  if (g) return { api: 'gemini', pathModel: g[1] ? safeDecode(g[1]) : null, streamMethod: g[2] === 'streamGenerateContent' };
  const v = ANTHROPIC_ON_VERTEX.exec(bare);
  if (v) return { api: 'anthropic-messages', pathModel: safeDecode(v[1]!), streamMethod: v[2] === 'streamRawPredict' };
  if (CHAT.test(bare)) return byPath('openai-chat');
  if (RESPONSES.test(bare)) return byPath('openai-responses');
  if (ANTHROPIC.test(bare)) return byPath('anthropic-messages');
  return undefined;
}

function byPath(api: LlmApi): Recognised {
  return { api, pathModel: null, streamMethod: false };
}

/** The bodies' shapes: each API's response names its object type; requests differ in their list's field. */
export function byShape(requestBody: unknown, responseBody?: unknown): LlmApi | null {
  const res = obj(responseBody);
  if (res) {
    if (res.type === 'message' && Array.isArray(res.content)) return 'anthropic-messages';
    if (res.object === 'chat.completion' || res.object === 'chat.completion.chunk') return 'openai-chat';
    if (res.object === 'response') return 'openai-responses';
    if (Array.isArray(res.candidates) || obj(res.usageMetadata)) return 'gemini';
  }
  const req = obj(requestBody);
  if (!req) return null;
  if (Array.isArray(req.contents) || obj(req.request)?.contents) return 'gemini';
  if (req.input !== undefined && typeof req.model === 'string' && req.messages === undefined) return 'openai-responses';
  if (Array.isArray(req.messages)) {
    const anthropicOnly = typeof req.max_tokens === 'number' && (req.system !== undefined || req.messages.some(hasBlocks) || req.thinking !== undefined);
    return anthropicOnly ? 'anthropic-messages' : 'openai-chat';
  }
  return null;
}

/** Anthropic content blocks (`tool_result`, `tool_use`, `thinking`) do not occur in chat completions messages. */
function hasBlocks(m: unknown): boolean {
  const content = obj(m)?.content;
  return Array.isArray(content) && content.some((b) => ['tool_result', 'tool_use', 'thinking'].includes(String(obj(b)?.type)));
}

function pathOnly(path: string): string {
  const q = path.indexOf('?');
  const p = q < 0 ? path : path.slice(0, q);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
