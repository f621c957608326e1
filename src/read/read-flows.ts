// Stored exchanges read back as flows, oldest first, a page at a time: a server-side cursor in one read-only
// transaction, so an export of 100,000 traces holds one page in memory and sees one consistent snapshot. Each
// trace comes joined with its timings row; an upgraded one's WebSocket messages are read on the same connection.
import type pg from 'pg';
import type { Flow } from '../flow/flow.js';
import type { WsMessage } from '../flow/websocket.js';
import { rowToFlow } from '../store/flow-row.js';
import { TABLE } from '../store/table.js';
import { timingColumns, TIMINGS_TABLE } from '../store/timings-table.js';
import { WS_TABLE } from '../store/ws-table.js';

/** Rows fetched per round trip: bodies are a few KB each, so a page is a few MB at most in the common case. */
export const PAGE_ROWS = 100;

/** A condition on the trace table (alias `t`) with its parameters, as the filter language compiles to. */
export interface Where {
  sql: string;
  params: unknown[];
}

const SELECT = `SELECT t.*, ${timingColumns('x')}
  FROM ${TABLE} t LEFT JOIN ${TIMINGS_TABLE} x ON x.trace_id = t.trace_id`;

export interface StoredFlow {
  flow: Flow;
  /** The connection's messages in order, for an upgraded exchange (status 101); empty otherwise. */
  wsMessages: WsMessage[];
}

/** Each matching trace as a flow, by start time (then id), on `client` (checked out by the caller). */
export async function* readFlows(client: pg.ClientBase, where?: Where, pageRows = PAGE_ROWS): AsyncGenerator<StoredFlow> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  let open = true;
  try {
    await client.query({ text: `DECLARE ccproxy_flows NO SCROLL CURSOR FOR ${SELECT}${where ? ` WHERE ${where.sql}` : ''} ORDER BY t.start_time, t.trace_id`, values: where?.params ?? [] });
    for (;;) {
      const { rows } = await client.query(`FETCH ${pageRows} FROM ccproxy_flows`);
      for (const row of rows) {
        const flow = rowToFlow(row);
        yield { flow, wsMessages: flow.response?.status === 101 ? await readWsMessages(client, flow.id) : [] };
      }
      if (rows.length < pageRows) break;
    }
    await client.query('COMMIT');
    open = false;
  } finally {
    if (open) await client.query('ROLLBACK').catch(() => {});
  }
}

/** One trace as a flow, or null when there is none with that id. */
export async function readFlow(client: pg.ClientBase, traceId: string): Promise<Flow | null> {
  const { rows } = await client.query({ text: `${SELECT} WHERE t.trace_id = $1`, values: [traceId] });
  return rows.length > 0 ? rowToFlow(rows[0]) : null;
}

/** An upgraded connection's messages, in the order the capture point saw them. */
export async function readWsMessages(client: pg.ClientBase | pg.Pool, traceId: string): Promise<WsMessage[]> {
  return (await readWsMessagesOf(client, [traceId])).get(traceId) ?? [];
}

/** The messages of several upgraded connections in one query, by trace, each in order. */
export async function readWsMessagesOf(client: pg.ClientBase | pg.Pool, traceIds: readonly string[]): Promise<Map<string, WsMessage[]>> {
  const out = new Map<string, WsMessage[]>();
  if (traceIds.length === 0) return out;
  const { rows } = await client.query({ text: `SELECT trace_id, seq, direction, at, opcode, size, payload, truncated FROM ${WS_TABLE} WHERE trace_id = ANY($1) ORDER BY trace_id, seq`, values: [traceIds] });
  for (const r of rows) {
    const list = out.get(r.trace_id) ?? [];
    if (list.length === 0) out.set(r.trace_id, list);
    list.push({
      seq: Number(r.seq),
      direction: Number(r.direction) === 0 ? 0 : 1,
      at: r.at instanceof Date ? r.at : new Date(r.at),
      opcode: Number(r.opcode),
      size: Number(r.size),
      payload: r.payload ?? null,
      truncated: r.truncated === true,
    });
  }
  return out;
}
