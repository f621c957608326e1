// A Responses WebSocket connection (Codex CLI's first choice) holds its calls in its messages, not in its bodies:
// each `response.create` and the server's events after it is one call, as the usage stage counts them (one usage
// row per turn, call_seq in order). For the viewer such a connection becomes one flow per turn, shaped as the same
// call over HTTP+SSE would be — the create's fields as the request body, the events as an SSE body — so that the
// conversation, role and cache views read it as they read any Responses call. A turn's flow is named
// `<trace id>~<turn>`; flows linked to the connection are linked to the turn they fall in.
import type { Flow } from '../flow/flow.js';
import { WS_CLIENT_TO_SERVER, type WsMessage } from '../flow/websocket.js';
import { isResponsesUpgrade, responseCreate } from '../usage/responses-ws.js';
import { bodyText, obj } from '../usage/wire.js';

const TEXT = 1;
const SEPARATOR = '~';

/** A turn flow's id: the connection's trace and the turn's number (its usage row's call_seq). */
export const turnId = (traceId: string, turn: number): string => `${traceId}${SEPARATOR}${turn}`;

/** The trace a flow id names (a turn's id names its connection's trace). */
export function traceOf(id: string): string {
  const i = id.lastIndexOf(SEPARATOR);
  return i > 0 && /^\d+$/.test(id.slice(i + 1)) ? id.slice(0, i) : id;
}

/** The connection's turns as flows, in order; none when its messages hold no `response.create`. */
export function turnFlows(flow: Flow, messages: readonly WsMessage[]): Flow[] {
  const turns: { create: Record<string, unknown>; at: number; events: string[]; lastAt: number }[] = [];
  for (const m of messages) {
    if (m.opcode !== TEXT || m.payload === null) continue;
    const text = bodyText(m.payload)!;
    const at = m.at.getTime();
    if (m.direction === WS_CLIENT_TO_SERVER) {
      const create = responseCreate(text);
      if (create) turns.push({ create: create.request, at, events: [], lastAt: at });
      continue;
    }
    const turn = turns.at(-1);
    if (!turn) continue;
    let type = 'message';
    try {
      type = String(obj(JSON.parse(text))?.type ?? 'message');
    } catch {
      /* kept as it came: the assembler says what it could not read */
    }
    turn.events.push(`event: ${type}\ndata: ${text.replace(/\n/g, '\ndata: ')}\n\n`);
    turn.lastAt = at;
  }
  return turns.map((t, i) => {
    const request = Buffer.from(JSON.stringify(t.create));
    const answer = Buffer.from(t.events.join(''));
    return {
      ...flow,
      id: turnId(flow.id, i),
      request: { ...flow.request, method: 'POST', path: (flow.request.path ?? '/v1/responses').split('?')[0]!, body: request, bodySize: request.length, bodyTruncated: false, contentType: 'application/json' },
      response: { status: 200, headers: { 'content-type': 'text/event-stream' }, body: answer, bodySize: answer.length, bodyTruncated: false, contentType: 'text/event-stream' },
      timing: { start: t.at, end: t.lastAt },
      metadata: {},
    };
  });
}

/**
 * The flows with each Responses WebSocket connection replaced by its turns (`messagesOf` gives a connection's
 * messages; one without turns stays as it is), and flows linked to a connection linked to the turn they fall in:
 * the last turn that started before them.
 */
export function withTurns(flows: readonly Flow[], messagesOf: (traceId: string) => readonly WsMessage[] | undefined): Flow[] {
  const turnsOf = new Map<string, Flow[]>();
  for (const f of flows) {
    const messages = isResponsesUpgrade(f) ? messagesOf(f.id) : undefined;
    const turns = messages ? turnFlows(f, messages) : [];
    if (turns.length > 0) turnsOf.set(f.id, turns);
  }
  if (turnsOf.size === 0) return [...flows];
  const out: Flow[] = [];
  for (const f of flows) {
    const turns = turnsOf.get(f.id);
    if (turns) {
      out.push(...turns.map((t) => (t.parentId === undefined ? t : { ...t, parentId: turnAt(turnsOf.get(t.parentId), t.timing.start) ?? t.parentId })));
      continue;
    }
    const parentTurn = f.parentId === undefined ? undefined : turnAt(turnsOf.get(f.parentId), f.timing.start);
    out.push(parentTurn === undefined ? f : { ...f, parentId: parentTurn });
  }
  return out.sort((a, b) => (a.timing.start ?? 0) - (b.timing.start ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The id of the last turn that started at or before `at` (the first turn when none did). */
function turnAt(turns: readonly Flow[] | undefined, at: number | null): string | undefined {
  if (!turns || turns.length === 0) return undefined;
  let chosen = turns[0]!;
  for (const t of turns) if (at !== null && t.timing.start !== null && t.timing.start <= at) chosen = t;
  return chosen.id;
}
