// Usage rows for traces captured before the usage stage (or by an older extractor): each stored POST without a
// current row is read back as its flow (flow-row.ts, with its chunk times from the timings table), priced as the
// stage would price it, and written over any older row. Batches walk the trace key, with a turn of the event loop
// between them, so a running proxy sharing the process is never held up; running it twice writes the same rows.
// Responses WebSocket connections are read from their stored messages, one row per turn.
import { setImmediate as turn, setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import type { PriceBook } from '../usage/prices.js';
import { mayBeLlmCall, priceFlow, priceTurns, type PricedCall } from '../usage/priced.js';
import type { Flow } from '../flow/flow.js';
import { isResponsesUpgrade, ResponsesWsReader } from '../usage/responses-ws.js';
import { readWsMessages } from '../read/read-flows.js';
import { withClient, type Database } from './database.js';
import { inTransaction, runFixup } from './billed-fixup.js';
import { rowToFlow, usageRow } from './flow-row.js';
import { makeUsageOp, type Op } from './ops.js';
import { TABLE } from './table.js';
import { timingColumns, TIMINGS_TABLE } from './timings-table.js';
import { billedFixup, buildUsageInserts, EXTRACTOR_VERSION, OLDER_EXTRACTION, USAGE_TABLE } from './usage-table.js';

export interface BackfillResult {
  /** Stored POST exchanges and Responses WebSocket connections without a current usage row that were read. */
  examined: number;
  /** Usage rows written where there was none. */
  added: number;
  /** Rows of an older extractor written over. */
  replaced: number;
  /** Read but not calls of a known LLM API. */
  notCalls: number;
  /** Current rows written over because `reprice` asked for them (not priced, or priced by ccproxy.prices). */
  repriced: number;
}

export interface BackfillOptions {
  /** Traces read per batch. */
  batchSize?: number;
  /** Checked between batches: the rest is left for the next run. */
  signal?: AbortSignal;
  /** Called after each batch with the totals so far. */
  progress?: (r: BackfillResult) => void;
  /** Only these traces (those a crash journal gave back), not the whole table. */
  traces?: readonly string[];
  /**
   * Also read again the calls whose rows are current but may be priced otherwise now: those not priced (cost NULL)
   * and those priced by ccproxy.prices, which the user may have added to or changed since.
   */
  reprice?: boolean;
}

/** A usage row the prices of today may price otherwise: not priced, or priced by the user's own table. */
const REPRICED = (u: string) => `(${u}.cost_usd IS NULL OR ${u}.price_entry LIKE 'ccproxy.prices:%')`;

/** The restriction to `BackfillOptions.traces`, as the fourth parameter. */
const ONLY = (on: boolean) => (on ? 'AND t.trace_id = ANY($4::text[])' : '');

const candidates = (only: boolean, reprice: boolean) => `
SELECT t.*, u.extractor AS usage_extractor,
       ${timingColumns('x')}
FROM ${TABLE} t
LEFT JOIN ${USAGE_TABLE} u ON u.trace_id = t.trace_id
LEFT JOIN ${TIMINGS_TABLE} x ON x.trace_id = t.trace_id
WHERE t.trace_id > $1 AND t.method = 'POST' AND t.status_code IS NOT NULL AND t.end_time IS NOT NULL
  AND (u.trace_id IS NULL OR u.extractor < $2${reprice ? ` OR ${REPRICED('u')}` : ''}) ${ONLY(only)}
ORDER BY t.trace_id
LIMIT $3`;

/** Ended Responses WebSocket upgrades without current usage rows (their turns are read from the messages table). */
const wsCandidates = (only: boolean, reprice: boolean) => `
SELECT t.*, ${timingColumns('x')},
       (SELECT max(u.extractor) FROM ${USAGE_TABLE} u WHERE u.trace_id = t.trace_id) AS usage_extractor
FROM ${TABLE} t
LEFT JOIN ${TIMINGS_TABLE} x ON x.trace_id = t.trace_id
WHERE t.trace_id > $1 AND t.method = 'GET' AND t.status_code = 101 AND t.end_time IS NOT NULL
  AND split_part(t.path, '?', 1) ~ '(^|/)responses$'
  AND (NOT EXISTS (SELECT 1 FROM ${USAGE_TABLE} u WHERE u.trace_id = t.trace_id AND u.extractor >= $2)${
    reprice ? `
       OR EXISTS (SELECT 1 FROM ${USAGE_TABLE} u WHERE u.trace_id = t.trace_id AND ${REPRICED('u')})` : ''
  }) ${ONLY(only)}
ORDER BY t.trace_id
LIMIT $3`;

export async function backfillUsage(db: Database, book: PriceBook, opts: BackfillOptions = {}): Promise<BackfillResult> {
  const result: BackfillResult = { examined: 0, added: 0, replaced: 0, notCalls: 0, repriced: 0 };
  const reprice = opts.reprice ?? false;
  // Stored HTTP calls: one priced call each.
  const only = opts.traces !== undefined;
  if (only && opts.traces!.length === 0) return result;
  await eachBatch(db, candidates(only, reprice), opts, result, async (flow) => {
    const priced = mayBeLlmCall(flow) ? priceFlow(flow, book) : null;
    return priced ? [priced] : [];
  });
  // Responses WebSocket connections: their turns, read from the stored messages.
  await eachBatch(db, wsCandidates(only, reprice), opts, result, async (flow) => {
    if (!isResponsesUpgrade(flow)) return [];
    const reader = new ResponsesWsReader(flow);
    for (const m of await readWsMessages(db.pool, flow.id)) reader.add(m);
    return priceTurns(reader.finish(), book);
  });
  return result;
}

/**
 * Walks the candidates of `query` along trace_id, a batch at a time with a turn of the event loop between batches:
 * each trace's calls (none: not an LLM call) become its usage rows, written over any older ones.
 */
async function eachBatch(db: Database, query: string, opts: BackfillOptions, result: BackfillResult, callsOf: (flow: Flow) => Promise<PricedCall[]>): Promise<void> {
  const batch = opts.batchSize ?? 200;
  let after = '';
  for (;;) {
    if (opts.signal?.aborted) break;
    const { rows } = await db.pool.query(query, opts.traces ? [after, EXTRACTOR_VERSION, batch, opts.traces] : [after, EXTRACTOR_VERSION, batch]);
    if (rows.length === 0) break;
    after = String(rows[rows.length - 1].trace_id);
    const ops: Op[] = [];
    for (const row of rows) {
      result.examined++;
      const flow = rowToFlow(row);
      const calls = await callsOf(flow);
      if (calls.length === 0) {
        result.notCalls++;
        continue;
      }
      calls.forEach((priced, seq) => ops.push(makeUsageOp(flow.id, usageRow(flow, priced, seq))));
      if (row.usage_extractor === null || row.usage_extractor === undefined) result.added += calls.length;
      else if (Number(row.usage_extractor) < EXTRACTOR_VERSION) result.replaced += calls.length;
      else result.repriced += calls.length;
    }
    await writeUsage(db, ops);
    opts.progress?.({ ...result });
    if (rows.length < batch) break;
    await turn();
  }
}

/** Writes backfilled rows over older ones, then marks the reverse rows their forward rows bill. */
async function writeUsage(db: Database, ops: Op[]): Promise<void> {
  for (const s of buildUsageInserts(ops, 100, true)) await db.pool.query(s.text, s.values);
  const fixup = billedFixup(ops);
  if (fixup) await withClient(db.pool, (client) => inTransaction(client, () => runFixup(client, fixup)));
}

export const describeBackfill = (r: BackfillResult, reprice = false) =>
  reprice
    ? `read ${r.examined} stored POST exchange(s) and WebSocket connection(s) without a current usage row, not priced, or priced by ccproxy.prices: ${r.added} usage row(s) added, ${r.replaced} written over an older extraction's, ${r.repriced} priced again with today's prices, ${r.notCalls} not LLM API calls`
    : `read ${r.examined} stored POST exchange(s) and WebSocket connection(s) without a current usage row: ${r.added} usage row(s) added, ${r.replaced} written over an older extraction's, ${r.notCalls} not LLM API calls`;

/**
 * Whether a starting ccproxy should backfill in the background: it has just created the usage table (migration 7),
 * or the table is empty while LLM traces are stored (the table was created by `ccproxy db push`), or rows of an older
 * extraction are there (an upgrade changed what a row holds; a probe of the partial index of such rows).
 */
export async function backfillDue(db: Database): Promise<boolean> {
  if (db.migrated?.applied.some((m) => m.version === 7)) return true;
  const { rows } = await db.pool.query(
    `SELECT (NOT EXISTS (SELECT 1 FROM ${USAGE_TABLE}) AND EXISTS (SELECT 1 FROM ${TABLE} WHERE traffic_type = 'llm' AND method = 'POST'))
         OR EXISTS (SELECT 1 FROM ${USAGE_TABLE} WHERE ${OLDER_EXTRACTION}) AS due`,
  );
  return rows[0]?.due === true;
}

/** Traces a crash journal gave back, and whether the writer has put them in the database yet. */
export interface Recovered {
  traces: readonly string[];
  written(): boolean;
}

/**
 * Runs a backfill in the background when one is due, and reads the usage of the traces a crash journal gave
 * back once they are written; `stop` ends it between batches and waits for it.
 */
export function backfillInBackground(db: Database, book: PriceBook, log: Logger, recovered?: Recovered): { stop(): Promise<void> } {
  const abort = new AbortController();
  const stopped = () => (abort.signal.aborted ? 'stopped early (the rest at the next start or with ccproxy db backfill)' : 'done');
  const running = (async () => {
    if (await backfillDue(db)) {
      log.debug('filling the LLM usage table from traces stored before it (in the background)');
      const r = await backfillUsage(db, book, { signal: abort.signal });
      // Quiet when there was nothing to read: a fresh database says nothing.
      if (r.examined > 0) log.info(`usage backfill ${stopped()}: ${describeBackfill(r)}`);
    }
    if (!recovered || recovered.traces.length === 0) return;
    while (!recovered.written() && !abort.signal.aborted) await sleep(100);
    const r = await backfillUsage(db, book, { signal: abort.signal, traces: recovered.traces });
    log.info(`usage of the traces replayed from the crash journal ${stopped()}: ${describeBackfill(r)}`);
  })().catch((err) => log.warn(`usage backfill stopped: ${(err as Error).message} (run ccproxy db backfill to finish it)`));
  return {
    async stop() {
      abort.abort();
      await running;
    },
  };
}
