// LiteLLM's router settings as users' config.yaml files carry them — `router_settings`, and the same names under
// `litellm_settings` (router_settings wins) — read into the numbers and fallback maps the router works with.
import { z } from 'zod';
import { locate, parseYamlWith } from '../../config/load.js';
import { ConfigError } from '../../errors.js';

/** What the router does, in seconds where it is a time. */
export interface RouterSettings {
  /** Retries in the same group after the first attempt fails with a retryable error. */
  numRetries: number;
  /** Seconds to wait before a retry. */
  retryAfter: number;
  /** Seconds an attempt may take before its answer (a stream: its first byte) is in; null: no limit of the router's. */
  timeout: number | null;
  /** The same for streamed requests; null: `timeout`. */
  streamTimeout: number | null;
  /** Group → the groups tried, in order, when it fails. `*` is every group's. */
  fallbacks: Record<string, string[]>;
  contextWindowFallbacks: Record<string, string[]>;
  contentPolicyFallbacks: Record<string, string[]>;
  /** The groups tried when a group has no fallbacks of its own. */
  defaultFallbacks: string[];
  /** Failures a deployment may have within a minute; one more and it cools down. */
  allowedFails: number;
  /** Seconds a deployment stays out of every pick once it cools down. */
  cooldownTime: number;
  disableCooldowns: boolean;
  /** Fallback groups tried at most, per request. */
  maxFallbacks: number;
}

/** LiteLLM's defaults (Router(): allowed_fails 3, cooldown_time 5 s, max_fallbacks 5); num_retries: see the README. */
export const DEFAULTS: RouterSettings = {
  numRetries: 0,
  retryAfter: 0,
  timeout: null,
  streamTimeout: null,
  fallbacks: {},
  contextWindowFallbacks: {},
  contentPolicyFallbacks: {},
  defaultFallbacks: [],
  allowedFails: 3,
  cooldownTime: 5,
  disableCooldowns: false,
  maxFallbacks: 5,
};

const names = z.union([z.string().min(1).transform((s) => [s]), z.array(z.string().min(1))]);
/** LiteLLM's shape: a list of one-key mappings, `[{gpt-4o: [claude-sonnet]}]` (a mapping of several keys is read too). */
const fallbackList = z.array(z.record(z.string().min(1), names)).nullable().transform((l) => Object.assign({}, ...(l ?? [])) as Record<string, string[]>);
const seconds = z.number().nonnegative();

/** The keys both sections take, and what each becomes. */
const section = z
  .object({
    num_retries: z.number().int().nonnegative().nullable().optional(),
    retry_after: seconds.nullable().optional(),
    timeout: z.number().positive().nullable().optional(),
    request_timeout: z.number().positive().nullable().optional(),
    stream_timeout: z.number().positive().nullable().optional(),
    fallbacks: fallbackList.optional(),
    context_window_fallbacks: fallbackList.optional(),
    content_policy_fallbacks: fallbackList.optional(),
    default_fallbacks: z.array(z.string().min(1)).nullable().optional(),
    allowed_fails: z.number().int().nonnegative().nullable().optional(),
    cooldown_time: seconds.nullable().optional(),
    disable_cooldowns: z.boolean().nullable().optional(),
    max_fallbacks: z.number().int().nonnegative().nullable().optional(),
    routing_strategy: z.string().nullable().optional(),
  })
  .loose();

const fileSchema = z.object({ router_settings: section.nullable().optional(), litellm_settings: section.nullable().optional() }).loose();

/** The keys of either section the router implements (others are named by unimplemented.ts). */
export const IMPLEMENTED_KEYS = new Set(Object.keys(section.shape));

/** The routing strategies ccproxy implements: LiteLLM's default only. */
export const STRATEGIES = new Set(['simple-shuffle']);

export function routerSettings(file: string, text: string): RouterSettings {
  const parsed = parseYamlWith(file, text, fileSchema, 'model_list:');
  const r = parsed.router_settings ?? {};
  const l = parsed.litellm_settings ?? {};
  const pick = <K extends keyof typeof r>(k: K) => r[k] ?? l[k] ?? undefined;
  for (const [name, s] of [['router_settings', r], ['litellm_settings', l]] as const) {
    if (s.timeout !== undefined && s.timeout !== null && s.request_timeout !== undefined && s.request_timeout !== null && s.timeout !== s.request_timeout) {
      throw new ConfigError(`invalid configuration:\n  ${locate(file, text, [name, 'timeout'])}: ${name}: timeout and request_timeout disagree; give one`);
    }
  }
  return {
    numRetries: pick('num_retries') ?? DEFAULTS.numRetries,
    retryAfter: pick('retry_after') ?? DEFAULTS.retryAfter,
    timeout: r.timeout ?? r.request_timeout ?? l.timeout ?? l.request_timeout ?? DEFAULTS.timeout,
    streamTimeout: pick('stream_timeout') ?? DEFAULTS.streamTimeout,
    fallbacks: pick('fallbacks') ?? DEFAULTS.fallbacks,
    contextWindowFallbacks: pick('context_window_fallbacks') ?? DEFAULTS.contextWindowFallbacks,
    contentPolicyFallbacks: pick('content_policy_fallbacks') ?? DEFAULTS.contentPolicyFallbacks,
    defaultFallbacks: pick('default_fallbacks') ?? DEFAULTS.defaultFallbacks,
    allowedFails: pick('allowed_fails') ?? DEFAULTS.allowedFails,
    cooldownTime: pick('cooldown_time') ?? DEFAULTS.cooldownTime,
    disableCooldowns: pick('disable_cooldowns') ?? DEFAULTS.disableCooldowns,
    maxFallbacks: pick('max_fallbacks') ?? DEFAULTS.maxFallbacks,
  };
}

/** Every group name the settings send requests to, with where it is named (checked against the model list at start). */
export function fallbackTargets(s: RouterSettings): { setting: string; from: string; to: string }[] {
  const out: { setting: string; from: string; to: string }[] = [];
  for (const [setting, map] of [['fallbacks', s.fallbacks], ['context_window_fallbacks', s.contextWindowFallbacks], ['content_policy_fallbacks', s.contentPolicyFallbacks]] as const) {
    for (const [from, list] of Object.entries(map)) for (const to of list) out.push({ setting, from, to });
  }
  for (const to of s.defaultFallbacks) out.push({ setting: 'default_fallbacks', from: '*', to });
  return out;
}
