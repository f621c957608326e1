// The gateway's router: LiteLLM's settings read from config.yaml, the deployments' health across requests, and the
// random source simple-shuffle draws from — one per gateway, so cooldowns hold for every request and `ccproxy
// status` can list them.
import { Health, type Cooldown } from './health.js';
import { DEFAULTS, type RouterSettings } from './settings.js';

export class Router {
  readonly health: Health;

  constructor(
    readonly settings: RouterSettings = DEFAULTS,
    readonly random: () => number = Math.random,
    now: () => number = Date.now,
  ) {
    this.health = new Health(settings, now);
  }

  /** Deployments cooling down now, soonest back first. */
  cooldowns(): Cooldown[] {
    return this.health.cooldowns();
  }
}
