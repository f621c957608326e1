// OpenAI chat completions usage, from the JSON completion or the SSE chunks. A stream carries usage only when the
// request set `stream_options.include_usage`: then one last chunk, with empty `choices`, holds the whole request's
// usage (earlier chunks have `usage: null`). `prompt_tokens` includes the cached ones and `completion_tokens`
// the reasoning ones, so input = prompt − cached − cache writes (`cache_write_tokens`, billed by newer models) and
// reasoning is a part of output.
import type { LlmCall } from './call.js';
import type { TopLevel } from './shallow-json.js';
import { jsonEvents, type StreamRead } from './read-events.js';
import { count, obj, str, type SseEvent } from './wire.js';

export function chatRequest(call: LlmCall, req: TopLevel): void {
  call.requestedModel = req.string('model');
  call.streamed = req.scalar('stream') === true;
  call.messageCount = req.arrayLength('messages');
}

export function chatJson(call: LlmCall, body: Record<string, unknown>): void {
  if (obj(body.error)) call.notes.push(`the API answered an error: ${str(obj(body.error)?.message) ?? 'unknown error'}`);
  call.servedModel = str(body.model);
  call.serviceTier = str(body.service_tier);
  for (const choice of Array.isArray(body.choices) ? body.choices : []) {
    const c = obj(choice);
    call.stopReason ??= str(c?.finish_reason);
    for (const tc of arr(obj(c?.message)?.tool_calls)) pushName(call, obj(tc));
  }
  const usage = obj(body.usage);
  if (usage) applyUsage(call, usage);
  else call.notes.push('the completion carries no usage');
}

export function chatEvents(call: LlmCall, events: readonly SseEvent[]): StreamRead {
  const { items, bad } = jsonEvents(events);
  let firstTokenAt: number | null = null;
  let usage: Record<string, unknown> | null = null;
  const named = new Set<string>();
  for (const { data, at } of items) {
    if (obj(data.error)) call.notes.push(`the stream carried an error: ${str(obj(data.error)?.message) ?? 'unknown error'}`);
    call.servedModel = str(data.model) ?? call.servedModel;
    call.serviceTier = str(data.service_tier) ?? call.serviceTier;
    for (const choice of arr(data.choices)) {
      const c = obj(choice);
      const delta = obj(c?.delta);
      if (delta && hasContent(delta)) firstTokenAt ??= at;
      const stop = str(c?.finish_reason);
      if (stop) call.stopReason = stop;
      for (const tc of arr(delta?.tool_calls)) {
        // A call's name comes once, in the first delta of its index; later deltas carry arguments only.
        const t = obj(tc);
        const key = `${String(c?.index ?? 0)}:${String(t?.index ?? t?.id ?? '')}`;
        if (str(obj(t?.function)?.name) && !named.has(key)) {
          named.add(key);
          pushName(call, t);
        }
      }
    }
    const u = obj(data.usage);
    if (u) usage = u;
  }
  if (bad > 0) call.notes.push(`${bad} chunk(s) whose data is not JSON`);
  if (!events.some((e) => e.data === '[DONE]')) call.notes.push('the stream ended before [DONE]');
  if (usage) applyUsage(call, usage);
  else call.notes.push('the stream carries no usage (the request did not set stream_options.include_usage, or the stream was cut)');
  return { firstTokenAt };
}

function hasContent(delta: Record<string, unknown>): boolean {
  return ['content', 'refusal', 'reasoning_content', 'reasoning'].some((k) => typeof delta[k] === 'string' && delta[k] !== '') || arr(delta.tool_calls).length > 0;
}

function applyUsage(call: LlmCall, usage: Record<string, unknown>): void {
  call.usage = usage;
  const prompt = count(usage.prompt_tokens);
  const details = obj(usage.prompt_tokens_details);
  const cached = count(details?.cached_tokens) ?? 0;
  const written = count(details?.cache_write_tokens) ?? 0;
  const t = call.tokens;
  t.input = prompt === null ? null : Math.max(0, prompt - cached - written);
  t.cacheRead = prompt === null ? null : cached;
  t.cacheWrite5m = prompt === null ? null : written;
  t.cacheWrite1h = prompt === null ? null : 0;
  t.output = count(usage.completion_tokens);
  t.reasoning = count(obj(usage.completion_tokens_details)?.reasoning_tokens) ?? (t.output === null ? null : 0);
  if (prompt === null) call.notes.push('usage without prompt_tokens');
  if (t.output === null) call.notes.push('usage without completion_tokens');
}

function pushName(call: LlmCall, toolCall: Record<string, unknown> | null): void {
  const name = str(obj(toolCall?.function)?.name) ?? str(obj(toolCall?.custom)?.name);
  if (name) call.toolCalls.push(name);
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
