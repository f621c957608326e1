// The router's memory of each deployment across requests: failures within the last minute and the cooldown they
// lead to (LiteLLM's allowed_fails / cooldown_time), and the requests and tokens of the last minute that the
// deployment's rpm / tpm limits are held against. The clock is injected so the bookkeeping is tested without waiting.
import type { Deployment } from '../config.js';
import type { FailureKind } from './classify.js';

/** LiteLLM counts failures and usage per minute. */
export const WINDOW_MS = 60_000;

export interface Cooldown {
  /** The deployment's model_name, provider/model and config.yaml line. */
  name: string;
  model: string;
  where: string;
  /** When it is tried again (ms since the epoch). */
  until: number;
  /** The failures that sent it there, e.g. `4 failures within a minute (last: rate_limit, HTTP 429)`. */
  reason: string;
}

export interface HealthSettings {
  allowedFails: number;
  cooldownTime: number;
  disableCooldowns: boolean;
}

const modelOf = (d: Deployment) => `${d.provider ?? '?'}/${d.model}`;

export class Health {
  private fails = new Map<number, number[]>();
  private cooling = new Map<number, Cooldown>();
  private requests = new Map<number, number[]>();
  private tokens = new Map<number, { at: number; n: number }[]>();

  constructor(
    private readonly s: HealthSettings,
    readonly now: () => number = Date.now,
  ) {}

  /** Until when `d` is cooling down, or null. */
  coolingUntil(d: Deployment): number | null {
    const c = this.cooling.get(d.index);
    if (!c) return null;
    if (c.until <= this.now()) {
      this.cooling.delete(d.index);
      return null;
    }
    return c.until;
  }

  /**
   * A failure of `d`, a member of a group of `groupSize`. Past allowed_fails within a minute it cools down
   * (returned). A group of one never does, as in LiteLLM: taking its only deployment out would turn every
   * request into an error.
   */
  failed(d: Deployment, groupSize: number, kind: FailureKind, detail: string): Cooldown | null {
    if (this.s.disableCooldowns || groupSize < 2) return null;
    const now = this.now();
    const list = recent(this.fails.get(d.index), now);
    list.push(now);
    this.fails.set(d.index, list);
    if (list.length <= this.s.allowedFails) return null;
    this.fails.delete(d.index);
    const c: Cooldown = { name: d.name, model: modelOf(d), where: d.where, until: now + this.s.cooldownTime * 1000, reason: `${list.length} failures within a minute (last: ${kind}${detail ? `, ${detail}` : ''})` };
    this.cooling.set(d.index, c);
    return c;
  }

  /** An attempt is sent to `d`: it counts against its rpm. */
  started(d: Deployment): void {
    if (d.rpm === undefined) return;
    const list = recent(this.requests.get(d.index), this.now());
    list.push(this.now());
    this.requests.set(d.index, list);
  }

  /** Tokens `d` used (prompt and completion), counted against its tpm. */
  used(d: Deployment, n: number): void {
    if (d.tpm === undefined || !(n > 0)) return;
    const now = this.now();
    const list = (this.tokens.get(d.index) ?? []).filter((t) => t.at > now - WINDOW_MS);
    list.push({ at: now, n });
    this.tokens.set(d.index, list);
  }

  /** Which of `d`'s per-minute limits it has reached, and when the oldest count in the window leaves it. */
  overLimit(d: Deployment): { limit: 'rpm' | 'tpm'; until: number } | null {
    const now = this.now();
    if (d.rpm !== undefined) {
      const list = recent(this.requests.get(d.index), now);
      this.requests.set(d.index, list);
      if (list.length >= d.rpm) return { limit: 'rpm', until: list[0]! + WINDOW_MS };
    }
    if (d.tpm !== undefined) {
      const list = (this.tokens.get(d.index) ?? []).filter((t) => t.at > now - WINDOW_MS);
      this.tokens.set(d.index, list);
      if (list.reduce((a, t) => a + t.n, 0) >= d.tpm) return { limit: 'tpm', until: list[0]!.at + WINDOW_MS };
    }
    return null;
  }

  /** `d`'s cooldown, while it lasts. */
  cooldownOf(d: Deployment): Cooldown | null {
    return this.coolingUntil(d) === null ? null : this.cooling.get(d.index)!;
  }

  /** Deployments cooling down now, soonest back first (for `ccproxy status`). */
  cooldowns(): Cooldown[] {
    const now = this.now();
    for (const [k, c] of this.cooling) if (c.until <= now) this.cooling.delete(k);
    return [...this.cooling.values()].sort((a, b) => a.until - b.until);
  }
}

function recent(list: number[] | undefined, now: number): number[] {
  return (list ?? []).filter((t) => t > now - WINDOW_MS);
}
