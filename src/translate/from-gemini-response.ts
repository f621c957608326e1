// A Gemini generateContent answer (JSON) as an Anthropic message: thought parts as a thinking block, texts,
// functionCall parts as tool_use (their thoughtSignature kept in the id), finishReason and usageMetadata.
import { newMessageId, type Block } from './anthropic.js';
import { joinToolId } from './gemini-ids.js';
import { translatedSignature } from './thinking-origin.js';
import { geminiStop, geminiUsage } from './stop-usage.js';

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  functionCall?: { id?: string; name?: string; args?: Record<string, unknown> };
}
export interface GeminiChunk {
  candidates?: { content?: { parts?: GeminiPart[] }; finishReason?: string }[];
  usageMetadata?: Parameters<typeof geminiUsage>[0];
  modelVersion?: string;
  responseId?: string;
  promptFeedback?: { blockReason?: string };
}

export function fromGeminiResponse(g: GeminiChunk, model: string): Record<string, unknown> {
  const cand = g.candidates?.[0];
  const content: Block[] = [];
  for (const p of cand?.content?.parts ?? []) {
    const last = content.at(-1);
    if (p.functionCall) content.push({ type: 'tool_use', id: joinToolId(p.functionCall.id, p.thoughtSignature), name: p.functionCall.name ?? '', input: p.functionCall.args ?? {} });
    else if (typeof p.text === 'string' && p.thought) {
      if (last?.type === 'thinking') last.thinking += p.text;
      else content.push({ type: 'thinking', thinking: p.text, signature: translatedSignature('gemini') });
    } else if (typeof p.text === 'string') {
      if (last?.type === 'text') last.text += p.text;
      else content.push({ type: 'text', text: p.text });
    }
  }
  const calledTools = content.some((b) => b.type === 'tool_use');
  // A prompt Gemini blocked has no candidates, only promptFeedback.
  const reason = cand?.finishReason ?? (g.promptFeedback?.blockReason ? 'SAFETY' : undefined);
  return {
    id: g.responseId ? `msg_${g.responseId}` : newMessageId(),
    type: 'message',
    role: 'assistant',
    model: g.modelVersion ?? model,
    content,
    stop_reason: geminiStop(reason, calledTools),
    stop_sequence: null,
    usage: geminiUsage(g.usageMetadata),
  };
}
