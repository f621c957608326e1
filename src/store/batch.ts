// Batch assembly for the writer: how much of the memory queue one round trip carries, and the short wait for a
// fuller batch. Each round trip costs PostgreSQL a transaction and a WAL flush whatever its size, so fewer,
// fuller batches halve its work per row at thousands of exchanges a second.
import { rides, type Op } from './ops.js';

/** Caps one round trip's body bytes, far below PostgreSQL's 1 GB message limit. */
export const BATCH_BYTES = 16 * 1024 * 1024;

/** How long the writer waits for more operations before a round trip that would carry less than a full batch. */
export const GATHER_MS = 20;

/**
 * Takes the next batch off the front of `queue`: at most `batchSize` trace operations (the timings and usage rows
 * riding with them come along uncounted) and `maxBytes` body bytes, but always at least one operation (a single
 * large body still goes).
 */
export function takeBatch(queue: Op[], batchSize: number, maxBytes = BATCH_BYTES): Op[] {
  let i = 0;
  let n = 0;
  let bytes = 0;
  for (; i < queue.length; i++) {
    const op = queue[i]!;
    if (i > 0 && bytes + op.bytes > maxBytes) break;
    if (!rides(op)) {
      if (n === batchSize) break;
      n++;
    }
    bytes += op.bytes;
  }
  return queue.splice(0, i);
}

/** The wait for a fuller batch: ends after `ms`, or earlier on `wake()` (a full batch, a flush, close). */
export class Gather {
  private wakeUp: (() => void) | null = null;

  wait(ms = GATHER_MS): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /** Ends the wait in progress, if any. */
  wake(): void {
    this.wakeUp?.();
  }
}
