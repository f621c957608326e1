// When the work that waits for a response to have gone out runs (the usage stage, then the writer's usage rows):
// up to a tenth of a second after the response ended, together for every flow that ended meanwhile. One timer
// for all of them, not one wake-up per flow, and their work back to back while its code and tables are in the
// CPU's caches. On an otherwise idle machine the first flow of a gathering pays for bringing them back; measured at
// 1,000 requests a second (a 2-core VM), the usage stage's first call of a gathering took about 300 µs, the others
// 13 to 16 µs, against 40 µs when each flow had its own turn. A gathering also ends once it holds
// AFTER_END_MAX_FLOWS: under heavy load flows are then held for milliseconds, not a tenth of a second, so they die
// young (held 100 ms at 3,000 requests/s, they outlived the young generation's collections and the capture used
// about 7% more CPU per request than with a 10 ms window; with 64, no more). A stop runs what is waiting at once
// (`flushAfterEnded`), before the writer drains.

/** How long flows that ended gather before their after-end work runs. */
export const AFTER_END_GATHER_MS = 100;
/** A gathering this full ends on the next turn, whatever the time. */
export const AFTER_END_MAX_FLOWS = 64;

interface Gathering {
  promise: Promise<void>;
  flows: number;
  fire(): void;
}

let gathering: Gathering | null = null;

/**
 * Resolves once the current gathering ends: at most AFTER_END_GATHER_MS from the first flow that joined it, or a
 * turn after the one that filled it.
 */
export function afterEnded(): Promise<void> {
  const g = gathering ?? start();
  if (++g.flows === AFTER_END_MAX_FLOWS) setImmediate(g.fire);
  return g.promise;
}

function start(): Gathering {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  const g: Gathering = {
    promise,
    flows: 0,
    fire: () => {
      clearTimeout(timer);
      if (gathering === g) gathering = null;
      resolve();
    },
  };
  const timer = setTimeout(g.fire, AFTER_END_GATHER_MS);
  gathering = g;
  return g;
}

/**
 * Ends the gathering now and resolves once the work waiting on it has run (a turn later: each flow's work is
 * chained on the gathering's promise, ahead of this).
 */
export async function flushAfterEnded(): Promise<void> {
  const g = gathering;
  if (!g) return;
  g.fire();
  await g.promise;
  await new Promise<void>((r) => setImmediate(r));
}
