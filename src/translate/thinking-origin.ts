// Thinking blocks know where they came from. A block made from another provider's reasoning carries the signature
// `ccproxy-translated:<format>`; Anthropic's own carry Anthropic's signature. When rules move a session from one
// model to another, each target gets back only the reasoning it produced: Anthropic refuses blocks it did not sign
// (its signed blocks are kept even with empty text, as Claude 4 sends them), and an OpenAI-format provider that
// wants its reasoning back (DeepSeek) gets only its own.
import type { AnthropicRequest, Block, Message } from './anthropic.js';

const MARK = 'ccproxy-translated:';

/** The signature of a thinking block made from `format`'s reasoning. */
export const translatedSignature = (format: string) => `${MARK}${format}`;

/** Whether a thinking block came from `format` (`anthropic`: signed by Anthropic). */
export function thinkingFrom(b: Block, format: string): boolean {
  if (b.type === 'redacted_thinking') return format === 'anthropic';
  if (b.type !== 'thinking') return false;
  const sig = typeof b.signature === 'string' ? b.signature : '';
  if (format === 'anthropic') return sig !== '' && !sig.startsWith(MARK);
  return sig === `${MARK}${format}`;
}

/**
 * Removes the thinking blocks `format` did not produce from a request's assistant turns (in place), and the turns
 * left empty. For Anthropic with thinking on, a tool loop whose last assistant turn lost its thinking cannot be
 * continued with thinking (Anthropic requires it there): thinking is turned off for that request. Returns warnings.
 */
export function stripForeignThinking(req: AnthropicRequest, format: string): string[] {
  if (!Array.isArray(req.messages)) return [];
  let stripped = 0;
  const kept: Message[] = [];
  for (const m of req.messages) {
    if (m.role !== 'assistant' || !Array.isArray(m.content)) {
      kept.push(m);
      continue;
    }
    const content = m.content.filter((b) => {
      const foreign = (b.type === 'thinking' || b.type === 'redacted_thinking') && !thinkingFrom(b, format);
      if (foreign) stripped++;
      return !foreign;
    });
    if (content.length === m.content.length) kept.push(m);
    else if (content.length > 0) kept.push({ ...m, content });
  }
  if (stripped === 0) return [];
  req.messages = kept;
  const warnings = [`${stripped} thinking block${stripped === 1 ? '' : 's'} from another model left out of the conversation`];
  if (format === 'anthropic' && req.thinking && req.thinking.type !== 'disabled') {
    const lastAssistant = [...kept].reverse().find((m) => m.role === 'assistant');
    const blocks = Array.isArray(lastAssistant?.content) ? lastAssistant.content : [];
    if (blocks.some((b) => b.type === 'tool_use') && !blocks.some((b) => b.type === 'thinking' || b.type === 'redacted_thinking')) {
      delete req.thinking;
      warnings.push('thinking turned off for this request: the tool call it continues was made by another model, without Anthropic thinking');
    }
  }
  return warnings;
}

/** Cheap test, so requests without translated thinking are not copied. */
export function hasThinking(req: AnthropicRequest): boolean {
  if (!Array.isArray(req.messages)) return false;
  return req.messages.some((m) => m.role === 'assistant' && Array.isArray(m.content) && m.content.some((b) => b.type === 'thinking' || b.type === 'redacted_thinking'));
}
