// The shape of ccproxy.yaml, with the spec's defaults. Sections later features read are kept as they are.
import { z } from 'zod';
import { prefixProblem } from '../proxy/map-remote.js';
import { pricesSchema } from '../usage/price-overrides.js';
import { DEFAULT_LLM_HOSTS } from './defaults.js';

// A default changed here is changed in defaults.ts too (its test compares the two).

const urlPrefix = z.string().superRefine((value, ctx) => {
  const problem = prefixProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** ccproxy.mitm.map_remote: where the forward capture sends clients' requests instead (longest `from` wins). */
export const mapRemoteSchema = z
  .array(z.object({ from: urlPrefix, to: urlPrefix }).strict())
  .superRefine((entries, ctx) => {
    const seen = new Map<string, number>();
    entries.forEach((e, i) => {
      if (prefixProblem(e.from) !== null) return;
      const key = new URL(e.from).href.replace(/\/$/, '');
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else ctx.addIssue({ code: 'custom', path: [i, 'from'], message: `the same from as map_remote[${first}], which wins: this entry would never apply` });
    });
  });

export const mitmSchema = z
  .object({
    enabled: z.boolean().default(false),
    port: z.number().int().min(0).max(65535).default(8081),
    upstream_proxy: z.string().default('http://localhost:4000'),
    database_url: z.string().min(1).nullable().default(null),
    max_body_size: z.number().int().min(0).default(0),
    capture_bodies: z.boolean().default(true),
    excluded_hosts: z.array(z.string()).default([]),
    cert_dir: z.string().nullable().default(null),
    debug: z.boolean().default(false),
    llm_hosts: z.array(z.string()).default(DEFAULT_LLM_HOSTS),
    /** Which capture point `ccproxy mitm start` runs (CCPROXY_MITM_MODE, --mode). */
    mode: z.enum(['reverse', 'forward']).default('reverse'),
    /** Address the capture listeners bind to; loopback unless you mean to expose them. */
    listen_host: z.string().min(1).default('127.0.0.1'),
    /** Store credentials as fingerprints only (headers, query parameters, secret fields in bodies and messages). */
    redact: z.boolean().default(true),
    /** More header names to redact, besides the built-in list (capture/secret-names.ts). */
    redact_headers: z.array(z.string()).default([]),
    /** Seconds to wait for an upstream connection. */
    connect_timeout: z.number().positive().default(10),
    /** Seconds an upstream exchange may stay silent (LLM streams pause while models think). */
    idle_timeout: z.number().positive().default(600),
    /** Delete traces older than this many days, checked hourly by a running ccproxy; 0 keeps everything. */
    retention_days: z.number().min(0).default(0),
    /** Operations held in memory before the writer spills to disk (the spec's buffer of 1000). */
    queue_size: z.number().int().min(1).default(1000),
    /** Most operations written in one database round trip. */
    batch_size: z.number().int().min(1).max(2000).default(500),
    /** Journal queued operations to disk as soon as the callback that queued them returns, so a killed process loses no completed exchange. */
    journal: z.boolean().default(true),
    /** Read each LLM call's tokens, cost and quota as it is captured (CCProxy_LlmUsage); off, `ccproxy db backfill` reads them later. */
    usage: z.boolean().default(true),
    /** Requests of clients the forward capture sends elsewhere: `{ from: URL prefix, to: URL prefix }`. */
    map_remote: mapRemoteSchema.nullable().default([]).transform((m) => m ?? []),
  })
  .strict();

/** A routing rule: requests it matches are labelled `name`, which names a model_name in config.yaml. */
export const ruleSchema = z
  .object({
    name: z.string().min(1),
    /** A built-in (`ccproxy.rules.MatchModelRule`, …) or a JS module path / package name, `module:Export` for a named export. */
    rule: z.string().min(1),
    /** The original's form is a list of one-key mappings (`- threshold: 60000`); a mapping or positional values work too. */
    params: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional(),
  })
  .strict();

/** A hook: a built-in name (`ccproxy.hooks.model_router`) or a module path, alone or with params. */
export const hookSchema = z.union([
  z.string().min(1),
  z
    .object({
      hook: z.string().min(1),
      params: z.record(z.string(), z.unknown()).optional(),
    })
    .strict(),
]);

/** Where an OAuth token for a provider comes from: a shell command printing it (or a file holding it). */
export const oatSourceSchema = z.union([
  z.string().min(1),
  z
    .object({
      command: z.string().min(1).optional(),
      file: z.string().min(1).optional(),
      /** User-Agent sent with requests that carry this token. */
      user_agent: z.string().min(1).optional(),
      /** api_base host names (exact or as a suffix) that get this token besides the provider's own deployments. */
      destinations: z.array(z.string().min(1)).optional(),
    })
    .strict()
    .refine((o) => (o.command === undefined) !== (o.file === undefined), { message: 'expected exactly one of command or file' }),
]);

const portSchema = z.number().int().min(0).max(65535);

/** The viewer the running ccproxy serves (`ccproxy ui`): its loopback port, 0 for a free one. */
const uiSchema = z.object({ port: portSchema.default(0) }).strict();

/**
 * The `ccproxy` section. The gateway's fields are validated; other fields of the original's file (handler,
 * statusline, inspector, …) are kept so that its files load unchanged.
 */
export const ccproxySchema = z
  .object({
    mitm: mitmSchema.default(() => mitmSchema.parse({})),
    ui: uiSchema.default(() => uiSchema.parse({})),
    /** The gateway's listener; `litellm.host` / `litellm.port` are read when these are absent. */
    host: z.string().min(1).optional(),
    port: portSchema.optional(),
    debug: z.boolean().optional(),
    /** No rule matched: route by the model the client asked for (true, the original's default) or to `default`. */
    default_model_passthrough: z.boolean().default(true),
    rules: z.array(ruleSchema).nullable().default([]).transform((r) => r ?? []),
    /** Absent: every built-in hook, in the documented order. */
    hooks: z.array(hookSchema).optional(),
    oat_sources: z.record(z.string(), oatSourceSchema).nullable().default({}).transform((o) => o ?? {}),
    /** Prices per model that add to or override the bundled table (USD per million tokens of each kind). */
    prices: pricesSchema.optional(),
  })
  .loose();

export const configSchema = z
  .object({
    ccproxy: ccproxySchema.default(() => ccproxySchema.parse({})),
    /** The original ran LiteLLM as a separate server; its host and port are the gateway's when ccproxy.* omit them. */
    litellm: z
      .object({ host: z.string().min(1).optional(), port: portSchema.optional() })
      .loose()
      .optional(),
  })
  .loose();

export type MapRemoteConfig = z.infer<typeof mapRemoteSchema>;
export type MitmConfig = z.infer<typeof mitmSchema>;
export type Config = z.infer<typeof configSchema>;
export type RuleConfig = z.infer<typeof ruleSchema>;
export type HookConfig = z.infer<typeof hookSchema>;
export type OatSourceConfig = z.infer<typeof oatSourceSchema>;
