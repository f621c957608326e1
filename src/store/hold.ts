// Creates held briefly for their completion: a short exchange then becomes one row written once instead of an
// INSERT and an UPDATE. Updates that follow a held create join it; its completion sends it on. A create is let
// go when its wait is over or when too many wait. No timers and no I/O here: the writer asks what is due.
import { absorb, type Op } from './ops.js';

export class Hold {
  /** By trace id, oldest first (a Map keeps insertion order). */
  private readonly held = new Map<string, { op: Op; at: number }>();

  /**
   * @param holdMs how long a create waits for its completion
   * @param capacity most creates held at once; one more lets the oldest go
   * @param now the clock (milliseconds)
   */
  constructor(
    private readonly holdMs: number,
    private readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Creates held now. */
  get size(): number {
    return this.held.size;
  }

  /** Handed-over operations held now (a create and the updates it absorbed count each). */
  get ops(): number {
    let n = 0;
    for (const { op } of this.held.values()) n += op.n;
    return n;
  }

  /**
   * Holds a create; a second create for the same trace joins the first. Returns the oldest create when this one
   * makes too many: it must be queued now.
   */
  add(traceId: string, op: Op): Op | undefined {
    const prev = this.held.get(traceId);
    if (prev) absorb(prev.op, op);
    else this.held.set(traceId, { op, at: this.now() });
    return this.held.size > this.capacity ? this.release(1)[0] : undefined;
  }

  /** Folds `op` into the create held for its trace; false when none is held (then `op` goes on its own). */
  join(traceId: string, op: Op): boolean {
    const held = this.held.get(traceId);
    if (!held) return false;
    absorb(held.op, op);
    return true;
  }

  /** Lets go of the create held for a trace (its completion has joined it). */
  take(traceId: string): Op | undefined {
    const held = this.held.get(traceId);
    if (held) this.held.delete(traceId);
    return held?.op;
  }

  /** Lets go of the creates whose wait is over, oldest first. */
  due(): Op[] {
    const cutoff = this.now() - this.holdMs;
    let n = 0;
    for (const { at } of this.held.values()) {
      if (at > cutoff) break;
      n++;
    }
    return this.release(n);
  }

  /** Lets go of the `n` oldest creates (all by default), oldest first. */
  release(n = Infinity): Op[] {
    const out: Op[] = [];
    for (const [id, { op }] of this.held) {
      if (n-- <= 0) break;
      this.held.delete(id);
      out.push(op);
    }
    return out;
  }
}
