// Writing a batch of operations to the database: a trace's first write by COPY where the database carries it,
// everything else as upserts. Rows the database refuses as invalid are isolated from their batch and kept in
// rejected.jsonl, never retried forever; any other failure is thrown for the writer to spill the batch.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../log.js';
import { copyRows, encodeCopy, NotEncodable, planCopies, sendCopy, type CopyPlan } from './copy.js';
import type { Tally } from './counters.js';
import { isConnectionError, withClient, type Database } from './database.js';
import { TraceNotifier } from './notify.js';
import { buildStatements, countOps, encodeOp, mergeOps, type Op, type Statement } from './ops.js';
import { billedFixup } from './usage-table.js';
import { beginFor, inTransaction, runFixup } from './billed-fixup.js';
import { prepareSchema } from './schema.js';

export interface RowWriterOptions {
  /** Whether to try COPY at all (PostgreSQL servers); cleared for good if the database refuses it. */
  copy: boolean;
  rejectedFile: string;
  log: Logger;
}

export class RowWriter {
  /** Cleared if the database refuses COPY: upserts then carry everything. */
  private copyEnabled: boolean;
  /** NOTIFY ccproxy_traces after what was written (store/notify.ts). */
  private readonly notifier: TraceNotifier;

  constructor(
    private readonly db: Pick<Database, 'pool'>,
    private readonly opts: RowWriterOptions,
    /** Adds written, batches, failed and dropped. */
    private readonly tally: Tally,
  ) {
    this.copyEnabled = opts.copy;
    this.notifier = new TraceNotifier(() => this.db.pool);
  }

  /** Sends the notification still waiting for its interval (before the database closes). */
  flushNotifications(): Promise<void> {
    return this.notifier.flush();
  }

  /**
   * Writes a batch; rows the database refuses as invalid are isolated and set aside, never retried forever.
   * A trace's first write goes by COPY, replays included, so a backlog drains as fast as it grew; a replay that
   * repeats a row already written (a batch cut off after its commit) fails its COPY, whose rows are then upserted.
   */
  async write(ops: Op[]): Promise<void> {
    try {
      await this.writeRows(mergeOps(ops), this.copyEnabled);
      this.tally.written += countOps(ops);
      this.tally.batches++;
      this.notifier.written(ops);
    } catch (err) {
      if (!isRowError(err)) throw err;
      const written: Op[] = [];
      try {
        for (const op of ops) {
          try {
            for (const st of buildStatements([op])) await this.db.pool.query(st.text, st.values);
            this.tally.written += op.n;
            written.push(op);
          } catch (e) {
            if (!isRowError(e)) throw e;
            keepRejected(op, e, this.opts.rejectedFile, this.opts.log, this.tally);
          }
        }
        const fixup = billedFixup(written);
        if (fixup) await withClient(this.db.pool, (client) => inTransaction(client, () => runFixup(client, fixup)));
      } finally {
        if (written.length > 0) this.notifier.written(written);
      }
    }
  }

  /** Migrates and checks that COPY still works (after the database was away: it may be another one now). */
  async ensureSchema(): Promise<void> {
    const ready = await withClient(this.db.pool, (client) => prepareSchema(client, this.copyEnabled));
    if (!ready.copy) this.copyEnabled = false;
  }

  /**
   * A batch in one transaction, so it costs the database one commit (one WAL flush) however many tables it
   * touches: COPY for the rows that should be new, statements for the rest. If a part fails on its rows (a replay
   * repeating a committed row, a value COPY cannot carry, COPY refused), the batch is rolled back and written part
   * by part instead, where each COPY that fails goes as upserts.
   */
  private async writeRows(rows: Op[], copy: boolean): Promise<void> {
    const plan = copy ? planCopies(rows) : { copies: [], rest: rows };
    const fixup = billedFixup(rows);
    let encoded: Buffer[][];
    try {
      encoded = [];
      for (const { target, shape } of plan.copies) encoded.push(await encodeCopy(shape, target));
    } catch (err) {
      if (!(err instanceof NotEncodable)) throw err;
      return this.writeByParts(plan, fixup);
    }
    try {
      await withClient(this.db.pool, async (client) => {
        await client.query(beginFor(fixup));
        try {
          for (const [i, { target, shape }] of plan.copies.entries()) await sendCopy(client, shape.cols, encoded[i]!, target);
          for (const st of buildStatements(plan.rest)) await client.query(st.text, st.values);
          if (fixup) await runFixup(client, fixup, true);
          await client.query('COMMIT');
        } catch (err) {
          if (!isConnectionError(err)) await client.query('ROLLBACK').catch(() => {});
          throw err;
        }
      });
    } catch (err) {
      if (isConnectionError(err) || plan.copies.length === 0) throw err;
      await this.writeByParts(plan, fixup);
    }
  }

  /** Each COPY on its own, a failing one's rows joining the upserts; then the upserts and the billed fix-up. */
  private async writeByParts(plan: CopyPlan, fixup: Statement | null): Promise<void> {
    let rest = plan.rest;
    for (const { target, shape } of plan.copies) {
      try {
        await copyRows(this.db.pool, shape, target);
      } catch (err) {
        if (isConnectionError(err)) throw err;
        if (!(err instanceof NotEncodable) && !isRowError(err)) {
          this.copyEnabled = false;
          this.opts.log.warn(`COPY is not available (${describeError(err)}); writing with INSERT from now on`);
        }
        rest = rest.concat(shape.rows);
      }
    }
    for (const st of buildStatements(rest)) await this.db.pool.query(st.text, st.values);
    if (fixup) await withClient(this.db.pool, (client) => inTransaction(client, () => runFixup(client, fixup)));
  }
}

/** Errors about a row's content (bad data, constraint): retrying cannot help, so the row is set aside. */
export function isRowError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return /^(22|23)/.test(code) || code === '54000' || code === '42804';
}

/** A line of rejected.jsonl: when, why, and the operation as the spill file would hold it. */
export function rejectedLine(op: Op, err: unknown, at = new Date()): string {
  return JSON.stringify({ at: at.toISOString(), error: describeError(err), op: JSON.parse(encodeOp(op)) });
}

/** Appends a refused operation to `file` (counted as failed); if the file cannot be written, it is lost (dropped). */
export function keepRejected(op: Op, err: unknown, file: string, log: Logger, tally: Pick<Tally, 'failed' | 'dropped'>): void {
  tally.failed += op.n;
  const line = rejectedLine(op, err);
  try {
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, line + '\n', { mode: 0o600 });
    log.warn(`the database refused ${what(op)} (${describeError(err)}); kept in ${file}`);
  } catch (e) {
    tally.dropped += op.n;
    log.error(`LOST ${what(op)}: refused by the database (${describeError(err)}) and ${file} cannot be written: ${(e as Error).message}`);
  }
}

/** An operation as log lines name it. */
export const what = (op: Op) => (op.kind === 'ws' ? `WebSocket message ${String(op.fields.seq)} of trace ${op.id}` : op.kind === 'timing' ? `the timings of trace ${op.id}` : op.kind === 'usage' ? `the LLM usage of trace ${op.id}` : `trace ${op.id}`);

/** An error as one line: its message, with its SQLSTATE or system code when the message does not say it. */
export function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e?.message ? `${e.message}${e.code && !e.message.includes(e.code) ? ` [${e.code}]` : ''}` : String(err);
}
