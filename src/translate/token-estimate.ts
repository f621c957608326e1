// A local count of a request's input tokens, for deployments with no counting endpoint (OpenAI chat) and for the
// input_tokens of a stream's message_start before the provider has said it (OpenAI sends usage only at the end):
// the o200k_base encoding (gpt-tokenizer) over the system prompt, the messages' texts, tool calls and results, and
// the tool definitions, with a fixed count per image. Always marked as an estimate where it is given out.
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import type { AnthropicRequest, Block } from './anthropic.js';

/** What an estimate is called in the response header that marks it. */
export const ESTIMATE_HEADER = 'x-ccproxy-token-count';
export const ESTIMATE_VALUE = 'estimate; encoding=o200k_base';
/** Tokens per image when its size is unknown (Anthropic: width × height / 750, about 1600 for a large image). */
const IMAGE_TOKENS = 1600;
/** Per message: the role and separators. */
const PER_MESSAGE = 4;

export function estimateInputTokens(req: AnthropicRequest): number {
  const texts: string[] = [];
  let extra = 0;
  const block = (b: Block) => {
    if (b.type === 'text') texts.push(String(b.text ?? ''));
    else if (b.type === 'thinking') texts.push(String(b.thinking ?? ''));
    else if (b.type === 'tool_use') texts.push(String(b.name ?? ''), JSON.stringify(b.input ?? {}));
    else if (b.type === 'tool_result') {
      if (typeof b.content === 'string') texts.push(b.content);
      else if (Array.isArray(b.content)) (b.content as Block[]).forEach(block);
    } else if (b.type === 'image' || b.type === 'document') extra += IMAGE_TOKENS;
  };
  if (typeof req.system === 'string') texts.push(req.system);
  else if (Array.isArray(req.system)) req.system.forEach(block);
  for (const m of req.messages ?? []) {
    extra += PER_MESSAGE;
    if (typeof m.content === 'string') texts.push(m.content);
    else if (Array.isArray(m.content)) m.content.forEach(block);
  }
  if (req.tools?.length) texts.push(JSON.stringify(req.tools));
  return countTokens(texts.join('\n')) + extra;
}
