// Which deployment of a group serves the next attempt, as LiteLLM's simple-shuffle picks: deployments cooling down
// or at their rpm/tpm limit are left out, then only those with the lowest `order`, then a random pick weighted by
// `weight` (else by rpm, else by tpm, else even). Deployments this request already tried are passed over while
// others remain. The random source is injected so tests can seed it.
import type { Deployment } from '../config.js';
import type { Health } from './health.js';

/** Why no deployment of the group can take the request now, each with the time it can again. */
export interface Unavailable {
  d: Deployment;
  why: 'cooldown' | 'rpm' | 'tpm';
  until: number;
}

export type Pick = { d: Deployment } | { none: Unavailable[] };

export function pick(group: readonly Deployment[], health: Health, random: () => number, tried: ReadonlySet<number> = new Set()): Pick {
  const blocked: Unavailable[] = [];
  const open: Deployment[] = [];
  for (const d of group) {
    const until = health.coolingUntil(d);
    if (until !== null) {
      blocked.push({ d, why: 'cooldown', until });
      continue;
    }
    const over = health.overLimit(d);
    if (over) {
      blocked.push({ d, why: over.limit, until: over.until });
      continue;
    }
    open.push(d);
  }
  if (open.length === 0) return { none: blocked };
  const fresh = open.filter((d) => !tried.has(d.index));
  const pool = fresh.length > 0 ? fresh : open;
  const lowest = Math.min(...pool.map((d) => d.order ?? Infinity));
  const first = pool.filter((d) => (d.order ?? Infinity) === lowest);
  return { d: weighted(first, random) };
}

/** LiteLLM's simple-shuffle: weight if any deployment sets one, else rpm, else tpm, else an even pick. */
export function weighted(pool: readonly Deployment[], random: () => number): Deployment {
  if (pool.length === 1) return pool[0]!;
  const by = (['weight', 'rpm', 'tpm'] as const).find((k) => pool.some((d) => d[k] !== undefined));
  const weights = pool.map((d) => (by ? (d[by] ?? 0) : 1));
  const total = weights.reduce((a, w) => a + w, 0);
  if (!(total > 0)) return pool[Math.floor(random() * pool.length)]!;
  let r = random() * total;
  for (const [i, w] of weights.entries()) {
    if (r < w) return pool[i]!;
    r -= w;
  }
  return pool[pool.length - 1]!;
}
