// Gemini generateContent / streamGenerateContent usage. A stream (SSE with `alt=sse`, or without it a JSON array
// of responses) repeats `usageMetadata` in its chunks: the last one wins. `promptTokenCount` includes
// `cachedContentTokenCount`; `candidatesTokenCount` excludes `thoughtsTokenCount`, and both are billed as output;
// `toolUsePromptTokenCount` (prompts of server tools) is billed as input. Code Assist (Gemini CLI signed in with
// Google) wraps the same request in `request` and the response in `response`: both are unwrapped.
import type { LlmCall } from './call.js';
import type { TopLevel } from './shallow-json.js';
import { jsonEvents, type StreamRead } from './read-events.js';
import { count, obj, str, type SseEvent } from './wire.js';

export function geminiRequest(call: LlmCall, req: TopLevel, pathModel: string | null): void {
  const inner = req.object('request') ?? req;
  call.requestedModel = pathModel ?? req.string('model');
  call.messageCount = inner.arrayLength('contents');
}

export function geminiJson(call: LlmCall, body: unknown): void {
  const list = Array.isArray(body) ? body : [body];
  const chunks = list.map((c) => unwrap(obj(c))).filter((c): c is Record<string, unknown> => c !== null);
  if (Array.isArray(body)) call.streamed = true;
  if (chunks.length === 0) {
    call.notes.push('the response is not a GenerateContentResponse');
    return;
  }
  apply(call, chunks);
}

export function geminiEvents(call: LlmCall, events: readonly SseEvent[]): StreamRead {
  const { items, bad } = jsonEvents(events);
  if (bad > 0) call.notes.push(`${bad} event(s) whose data is not JSON`);
  const chunks = items.map((i) => ({ ...i, data: unwrap(i.data) })).filter((i) => i.data !== null);
  let firstTokenAt: number | null = null;
  for (const c of chunks) if (firstTokenAt === null && hasParts(c.data!)) firstTokenAt = c.at;
  apply(call, chunks.map((c) => c.data!));
  return { firstTokenAt };
}

function unwrap(c: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!c) return null;
  const inner = obj(c.response);
  return inner && (inner.candidates !== undefined || inner.usageMetadata !== undefined) ? inner : c;
}

function hasParts(c: Record<string, unknown>): boolean {
  return arr(c.candidates).some((cand) => arr(obj(obj(cand)?.content)?.parts).length > 0);
}

function apply(call: LlmCall, chunks: Record<string, unknown>[]): void {
  let usage: Record<string, unknown> | null = null;
  /** Candidates were answered, and whether one of them finished (a stream's last chunk says why it ended). */
  let answered = false;
  let finished = false;
  for (const c of chunks) {
    if (obj(c.error)) call.notes.push(`the API answered an error: ${str(obj(c.error)?.message) ?? 'unknown error'}`);
    call.servedModel = str(c.modelVersion) ?? call.servedModel;
    for (const cand of arr(c.candidates)) {
      const candidate = obj(cand);
      answered = true;
      if (str(candidate?.finishReason)) finished = true;
      call.stopReason = str(candidate?.finishReason) ?? call.stopReason;
      for (const part of arr(obj(candidate?.content)?.parts)) {
        const name = str(obj(obj(part)?.functionCall)?.name);
        if (name) call.toolCalls.push(name);
      }
    }
    usage = obj(c.usageMetadata) ?? usage;
  }
  if (!usage) {
    call.notes.push('the response carries no usageMetadata');
    return;
  }
  call.usage = usage;
  const prompt = count(usage.promptTokenCount);
  const cached = count(usage.cachedContentTokenCount) ?? 0;
  const toolPrompt = count(usage.toolUsePromptTokenCount) ?? 0;
  const candidates = count(usage.candidatesTokenCount);
  const thoughts = count(usage.thoughtsTokenCount) ?? 0;
  const t = call.tokens;
  t.input = prompt === null ? null : Math.max(0, prompt - cached) + toolPrompt;
  t.cacheRead = prompt === null ? null : cached;
  t.cacheWrite5m = prompt === null ? null : 0;
  t.cacheWrite1h = prompt === null ? null : 0;
  // A chunk cut before any candidate text has no candidatesTokenCount: thoughts alone are still output.
  t.output = candidates === null && thoughts === 0 ? null : (candidates ?? 0) + thoughts;
  t.reasoning = thoughts;
  if (prompt === null) call.notes.push('usageMetadata without promptTokenCount');
  if (call.streamed && answered && !finished) {
    // Each chunk counts the candidates so far: without the last one, the output count is a partial one.
    t.output = null;
    call.notes.push('the stream ends before a finishReason: output tokens unknown');
  } else if (t.output === null) call.notes.push('usageMetadata without candidatesTokenCount');
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
