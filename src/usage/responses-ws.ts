// Usage of the Responses API over its WebSocket (Codex's first choice): one connection carries many turns, each
// a `response.create` text message from the client answered by the same events an SSE stream carries, as text
// messages. Each turn is one call; its events are read by the Responses reader, with the messages' own times, so
// time to first token runs from the `response.create` to the first delta.
import type { Flow } from '../flow/flow.js';
import { WS_CLIENT_TO_SERVER, type WsMessage } from '../flow/websocket.js';
import { emptyCall, type LlmCall } from './call.js';
import { responsesEvents, responsesRequest } from './openai-responses.js';
import { parseQuota } from './quota.js';
import { bodyText, obj, type SseEvent } from './wire.js';

const TEXT = 1;

/** The calls of a Responses WebSocket connection, in order (the upgrade's flow gives the quota headers). */
export function extractWebSocketCalls(flow: Flow, messages: readonly WsMessage[]): LlmCall[] {
  const calls: LlmCall[] = [];
  let turn: { call: LlmCall; sentAt: number; events: SseEvent[] } | null = null;
  const finish = () => {
    if (!turn) return;
    const { call, sentAt, events } = turn;
    try {
      const read = responsesEvents(call, events);
      if (read.firstTokenAt !== null && read.firstTokenAt >= sentAt) call.timeToFirstTokenMs = read.firstTokenAt - sentAt;
      const last = events.at(-1)?.at ?? null;
      const output = call.tokens.output;
      if (read.firstTokenAt !== null && last !== null && last > read.firstTokenAt && output) call.outputTokensPerSecond = output / ((last - read.firstTokenAt) / 1000);
    } catch (e) {
      call.notes.push(`reading stopped at an unexpected shape: ${(e as Error).message}`);
    }
    calls.push(call);
    turn = null;
  };
  for (const m of messages) {
    if (m.opcode !== TEXT || m.payload === null) continue;
    const text = bodyText(m.payload)!;
    if (m.direction === WS_CLIENT_TO_SERVER) {
      let msg: Record<string, unknown> | null = null;
      try {
        msg = obj(JSON.parse(text));
      } catch {
        msg = null;
      }
      if (msg?.type !== 'response.create') continue;
      finish();
      const call = emptyCall('openai-responses');
      responsesRequest(call, obj(msg.response) ?? msg);
      call.streamed = true;
      call.quota = parseQuota(flow.response?.headers);
      if (m.truncated) call.notes.push('the stored response.create message was cut at the size limit');
      turn = { call, sentAt: m.at.getTime(), events: [] };
    } else if (turn) {
      if (m.truncated) turn.call.notes.push('a stored event message was cut at the size limit');
      turn.events.push({ event: null, data: text, at: m.at.getTime() });
    }
  }
  finish();
  return calls;
}
