// Running the billed fix-up (usage-table.ts billedFixup) so that it stays an index probe on every database.
import type { PoolClient } from 'pg';
import { isConnectionError } from './database.js';
import type { Statement } from './ops.js';

/** How the fix-up is planned (SET LOCAL, in its transaction): by index, never by scanning a table. */
const FIXUP_PLANNING = 'SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off';

/**
 * The billed fix-up inside an open transaction, planned as index probes whatever the statistics say: the embedded
 * database runs no autovacuum, and on tables never analyzed the planner takes a probe of a hundred keys for a scan
 * of the whole usage table, every batch (155 ms at 160,000 rows, growing with the table). The settings last until
 * the transaction ends.
 */
export async function runFixup(client: PoolClient, fixup: Statement, planned = false): Promise<void> {
  if (!planned) await client.query(FIXUP_PLANNING);
  await client.query(fixup.text, fixup.values);
}

/** Opens a batch's transaction; with a fix-up to come, planned for it in the same round trip (`runFixup(…, true)`). */
export const beginFor = (fixup: Statement | null): string => (fixup ? `BEGIN; ${FIXUP_PLANNING}` : 'BEGIN');

/** Runs `work` in a transaction of its own on `client`. */
export async function inTransaction(client: PoolClient, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (err) {
    if (!isConnectionError(err)) await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

