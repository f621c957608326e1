// Usage of the Responses API over its WebSocket (Codex's first choice): one connection carries many turns, each
// a `response.create` text message from the client answered by the same events an SSE stream carries, as text
// messages. Each turn is one call; its events are read by the Responses reader, with the messages' own times, so
// time to first token runs from the `response.create` to the first delta. The reader takes messages one at a time
// as the capture sees them and keeps of a turn only what its call needs: the deltas' times, not their text.
import type { Flow } from '../flow/flow.js';
import { WS_CLIENT_TO_SERVER, type WsMessage } from '../flow/websocket.js';
import { emptyCall, type LlmCall } from './call.js';
import { responsesEvents, responsesRequest } from './openai-responses.js';
import { parsedTopLevel } from './shallow-json.js';
import { parseQuota } from './quota.js';
import { bodyText, obj, type SseEvent } from './wire.js';

const TEXT = 1;
/** The path of a Responses WebSocket upgrade (`/v1/responses`, or a gateway's prefix before it). */
const RESPONSES_PATH = /(?:^|\/)responses$/;
/** A delta event's head, read without parsing it: `{"type":"response.…delta"` within its first bytes. */
const DELTA_HEAD = /^\s*\{\s*"type"\s*:\s*"response\.[a-z_.]*delta"/;

/** One turn's call with the time it started (its `response.create`, epoch ms). */
export interface WsTurn {
  call: LlmCall;
  at: number;
  /** A warm-up (`generate: false`): the request prepares the connection and asks for no output. */
  warmup: boolean;
}

/** Whether an upgrade is a Responses WebSocket whose turns the usage stage reads. */
export function isResponsesUpgrade(flow: Flow): boolean {
  if (flow.response?.status !== 101) return false;
  const path = (flow.request.path ?? flow.request.url ?? '').split('?')[0]!;
  return RESPONSES_PATH.test(path);
}

/**
 * A client's text message when it is a `response.create`: the request it carries (its fields without `type`, or
 * the older form's `response` object). Null for any other message.
 */
export function responseCreate(text: string): { request: Record<string, unknown> } | null {
  let msg: Record<string, unknown> | null;
  try {
    msg = obj(JSON.parse(text));
  } catch {
    return null;
  }
  if (msg?.type !== 'response.create') return null;
  const { type: _, ...fields } = msg;
  return { request: obj(msg.response) ?? fields };
}

/** Reads a Responses WebSocket connection's turns from its messages, in order; `finish` once it has closed. */
export class ResponsesWsReader {
  private readonly turns: WsTurn[] = [];
  private turn: { call: LlmCall; sentAt: number; events: SseEvent[]; firstDeltaAt: number | null; lastAt: number | null; warmup: boolean } | null = null;

  /** `flow` is the upgrade: its response headers give the quota. */
  constructor(private readonly flow: Flow) {}

  add(m: WsMessage): void {
    if (m.opcode !== TEXT || m.payload === null) return;
    const text = bodyText(m.payload)!;
    const at = m.at.getTime();
    if (m.direction === WS_CLIENT_TO_SERVER) {
      const create = responseCreate(text);
      if (!create) return;
      this.end();
      const call = emptyCall('openai-responses');
      responsesRequest(call, parsedTopLevel(create.request));
      call.streamed = true;
      call.quota = parseQuota(this.flow.response?.headers);
      if (m.truncated) call.notes.push('the stored response.create message was cut at the size limit');
      this.turn = { call, sentAt: at, events: [], firstDeltaAt: null, lastAt: null, warmup: create.request.generate === false };
      return;
    }
    const turn = this.turn;
    if (!turn) return;
    turn.lastAt = at;
    if (DELTA_HEAD.test(text.slice(0, 96))) {
      turn.firstDeltaAt ??= at;
      return;
    }
    if (m.truncated) turn.call.notes.push('a stored event message was cut at the size limit');
    turn.events.push({ event: null, data: text, at });
  }

  /** The calls of every turn, the last one included (a turn cut by the close gets a note from the reader). */
  finish(): WsTurn[] {
    this.end();
    return this.turns;
  }

  private end(): void {
    const turn = this.turn;
    if (!turn) return;
    this.turn = null;
    const { call, sentAt, events } = turn;
    try {
      const read = responsesEvents(call, events);
      const first = turn.firstDeltaAt ?? read.firstTokenAt;
      if (first !== null && first >= sentAt) call.timeToFirstTokenMs = first - sentAt;
      const last = turn.lastAt;
      const output = call.tokens.output;
      if (first !== null && last !== null && last > first && output) call.outputTokensPerSecond = output / ((last - first) / 1000);
    } catch (e) {
      call.notes.push(`reading stopped at an unexpected shape: ${(e as Error).message}`);
    }
    this.turns.push({ call, at: sentAt, warmup: turn.warmup });
  }
}

/** The calls of a Responses WebSocket connection, in order (the upgrade's flow gives the quota). */
export function extractWebSocketCalls(flow: Flow, messages: readonly WsMessage[]): LlmCall[] {
  const reader = new ResponsesWsReader(flow);
  for (const m of messages) reader.add(m);
  return reader.finish().map((t) => t.call);
}
