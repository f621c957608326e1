// One flow's LLM call and its cost, as the usage stage derives it after the response ends and `ccproxy db backfill`
// derives it again from a stored trace: the same function for both, so a backfilled row equals a captured one.
// It hangs on the flow's metadata, where the trace writer finds it and maps it to a row (store/flow-row.ts).
import type { Flow } from '../flow/flow.js';
import type { LlmCall } from './call.js';
import { notBilled, priceCall, type CallCost } from './cost.js';
import { extractCall } from './extract.js';
import type { PriceBook } from './prices.js';
import { recognise } from './recognise.js';
import type { WsTurn } from './responses-ws.js';

export interface PricedCall {
  call: LlmCall;
  cost: CallCost;
  /** When the call started (epoch ms), where it is not the flow's start: a WebSocket connection's later turns. */
  at?: number;
}

const KEY = 'llmCall';
const TURNS = 'llmCalls';

/** The priced calls a stage hung on the flow, in order: one for an HTTP exchange, one per turn of a WebSocket. */
export function pricedCallsOf(flow: Flow): readonly PricedCall[] {
  const turns = flow.metadata[TURNS] as PricedCall[] | undefined;
  if (turns) return turns;
  const one = flow.metadata[KEY] as PricedCall | undefined;
  return one ? [one] : [];
}

export function setPricedCall(flow: Flow, priced: PricedCall): void {
  flow.metadata[KEY] = priced;
}

/** The calls of an upgraded connection's turns, each priced at its own start. */
export function setPricedCalls(flow: Flow, calls: PricedCall[]): void {
  flow.metadata[TURNS] = calls;
}

/**
 * Each turn of a Responses WebSocket priced at the time it started. A warm-up (`generate: false`) answered without
 * any token count (a gateway answers it itself) generated nothing and reached no provider: not billed.
 */
export function priceTurns(turns: readonly WsTurn[], book: PriceBook): PricedCall[] {
  return turns.map(({ call, at, warmup }) => {
    const counted = call.tokens.input !== null || call.tokens.output !== null;
    return { call, cost: warmup && !counted ? notBilled('a warm-up (generate: false) that generated nothing') : priceCall(call, book, new Date(at)), at };
  });
}

/**
 * Whether the flow may be an LLM call, without reading its bodies: classified `llm`, or a path of one of the APIs.
 * Other traffic is never parsed.
 */
export function mayBeLlmCall(flow: Flow): boolean {
  if ((flow.request.method ?? 'POST').toUpperCase() !== 'POST') return false;
  return flow.trafficType === 'llm' || recognise(flow.request.method, flow.request.path ?? flow.request.url, null) !== null;
}

/** The flow's call priced at its start time (chunk times, ms after start, become the stream's arrival times); null when not an LLM call. */
export function priceFlow(flow: Flow, book: PriceBook): PricedCall | null {
  const start = flow.timing.start;
  const chunks = start !== null && flow.timing.chunks ? flow.timing.chunks.map((ms) => ({ at: start + ms })) : undefined;
  const call = extractCall(flow, chunks ? { chunks } : {});
  if (call === null) return null;
  const failed = unbilledFailure(flow, call);
  return { call, cost: failed === null ? priceCall(call, book, new Date(start ?? Date.now())) : notBilled(failed) };
}

/**
 * Why the call cost nothing, when it was answered with an error status and no token was counted: the providers bill
 * no request they answer with one. (A call with no answer at all has no usage row: the stage reads answered ones.)
 */
export function unbilledFailure(flow: Flow, call: LlmCall): string | null {
  const t = call.tokens;
  if (t.input !== null || t.output !== null || t.cacheRead !== null || t.cacheWrite5m !== null || t.cacheWrite1h !== null) return null;
  const status = flow.response?.status ?? null;
  return status !== null && status >= 400 ? `the request failed with status ${status}` : null;
}
