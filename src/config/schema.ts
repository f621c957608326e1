// The shape of ccproxy.yaml, with the spec's defaults. Sections later features read are kept as they are.
import { z } from 'zod';

export const DEFAULT_LLM_HOSTS = ['api.anthropic.com', 'api.openai.com', 'generativelanguage.googleapis.com'];

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
    /** Store credentials as fingerprints only (headers and token fields in bodies). */
    redact: z.boolean().default(true),
    /** More header names to redact, besides authorization, proxy-authorization, x-api-key, cookie, set-cookie. */
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
  })
  .strict();

export const configSchema = z
  .object({
    ccproxy: z
      .object({
        mitm: mitmSchema.default(() => mitmSchema.parse({})),
      })
      .loose()
      .default(() => ({ mitm: mitmSchema.parse({}) })),
  })
  .loose();

export type MitmConfig = z.infer<typeof mitmSchema>;
export type Config = z.infer<typeof configSchema>;
