// The trace store as a running ccproxy uses it: database, writer and retention opened together.
// A server that is down at start does not stop ccproxy: the writer spills until the database answers.
import type { LoadedConfig } from '../config/load.js';
import { paths } from '../config/paths.js';
import type { Logger } from '../log.js';
import { explainDbError, isConnectionError, openDatabase, withClient, type Database } from './database.js';
import { prepareSchema } from './schema.js';
import { startRetention } from './prune.js';
import { TraceWriter, type WriterCounters, type WriterOptions } from './writer.js';

/** How long closing the store waits for queued traces to reach the database before spilling the rest. */
const DRAIN_MS = 5_000;

export interface TraceStore {
  db: Database;
  writer: TraceWriter;
  /** Drains the writer within `timeoutMs` (the rest is spilled), then closes the database. */
  close(timeoutMs?: number): Promise<WriterCounters>;
}

export async function openTraceStore(loaded: LoadedConfig, log: Logger, overrides: Partial<WriterOptions> = {}): Promise<TraceStore> {
  const mitm = loaded.config.ccproxy.mitm;
  const db = await openDatabase(loaded, { migrate: false });
  let reachable = true;
  let copy = db.backend.kind === 'server';
  try {
    const ready = await withClient(db.pool, (client) => prepareSchema(client, copy));
    db.migrated = ready.migrated;
    copy = ready.copy;
  } catch (err) {
    if (!isConnectionError(err)) {
      await db.close();
      throw explainDbError(err, db);
    }
    reachable = false;
    log.warn(`${explainDbError(err, db).message.replace(/\n\s*/g, '; ')} — traces will wait in the spill file until it answers`);
  }
  const writer = new TraceWriter(db, {
    queueSize: mitm.queue_size,
    batchSize: mitm.batch_size,
    spillDir: paths.spillDir(loaded.dir),
    ...(mitm.journal ? { journalDir: paths.journalDir(loaded.dir) } : {}),
    rejectedFile: paths.rejectedFile(loaded.dir),
    log: log.child('writer'),
    copy,
    ...overrides,
  }).start({ spilling: !reachable, schemaChecked: reachable });
  const stopRetention = startRetention(db, mitm.retention_days, log.child('retention'));
  return {
    db,
    writer,
    async close(timeoutMs = DRAIN_MS) {
      stopRetention();
      const counters = await writer.close(timeoutMs);
      await db.close();
      return counters;
    },
  };
}
