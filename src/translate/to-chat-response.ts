// An Anthropic message (JSON) as an OpenAI chat completion: texts joined as content, thinking as
// reasoning_content, tool_use blocks as tool_calls with their input as an arguments string, the stop reason as a
// finish_reason and the usage with cached tokens counted inside the prompt.
import type { Block } from './anthropic.js';
import { chatFinish, chatUsage } from './stop-usage.js';

export interface AnthropicMessage {
  id?: string;
  model?: string;
  content?: Block[];
  stop_reason?: string | null;
  usage?: Parameters<typeof chatUsage>[0];
}

/** `msg_…` → `chatcmpl-…`, so a row's two ends can be matched by eye. */
export const chatId = (id: string | undefined) => `chatcmpl-${(id ?? '').replace(/^msg_/, '') || Date.now().toString(36)}`;

export function toChatResponse(m: AnthropicMessage, model: string): Record<string, unknown> {
  const content = m.content ?? [];
  const text = content.filter((b) => b.type === 'text').map((b) => String(b.text)).join('');
  const reasoning = content.filter((b) => b.type === 'thinking').map((b) => String(b.thinking ?? '')).join('');
  const calls = content
    .filter((b) => b.type === 'tool_use')
    .map((b) => ({ id: String(b.id), type: 'function', function: { name: String(b.name), arguments: JSON.stringify(b.input ?? {}) } }));
  const message: Record<string, unknown> = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text, refusal: null };
  if (reasoning) message.reasoning_content = reasoning;
  if (calls.length > 0) message.tool_calls = calls;
  return {
    id: chatId(m.id),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: m.model ?? model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: chatFinish(m.stop_reason) }],
    usage: chatUsage(m.usage),
  };
}
