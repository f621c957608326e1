// The views of a session computed from its request and response bodies (src/view/): the conversation rebuilt from
// its requests, the roles of its calls (main thread, side calls, subagents), and its adjacent requests diffed with
// the cache misses explained; and one client request beside what went to the provider. These are the only routes
// besides the trace detail that read bodies: a session's LLM exchanges, newest first, up to MAX_FLOWS and
// BODY_BUDGET bytes of bodies.
import type pg from 'pg';
import type { Flow } from '../flow/flow.js';
import { readFlow, readWsMessagesOf } from '../read/read-flows.js';
import { rowToFlow } from '../store/flow-row.js';
import { COLUMNS, TABLE } from '../store/table.js';
import { withClient } from '../store/database.js';
import { timingColumns, TIMINGS_TABLE } from '../store/timings-table.js';
import { USAGE_TABLE } from '../store/usage-table.js';
import { PriceBook } from '../usage/prices.js';
import type { PriceOverrides } from '../usage/price-overrides.js';
import { explainCacheMisses } from '../view/cache-diff.js';
import { buildConversation } from '../view/conversation.js';
import { pairDiff } from '../view/pair-diff.js';
import { markRoles } from '../view/roles.js';
import type { UsageRow } from '../view/usage-row.js';
import { traceOf, turnId, withTurns } from '../view/ws-turns.js';
import { isResponsesUpgrade } from '../usage/responses-ws.js';
import { ApiError } from './respond.js';

/** Exchanges of one session read for its views: a 2,000-request session seen at both ends, and some more. */
export const MAX_FLOWS = 5_000;
/**
 * Bytes of bodies held for one view: a long session's requests each repeat its history, so a 2,000-request
 * session can hold gigabytes; the newest requests (which the conversation and the latest diffs need) come first.
 */
export const BODY_BUDGET = 256 * 1024 * 1024;
/** Flows read per round trip. */
const READ_PAGE = 50;

export interface SessionFlows {
  flows: Flow[];
  usage: UsageRow[];
  /** Not every LLM exchange was read (more than MAX_FLOWS, or bodies over BODY_BUDGET): the newest were. */
  capped: boolean;
}

const LLM = (t: string) => `(${t}.traffic_type = 'llm' OR EXISTS (SELECT 1 FROM ${USAGE_TABLE} u WHERE u.trace_id = ${t}.trace_id))`;
const JOINED = `FROM ${TABLE} t LEFT JOIN ${TIMINGS_TABLE} x ON x.trace_id = t.trace_id`;
const TIMING_COLUMNS = timingColumns('x');
/** Every trace column but the bodies: a provider-side copy of a request whose client side is read whole. */
const WITHOUT_BODIES = COLUMNS.filter((c) => c.name !== 'request_body' && c.name !== 'response_body').map((c) => `t.${c.name}`).join(', ');

/**
 * The session's LLM exchanges (both ends) with their usage rows, oldest first; a 404 when it has none. Sizes are
 * read first (no bodies), newest first, to choose within MAX_FLOWS and BODY_BUDGET; a forward exchange whose
 * client request is read with its body is read without its own (the same conversation, sent on).
 */
