// Anthropic Messages usage, from the JSON message or the SSE stream. In a stream, `message_start` carries the
// message's first usage (input and cache counts) and each `message_delta` the cumulative usage so far (output
// tokens, and the server tool counts); the final usage is the start's merged with the last delta's, field by field.
// Cache writes are split by TTL from `cache_creation.ephemeral_5m_input_tokens` / `ephemeral_1h_input_tokens`;
// without that object, `cache_creation_input_tokens` counts as 5-minute writes (the API's default TTL).
import type { LlmCall } from './call.js';
import type { TopLevel } from './shallow-json.js';
import { jsonEvents, type StreamRead } from './read-events.js';
import { count, obj, str, type SseEvent } from './wire.js';

export function anthropicRequest(call: LlmCall, req: TopLevel): void {
  call.requestedModel = req.string('model');
  call.streamed = req.scalar('stream') === true;
  call.messageCount = req.arrayLength('messages');
}

export function anthropicJson(call: LlmCall, body: Record<string, unknown>): void {
  if (body.type === 'error') call.notes.push(`the API answered an error: ${errorText(body)}`);
  call.servedModel = str(body.model);
  call.stopReason = str(body.stop_reason);
  for (const block of Array.isArray(body.content) ? body.content : []) toolCall(call, obj(block));
  const usage = obj(body.usage);
  if (usage) applyUsage(call, usage, obj(body) ?? {});
  else call.notes.push('the message carries no usage');
}

export function anthropicEvents(call: LlmCall, events: readonly SseEvent[]): StreamRead {
  let usage: Record<string, unknown> | null = null;
  let message: Record<string, unknown> = {};
  let stopped = false;
  /** A message_delta was read: message_start's output_tokens is a placeholder until one comes. */
  let final = false;
  // Deltas are most of a stream and only their time matters here: known by the SSE event name, never parsed.
  let firstTokenAt: number | null = null;
  const { items, bad } = jsonEvents(events, (e) => {
    if (e.event !== 'content_block_delta' && e.event !== 'ping') return false;
    if (e.event === 'content_block_delta' && firstTokenAt === null) firstTokenAt = e.at;
    return true;
  });
  for (const { data, at } of items) {
    switch (data.type) {
      case 'message_start': {
        message = obj(data.message) ?? {};
        call.servedModel = str(message.model);
        usage = { ...(obj(message.usage) ?? {}) };
        break;
      }
      case 'content_block_start':
        toolCall(call, obj(data.content_block));
        break;
      case 'content_block_delta':
        // A stream without event names (a gateway that drops them) still times its first token.
        firstTokenAt ??= at;
        break;
      case 'message_delta': {
        const stop = str(obj(data.delta)?.stop_reason);
        if (stop) call.stopReason = stop;
        usage = merge(usage ?? {}, obj(data.usage) ?? {});
        final = true;
        break;
      }
      case 'message_stop':
        stopped = true;
        break;
      case 'error':
        call.notes.push(`the stream carried an error: ${errorText(data)}`);
        break;
    }
  }
  if (bad > 0) call.notes.push(`${bad} event(s) whose data is not JSON`);
  if (!stopped) call.notes.push('the stream ended before message_stop');
  if (usage) applyUsage(call, usage, message);
  else call.notes.push('the stream carries no usage (no message_start)');
  if (usage && !final) {
    // Priced from message_start alone, a cut stream would cost its prompt and one output token: a guess.
    call.tokens.output = null;
    call.notes.push('the stream ends before its final usage (message_delta): output tokens unknown');
  }
  return { firstTokenAt };
}

/** Later non-null fields win; nested objects (cache_creation, server_tool_use) merge the same way. */
function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === null || v === undefined) continue;
    const inner = obj(v);
    out[k] = inner && obj(out[k]) ? merge(obj(out[k])!, inner) : v;
  }
  return out;
}

function applyUsage(call: LlmCall, usage: Record<string, unknown>, message: Record<string, unknown>): void {
  call.usage = usage;
  const t = call.tokens;
  t.input = count(usage.input_tokens);
  t.output = count(usage.output_tokens);
  t.reasoning = count(obj(usage.output_tokens_details)?.thinking_tokens);
  t.cacheRead = count(usage.cache_read_input_tokens) ?? (usage.input_tokens !== undefined ? 0 : null);
  const creation = obj(usage.cache_creation);
  const total = count(usage.cache_creation_input_tokens);
  if (creation) {
    t.cacheWrite5m = count(creation.ephemeral_5m_input_tokens) ?? 0;
    t.cacheWrite1h = count(creation.ephemeral_1h_input_tokens) ?? 0;
    if (total !== null && total !== t.cacheWrite5m + t.cacheWrite1h) {
      call.notes.push(`cache_creation_input_tokens (${total}) differs from its 5m + 1h split (${t.cacheWrite5m} + ${t.cacheWrite1h})`);
    }
  } else {
    t.cacheWrite5m = total ?? (usage.input_tokens !== undefined ? 0 : null);
    t.cacheWrite1h = t.cacheWrite5m === null ? null : 0;
  }
  const server = obj(usage.server_tool_use);
  call.webSearchRequests = count(server?.web_search_requests) ?? 0;
  call.webFetchRequests = count(server?.web_fetch_requests) ?? 0;
  call.serviceTier = str(usage.service_tier);
  call.speed = str(usage.speed) ?? str(message.speed);
  call.inferenceGeo = str(usage.inference_geo);
  if (t.input === null) call.notes.push('usage without input_tokens');
  if (t.output === null) call.notes.push('usage without output_tokens');
}

/** A tool the model called: client tools (`tool_use`), server tools (`server_tool_use`), MCP tools (`mcp_tool_use`). */
function toolCall(call: LlmCall, block: Record<string, unknown> | null): void {
  if (!block || !['tool_use', 'server_tool_use', 'mcp_tool_use'].includes(String(block.type))) return;
  const name = str(block.name);
  if (name) call.toolCalls.push(name);
}

function errorText(body: Record<string, unknown>): string {
  const e = obj(body.error);
  return [str(e?.type), str(e?.message)].filter(Boolean).join(': ') || 'unknown error';
}
