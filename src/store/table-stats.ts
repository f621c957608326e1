// Keeps the planner's statistics current where nothing else does. The embedded database (PGlite) runs no
// autovacuum, so its tables are never analyzed: without statistics the planner takes a probe of a hundred keys
// (the writer's billed fix-up) for a scan of the whole usage table, and every batch gets slower as the tables grow
// (measured: 155 ms a batch at 160,000 usage rows). After its first batch, and then whenever the rows written since
// the last pass reach a tenth of the traces table (at least 1,000), the writer has our tables analyzed. A PostgreSQL
// server's autovacuum does this by itself.
import type pg from 'pg';
import type { Logger } from '../log.js';
import { TABLE } from './table.js';
import { TIMINGS_TABLE } from './timings-table.js';
import { USAGE_TABLE } from './usage-table.js';

const MIN_ROWS = 1_000;
const SHARE = 0.1;

export class TableStats {
  private written = 0;
  /** Rows written at which the next pass is due. */
  private due = 0;
  private running = false;

  constructor(
    private readonly pool: () => pg.Pool,
    private readonly log: Logger,
  ) {}

  /** Counts rows written; runs a pass when one is due (awaited by the writer between batches, never failing it). */
  async wrote(rows: number): Promise<void> {
    this.written += rows;
    if (this.written < this.due || this.running) return;
    this.running = true;
    try {
      await this.pool().query(`ANALYZE ${TABLE}, ${TIMINGS_TABLE}, ${USAGE_TABLE}`);
      const { rows: r } = await this.pool().query<{ n: number }>(`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = $1::regclass`, [TABLE]);
      this.due = this.written + Math.max(MIN_ROWS, SHARE * Math.max(0, Number(r[0]?.n ?? 0)));
    } catch (err) {
      // Statistics are an optimisation: the next due pass tries again.
      this.due = this.written + MIN_ROWS;
      this.log.debug(`ANALYZE of the trace tables failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
