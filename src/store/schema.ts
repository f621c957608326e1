// Getting a database ready for the writer, the same way wherever it happens (opening a database for a command,
// opening the trace store, and after an outage, when the database that answers may be another one): pending
// migrations applied, then whether it takes binary COPY (asked only while COPY is still wanted).
import type { PoolClient } from 'pg';
import { carriesCopy } from './copy.js';
import { migrate, type MigrationResult } from './migrations.js';

export interface ReadySchema {
  migrated: MigrationResult;
  /** Whether new rows may go by COPY: what was asked, unless the database does not carry it. */
  copy: boolean;
}

export async function prepareSchema(client: PoolClient, copy: boolean): Promise<ReadySchema> {
  const migrated = await migrate(client);
  return { migrated, copy: copy && (await carriesCopy(client)) };
}