export async function sessionFlows(pool: pg.Pool, sessionId: string, limits = { maxFlows: MAX_FLOWS, bodyBudget: BODY_BUDGET }): Promise<SessionFlows> {
  const { rows: sizes } = await pool.query<{ trace_id: string; proxy_direction: number; parent_trace_id: string | null; bytes: number }>(
    `SELECT t.trace_id, t.proxy_direction, x.parent_trace_id, coalesce(octet_length(t.request_body), 0) + coalesce(octet_length(t.response_body), 0) AS bytes
     ${JOINED} WHERE t.session_id = $1 AND ${LLM('t')} ORDER BY t.start_time DESC, t.trace_id DESC LIMIT $2`,
    [sessionId, limits.maxFlows + 1],
  );
  if (sizes.length === 0) throw new ApiError(404, 'not_found', `session ${sessionId} has no LLM exchanges`);
  let capped = sizes.length > limits.maxFlows;
  const chosen = sizes.slice(0, limits.maxFlows);
  const parentOf = new Map(chosen.map((r) => [r.trace_id, r.parent_trace_id]));
  const bytes = new Map(chosen.map((r) => [r.trace_id, Number(r.bytes)]));
  const whole: string[] = [];
  const light: string[] = [];
  let budget = limits.bodyBudget;
  for (const r of chosen) {
    const parentBytes = r.parent_trace_id === null ? undefined : bytes.get(r.parent_trace_id);
    if (Number(r.proxy_direction) === 1 && parentBytes !== undefined && parentBytes > 0) {
      light.push(r.trace_id);
      continue;
    }
    if (Number(r.bytes) > budget) {
      capped = true;
      break;
    }
    budget -= Number(r.bytes);
    whole.push(r.trace_id);
  }
  const kept = new Set(whole);
  // A forward exchange whose client request did not fit is left out with it.
  const lightKept = light.filter((id) => kept.has(parentOf.get(id)!));
  const flows: Flow[] = [];
  const read = async (ids: string[], columns: string) => {
    for (let i = 0; i < ids.length; i += READ_PAGE) {
      const { rows } = await pool.query(`SELECT ${columns}, ${TIMING_COLUMNS} ${JOINED} WHERE t.trace_id = ANY($1)`, [ids.slice(i, i + READ_PAGE)]);
      for (const row of rows) flows.push(rowToFlow(row));
    }
  };
  await read(whole, 't.*');
  await read(lightKept, WITHOUT_BODIES);
  flows.sort((a, b) => (a.timing.start ?? 0) - (b.timing.start ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const { rows } = await pool.query(`SELECT * FROM ${USAGE_TABLE} WHERE trace_id = ANY($1)`, [flows.map((f) => f.id)]);
  // A Responses WebSocket connection's calls are in its messages: one flow per turn (view/ws-turns.ts), and its
  // usage rows, one per turn, named as the turns are.
  const messages = await readWsMessagesOf(pool, flows.filter(isResponsesUpgrade).map((f) => f.id));
  const expanded = withTurns(flows, (id) => messages.get(id));
  const turned = new Set(expanded.filter((f) => f.id !== traceOf(f.id)).map((f) => traceOf(f.id)));
  const usage = (rows as UsageRow[]).map((r) => (turned.has(String(r.trace_id)) ? { ...r, trace_id: turnId(String(r.trace_id), Number(r.call_seq ?? 0)) } : r));
  return { flows: expanded, usage, capped };
}

const withCap = <T extends object>(value: T, s: SessionFlows): T & { capped: boolean } => ({ ...value, capped: s.capped });

export type SessionView = (pool: pg.Pool, sessionId: string, q: URLSearchParams) => Promise<unknown>;

export function sessionViews(prices: PriceOverrides = {}): Record<string, SessionView> {
  const book = new PriceBook(prices);
  return {
    conversation: async (pool, id, q) => {
      const s = await sessionFlows(pool, id);
      return withCap(buildConversation(s.flows, s.usage, { threadId: q.get('thread') ?? undefined }), s);
    },
    roles: async (pool, id) => {
      const s = await sessionFlows(pool, id);
      return withCap(markRoles(s.flows, s.usage), s);
    },
    diffs: async (pool, id, q) => {
      const s = await sessionFlows(pool, id);
      const only = q.get('only');
      return withCap(explainCacheMisses(s.flows, s.usage, { prices: book, only: only ? only.split(',').filter((x) => x !== '') : undefined }), s);
    },
  };
}

/** GET /api/traces/:id/pair: a client request (reverse trace, or forward sent to the gateway) beside each provider call linked to it. */
export async function tracePair(pool: pg.Pool, id: string): Promise<unknown> {
  const traceId = traceOf(id);
  return withClient(pool, async (client) => {
    const reverse = await readFlow(client, traceId);
    if (!reverse) throw new ApiError(404, 'not_found', `no trace with id ${traceId}`);
    const { rows } = await client.query<{ trace_id: string }>(`SELECT trace_id FROM ${TIMINGS_TABLE} WHERE parent_trace_id = $1`, [traceId]);
    // A client request is a reverse trace, or a forward one that map_remote sent to the gateway (calls link to it).
    if (reverse.parentId !== undefined || (reverse.direction === 'forward' && rows.length === 0))
      throw new ApiError(400, 'invalid_request', `trace ${traceId} is a provider-side (forward) trace: ask for its client request${reverse.parentId ? `, ${reverse.parentId}` : ''}`);
    const pairs = [];
    for (const r of rows) {
      const forward = await readFlow(client, r.trace_id);
      if (forward) pairs.push(pairDiff(reverse, forward));
    }
    return { trace_id: traceId, pairs };
  });
}
