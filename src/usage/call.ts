// What one LLM API call cost in tokens, read from the exchange as it went over the wire: the record the usage stage
// derives from a flow and the companion table stores. One shape for every API (Anthropic Messages, OpenAI chat
// completions and Responses, Gemini), with tokens split into disjoint kinds so that each kind has one price.
import type { Quota } from './quota.js';

/** The API formats whose usage ccproxy reads. */
export type LlmApi = 'anthropic-messages' | 'openai-chat' | 'openai-responses' | 'gemini';

/** Whose format it is, which is whose price table applies (a gateway may serve it from elsewhere). */
export type LlmProvider = 'anthropic' | 'openai' | 'google';

export const PROVIDER_OF: Record<LlmApi, LlmProvider> = {
  'anthropic-messages': 'anthropic',
  'openai-chat': 'openai',
  'openai-responses': 'openai',
  gemini: 'google',
};

/**
 * Tokens by kind, disjoint: input + cacheRead + cacheWrite5m + cacheWrite1h is the whole prompt, output the whole
 * answer. `reasoning` is the part of `output` spent thinking (already counted in it). Null: the exchange did not say.
 */
export interface TokenCounts {
  /** Prompt tokens neither read from nor written to a cache: billed at the input rate. */
  input: number | null;
  output: number | null;
  cacheRead: number | null;
  /** Prompt tokens written to a cache at the standard write rate: Anthropic's 5-minute TTL, OpenAI's cache writes. */
  cacheWrite5m: number | null;
  /** Prompt tokens written to a cache that lives 1 hour: billed at twice the input rate by Anthropic. */
  cacheWrite1h: number | null;
  /** Of `output`, the reasoning/thinking tokens. */
  reasoning: number | null;
}

export interface LlmCall {
  provider: LlmProvider;
  api: LlmApi;
  /** The model the request named: the JSON body's `model`, or for Gemini the URL path. */
  requestedModel: string | null;
  /** The model the response says served it. */
  servedModel: string | null;
  streamed: boolean;
  /** As the API names it: `end_turn`, `tool_use`, `stop`, `length`, `STOP`, `completed`, `max_output_tokens`… */
  stopReason: string | null;
  tokens: TokenCounts;
  /** Server-side tools billed per request (Anthropic `server_tool_use`, Responses web_search_call items). */
  webSearchRequests: number | null;
  webFetchRequests: number | null;
  /** `standard`, `priority`, `batch` (Anthropic); `default`, `flex`, `priority` (OpenAI). */
  serviceTier: string | null;
  /** Anthropic's `speed`: `standard` or `fast` (fast mode is priced at a multiple of standard). */
  speed: string | null;
  /** Anthropic's `inference_geo`: where inference ran (`global`, `us`). */
  inferenceGeo: string | null;
  /** Names of the tools the model called, in order (client tools and server tools alike). */
  toolCalls: string[];
  /** Messages (or Gemini contents, Responses input items) the request carried. */
  messageCount: number | null;
  /** From the request's start to the first generated token (streams, when chunk times are known). */
  timeToFirstTokenMs: number | null;
  /** Streams: output tokens over the time from the first token to the last chunk; otherwise over the whole exchange. */
  outputTokensPerSecond: number | null;
  /** Rate-limit and quota headers of the response, parsed defensively. */
  quota: Quota | null;
  /** The provider's own usage object as it arrived (merged for Anthropic streams), for audits. */
  usage: Record<string, unknown> | null;
  /** What could not be read, one sentence each: empty when the record is complete. */
  notes: string[];
}

/** A record with nothing read yet: extractors fill it. */
export function emptyCall(api: LlmApi): LlmCall {
  return {
    provider: PROVIDER_OF[api],
    api,
    requestedModel: null,
    servedModel: null,
    streamed: false,
    stopReason: null,
    tokens: { input: null, output: null, cacheRead: null, cacheWrite5m: null, cacheWrite1h: null, reasoning: null },
    webSearchRequests: null,
    webFetchRequests: null,
    serviceTier: null,
    speed: null,
    inferenceGeo: null,
    toolCalls: [],
    messageCount: null,
    timeToFirstTokenMs: null,
    outputTokensPerSecond: null,
    quota: null,
    usage: null,
    notes: [],
  };
}
