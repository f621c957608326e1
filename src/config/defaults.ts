// The configuration with no ccproxy.yaml, written out so that commands can have it without loading the schema
// validator (zod); config/defaults.test.ts checks that it equals what the schema gives for an empty file.
import type { Config } from './schema.js';

export const DEFAULT_LLM_HOSTS = ['api.anthropic.com', 'api.openai.com', 'generativelanguage.googleapis.com'];

/** A new copy each call: callers change their configuration (flags override settings). */
export function defaultConfig(): Config {
  return {
    ccproxy: {
      mitm: {
        enabled: false,
        port: 8081,
        upstream_proxy: 'http://localhost:4000',
        database_url: null,
        max_body_size: 0,
        capture_bodies: true,
        excluded_hosts: [],
        cert_dir: null,
        debug: false,
        llm_hosts: [...DEFAULT_LLM_HOSTS],
        mode: 'reverse',
        listen_host: '127.0.0.1',
        redact: true,
        redact_headers: [],
        connect_timeout: 10,
        idle_timeout: 600,
        retention_days: 0,
        queue_size: 1000,
        batch_size: 500,
        journal: true,
        usage: true,
        map_remote: [],
      },
      ui: { port: 0 },
      default_model_passthrough: true,
      rules: [],
      oat_sources: {},
    },
  };
}
