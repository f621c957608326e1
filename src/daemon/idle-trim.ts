// Gives memory back when the daemon falls quiet. V8 collects garbage when JavaScript allocates, so after a burst
// of traffic the heap keeps its garbage (tens of megabytes of request buffers and parsed bodies) for as long as
// nothing happens — all day, for a proxy that waits for the next prompt. One full collection once traffic has
// stopped for a while returns it; then glibc is asked to hand the native memory so freed back to the system
// (malloc-trim.ts). Both cost a few milliseconds, once per quiet spell.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { mallocTrim } from './malloc-trim.js';

/** How long nothing must happen before the collection runs. */
export const QUIET_MS = 10_000;
/** How long after the collection glibc is asked to trim: time for V8's sweeper to free the buffers' memory. */
const NATIVE_FREE_MS = 500;
/** How often activity is looked at. */
const CHECK_MS = 2_000;

let collect: (() => void) | undefined;

/** V8's collector as a function: exposed to a fresh context only, so no code of ours or a module sees `gc`. */
function fullCollection(): () => void {
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  return collect;
}

/**
 * Watches `activity` (any number that changes while work happens, such as operations queued to the writer)
 * and runs one full collection when it has not changed for QUIET_MS since it last did; the start itself
 * counts as activity. Returns a stop function.
 */
export function trimWhenQuiet(activity: () => number, o: { quietMs?: number; onTrim?: () => void } = {}): () => void {
  const quietMs = o.quietMs ?? QUIET_MS;
  const gc = fullCollection();
  const trimNative = mallocTrim();
  let last = activity();
  let changedAt = Date.now();
  let pending = true;
  const timer = setInterval(() => {
    const now = activity();
    if (now !== last) {
      last = now;
      changedAt = Date.now();
      pending = true;
    } else if (pending && Date.now() - changedAt >= quietMs) {
      pending = false;
      gc();
      // V8 frees the native memory of collected buffers on a background thread, after the collection returns.
      const later = setTimeout(() => {
        trimNative?.();
        o.onTrim?.();
      }, NATIVE_FREE_MS);
      later.unref();
    }
  }, Math.min(CHECK_MS, quietMs));
  timer.unref();
  return () => clearInterval(timer);
}
