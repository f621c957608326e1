// Reasoning settings between the formats: Anthropic's `thinking` (a token budget) and `output_config.effort`
// against OpenAI's `reasoning_effort` and Gemini's `thinkingConfig`, and the output limits of the models people
// route Claude Code to, so that `max_tokens` is clamped to what the target accepts.
import type { AnthropicRequest } from './anthropic.js';

export type Effort = 'low' | 'medium' | 'high';

/** The effort a request asks for, or null when it asks for no reasoning (no thinking, or `thinking: disabled`). */
export function requestedEffort(req: AnthropicRequest): Effort | null {
  if (!req.thinking || req.thinking.type === 'disabled') return null;
  const named = req.output_config?.effort;
  if (named === 'low' || named === 'medium' || named === 'high') return named;
  if (named === 'max' || named === 'xhigh') return 'high';
  const budget = req.thinking.budget_tokens;
  if (typeof budget !== 'number') return 'medium';
  return budget < 4096 ? 'low' : budget < 16384 ? 'medium' : 'high';
}

/** A token budget for an effort, for targets that take one (Gemini 2.5's thinkingBudget). */
export const EFFORT_BUDGET: Record<Effort, number> = { low: 1024, medium: 8192, high: 24576 };

/** Output-token limits by model name (the first match wins); models not listed are not clamped. */
const OUTPUT_LIMITS: [RegExp, number][] = [
  [/gpt-4o|gpt-4-turbo/, 16_384],
  [/gpt-4\.1/, 32_768],
  [/gpt-5/, 128_000],
  [/(^|\/)o[134](-|$)/, 100_000],
  [/deepseek-chat/, 8_192],
  [/deepseek-reasoner/, 65_536],
  [/gemini-2\.0/, 8_192],
  [/gemini-(2\.5|3)/, 65_536],
  [/grok/, 131_072],
];

/** `max_tokens` for the target: the client's, clamped to the model's limit (and present: Anthropic requires it, OpenAI does not). */
export function clampMaxTokens(model: string, requested: number | undefined): number | undefined {
  const limit = OUTPUT_LIMITS.find(([re]) => re.test(model))?.[1];
  if (requested === undefined) return undefined;
  return limit !== undefined ? Math.min(requested, limit) : requested;
}

/** `max_tokens` for an Anthropic deployment when an OpenAI client sent none (Anthropic requires it): the model's usual output limit. */
export function defaultMaxTokens(model: string): number {
  if (/claude-3-haiku|claude-3-opus|claude-3-sonnet/.test(model)) return 4096;
  if (/claude-3-5/.test(model)) return 8192;
  return 32_000;
}

/**
 * An OpenAI `reasoning_effort` (or the Responses API's `reasoning.effort`) as Anthropic's thinking: a budget by
 * effort, kept at least 1024 (Anthropic's minimum) and below `maxTokens`; `none`/`minimal` or no room: no thinking.
 */
export function thinkingFor(effort: unknown, maxTokens: number): AnthropicRequest['thinking'] | undefined {
  if (effort !== 'low' && effort !== 'medium' && effort !== 'high' && effort !== 'xhigh') return undefined;
  const budget = Math.min(EFFORT_BUDGET[effort === 'xhigh' ? 'high' : effort], maxTokens - 1);
  return budget >= 1024 ? { type: 'enabled', budget_tokens: budget } : undefined;
}
