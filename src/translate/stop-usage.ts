// Stop reasons and token usage from OpenAI chat and Gemini into Anthropic's terms. Anthropic counts cached prompt
// tokens apart (`input_tokens` excludes them, `cache_read_input_tokens` holds them); the others count them inside
// the prompt. A stop reason with no Anthropic equivalent is passed on as it is, not turned into `end_turn`.
import type { StopReason, Usage } from './anthropic.js';

const OPENAI_STOP: Record<string, StopReason> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', function_call: 'tool_use', content_filter: 'refusal' };
const GEMINI_STOP: Record<string, StopReason> = { STOP: 'end_turn', MAX_TOKENS: 'max_tokens', SAFETY: 'refusal', RECITATION: 'refusal', BLOCKLIST: 'refusal', PROHIBITED_CONTENT: 'refusal', SPII: 'refusal', IMAGE_SAFETY: 'refusal', LANGUAGE: 'refusal' };

/** Anthropic's stop reason for an OpenAI finish_reason; a call made under `stop` (some servers) is still tool_use. */
export function openaiStop(reason: string | null | undefined, calledTools: boolean): StopReason {
  if (calledTools && (reason === 'stop' || reason === 'tool_calls' || !reason)) return 'tool_use';
  if (!reason) return 'end_turn';
  return OPENAI_STOP[reason] ?? reason;
}

export function geminiStop(reason: string | null | undefined, calledTools: boolean): StopReason {
  if (calledTools && (reason === 'STOP' || !reason)) return 'tool_use';
  if (!reason) return 'end_turn';
  return GEMINI_STOP[reason] ?? reason;
}

/** Whether a stop reason is one of Anthropic's own (others are passed on, with a warning). */
export const KNOWN_STOPS = new Set(['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'refusal', 'pause_turn']);

interface OpenAIUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  /** DeepSeek's own names for the cached part. */
  prompt_cache_hit_tokens?: number;
}

export function openaiUsage(u: OpenAIUsage | null | undefined): Usage {
  const prompt = u?.prompt_tokens ?? 0;
  const cached = u?.prompt_tokens_details?.cached_tokens ?? u?.prompt_cache_hit_tokens ?? 0;
  return { input_tokens: Math.max(0, prompt - cached), output_tokens: u?.completion_tokens ?? 0, cache_read_input_tokens: cached, cache_creation_input_tokens: 0 };
}

interface GeminiUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  toolUsePromptTokenCount?: number;
}

export function geminiUsage(u: GeminiUsage | null | undefined): Usage {
  const prompt = (u?.promptTokenCount ?? 0) + (u?.toolUsePromptTokenCount ?? 0);
  const cached = u?.cachedContentTokenCount ?? 0;
  return { input_tokens: Math.max(0, prompt - cached), output_tokens: (u?.candidatesTokenCount ?? 0) + (u?.thoughtsTokenCount ?? 0), cache_read_input_tokens: cached, cache_creation_input_tokens: 0 };
}

/** Anthropic's stop reasons as chat finish_reasons; one with no equivalent is passed on as it is. */
const CHAT_FINISH: Record<string, string> = { end_turn: 'stop', stop_sequence: 'stop', max_tokens: 'length', tool_use: 'tool_calls', refusal: 'content_filter', pause_turn: 'stop', model_context_window_exceeded: 'length' };
export const chatFinish = (stop: string | null | undefined): string => (stop ? (CHAT_FINISH[stop] ?? stop) : 'stop');

/** Anthropic usage in OpenAI's terms: the prompt counts its cached and cache-written parts. */
export function chatUsage(u: Partial<Usage> | null | undefined) {
  const cached = u?.cache_read_input_tokens ?? 0;
  const prompt = (u?.input_tokens ?? 0) + cached + (u?.cache_creation_input_tokens ?? 0);
  const completion = u?.output_tokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached }, completion_tokens_details: { reasoning_tokens: 0 } };
}

/** Anthropic usage in the Responses API's terms. */
export function responsesUsage(u: Partial<Usage> | null | undefined) {
  const c = chatUsage(u);
  return { input_tokens: c.prompt_tokens, input_tokens_details: { cached_tokens: c.prompt_tokens_details.cached_tokens }, output_tokens: c.completion_tokens, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: c.total_tokens };
}
