// An OpenAI chat completion (JSON) as an Anthropic message: reasoning as a thinking block, the text, each tool
// call as tool_use (arguments made whole JSON, ids generated where a server sent none), stop reason and usage.
import { newMessageId, newToolId, wholeArguments, type Block } from './anthropic.js';
import { translatedSignature } from './thinking-origin.js';
import { openaiStop, openaiUsage } from './stop-usage.js';

interface Completion {
  id?: string;
  model?: string;
  choices?: { message?: { content?: string | null; refusal?: string | null; reasoning_content?: string | null; reasoning?: string | null; tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[] }; finish_reason?: string | null }[];
  usage?: Parameters<typeof openaiUsage>[0];
}

export function fromOpenAIResponse(c: Completion, model: string): Record<string, unknown> {
  const choice = c.choices?.[0];
  const msg = choice?.message ?? {};
  const content: Block[] = [];
  const reasoning = msg.reasoning_content ?? msg.reasoning;
  if (reasoning) content.push({ type: 'thinking', thinking: reasoning, signature: translatedSignature('openai') });
  if (msg.content) content.push({ type: 'text', text: msg.content });
  else if (msg.refusal) content.push({ type: 'text', text: msg.refusal });
  for (const call of msg.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: call.id || newToolId(), name: call.function?.name ?? '', input: JSON.parse(wholeArguments(call.function?.arguments ?? '')) });
  }
  const calledTools = content.some((b) => b.type === 'tool_use');
  return {
    id: c.id ? `msg_${c.id.replace(/^chatcmpl-/, '')}` : newMessageId(),
    type: 'message',
    role: 'assistant',
    model: c.model ?? model,
    content,
    stop_reason: openaiStop(choice?.finish_reason, calledTools),
    stop_sequence: null,
    usage: openaiUsage(c.usage),
  };
}
