// OpenAI Responses usage, from the JSON response, the SSE events, or the same events sent as WebSocket messages.
// The stream's terminal event (`response.completed`, `response.incomplete` or `response.failed`) carries the whole
// response with its usage: `input_tokens` includes `input_tokens_details.cached_tokens` and `cache_write_tokens`
// (cache writes, billed by newer models), `output_tokens` includes
// `output_tokens_details.reasoning_tokens`. Tool calls are the output items that call something.
import type { LlmCall } from './call.js';
import type { TopLevel } from './shallow-json.js';
import { jsonEvents, type StreamRead } from './read-events.js';
import { count, obj, str, type SseEvent } from './wire.js';

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** Output item types that are a call, and the tool name to record when the item has none of its own. */
const CALL_ITEMS: Record<string, string> = {
  function_call: 'function',
  custom_tool_call: 'custom',
  mcp_call: 'mcp',
  web_search_call: 'web_search',
  file_search_call: 'file_search',
  code_interpreter_call: 'code_interpreter',
  computer_call: 'computer',
  local_shell_call: 'local_shell',
  shell_call: 'shell',
  apply_patch_call: 'apply_patch',
  image_generation_call: 'image_generation',
};

export function responsesRequest(call: LlmCall, req: TopLevel): void {
  call.requestedModel = req.string('model');
  call.streamed = req.scalar('stream') === true;
  call.messageCount = req.arrayLength('input') ?? (typeof req.scalar('input') === 'string' ? 1 : null);
}

export function responsesJson(call: LlmCall, body: Record<string, unknown>): void {
  applyResponse(call, body);
}

export function responsesEvents(call: LlmCall, events: readonly SseEvent[]): StreamRead {
  // Deltas are known by their SSE event name (WebSocket messages have none and are parsed).
  let firstTokenAt: number | null = null;
  const { items, bad } = jsonEvents(events, (e) => {
    if (!e.event?.endsWith('.delta')) return false;
    firstTokenAt ??= e.at;
    return true;
  });
  let final: Record<string, unknown> | null = null;
  let latest: Record<string, unknown> | null = null;
  const doneItems: Record<string, unknown>[] = [];
  for (const { data, at } of items) {
    const type = String(data.type ?? '');
    if (type.endsWith('.delta')) firstTokenAt ??= at;
    const response = obj(data.response);
    if (response) latest = response;
    if (TERMINAL.has(type) && response) final = response;
    if (type === 'response.output_item.done' && obj(data.item)) doneItems.push(obj(data.item)!);
    if (type === 'error') call.notes.push(`the stream carried an error: ${str(data.message) ?? str(obj(data.error)?.message) ?? 'unknown error'}`);
  }
  if (bad > 0) call.notes.push(`${bad} event(s) whose data is not JSON`);
  if (final) {
    applyResponse(call, final, doneItems);
  } else {
    call.notes.push('the stream ended before response.completed');
    if (latest) applyResponse(call, latest, doneItems);
    else for (const item of doneItems) toolCall(call, item);
  }
  return { firstTokenAt };
}

function applyResponse(call: LlmCall, r: Record<string, unknown>, doneItems: Record<string, unknown>[] = []): void {
  const error = obj(r.error);
  if (error) call.notes.push(`the response failed: ${str(error.code) ?? ''} ${str(error.message) ?? ''}`.trim());
  call.servedModel = str(r.model) ?? call.servedModel;
  call.serviceTier = str(r.service_tier) ?? call.serviceTier;
  // A response still `in_progress` (a stream cut before its end) has not stopped.
  const status = str(r.status);
  const ended = status === 'in_progress' || status === 'queued' ? null : status;
  call.stopReason = str(obj(r.incomplete_details)?.reason) ?? ended ?? call.stopReason;
  // The terminal event repeats every output item; a stream whose response omits them still listed each item done.
  const output = Array.isArray(r.output) && r.output.length > 0 ? r.output : doneItems;
  let searches = 0;
  for (const item of output) {
    const it = obj(item);
    toolCall(call, it);
    if (it?.type === 'web_search_call') searches++;
  }
  call.webSearchRequests = searches;
  call.webFetchRequests = 0;
  const usage = obj(r.usage);
  if (!usage) {
    call.notes.push('the response carries no usage');
    return;
  }
  call.usage = usage;
  const input = count(usage.input_tokens);
  const details = obj(usage.input_tokens_details);
  const cached = count(details?.cached_tokens) ?? 0;
  const written = count(details?.cache_write_tokens) ?? 0;
  const t = call.tokens;
  t.input = input === null ? null : Math.max(0, input - cached - written);
  t.cacheRead = input === null ? null : cached;
  t.cacheWrite5m = input === null ? null : written;
  t.cacheWrite1h = input === null ? null : 0;
  t.output = count(usage.output_tokens);
  t.reasoning = count(obj(usage.output_tokens_details)?.reasoning_tokens) ?? (t.output === null ? null : 0);
  if (input === null) call.notes.push('usage without input_tokens');
  if (t.output === null) call.notes.push('usage without output_tokens');
}

function toolCall(call: LlmCall, item: Record<string, unknown> | null): void {
  const kind = CALL_ITEMS[String(item?.type)];
  if (!kind) return;
  call.toolCalls.push(str(item?.name) ?? kind);
}
