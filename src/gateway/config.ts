// The gateway's configuration: LiteLLM's config.yaml (model_list: names, aliases and deployments) read with the
// same YAML/zod machinery as ccproxy.yaml, so a user of the original brings both files unchanged; plus the
// listener address from ccproxy.host/port (or the original's litellm.host/port), with where each came from.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, locate, parseYamlWith, type LoadedConfig } from '../config/load.js';
import { paths } from '../config/paths.js';
import { endpointUrl, PROVIDERS, splitModel, UNSUPPORTED, type ApiFormat } from './providers.js';

const ENV_PREFIX = 'os.environ/';

const httpUrl = z.string().refine(
  (s) => {
    try {
      return ['http:', 'https:'].includes(new URL(s).protocol);
    } catch {
      return false;
    }
  },
  { message: 'expected an http:// or https:// URL' },
);

const modelEntrySchema = z
  .object({
    model_name: z.string().min(1),
    // LiteLLM takes many more parameters (rpm, timeout, …); they are kept and ignored.
    litellm_params: z
      .object({
        model: z.string().min(1),
        api_base: httpUrl.optional(),
        api_key: z.string().min(1).optional(),
        extra_headers: z.record(z.string(), z.string()).optional(),
      }, { error: (iss) => (iss.input === undefined ? 'missing: every model_list entry needs litellm_params, a mapping with model: provider/name' : 'expected a mapping with model: provider/name (and api_base, api_key, extra_headers)') })
      .loose(),
  })
  .loose();

const modelsFileSchema = z
  .object({
    model_list: z.array(modelEntrySchema).nullable().default([]).transform((m) => m ?? []),
  })
  .loose();

export type ApiKey = { literal: string } | { env: string };

/** Where a routed request goes. */
export interface Deployment {
  /** The model_name of the config.yaml entry. */
  name: string;
  /** LiteLLM provider (`anthropic`, `openai`, …) or null when neither the prefix nor the name tells. */
  provider: string | null;
  format: ApiFormat | null;
  /** The model as the provider knows it (prefix removed). */
  model: string;
  apiBase: URL | null;
  apiKey: ApiKey | null;
  extraHeaders: Record<string, string>;
  /** `config.yaml:12`, for messages. */
  where: string;
  /** Why this deployment cannot be called, when it cannot (an unsupported provider, no api_base). */
  unusable: string | null;
}

export interface ModelTable {
  file: string;
  /** Every model_name, in file order. */
  names: string[];
  /** model_name → deployment, aliases followed. */
  resolve(name: string): Deployment | undefined;
  /** Lines worth a warning at start: unset api_key variables, unusable deployments, duplicate names. */
  warnings: string[];
}

/** Reads config.yaml from the config directory; a missing file is an error (the gateway has nothing to route to). */
export function loadModels(dir: string, env: NodeJS.ProcessEnv): ModelTable {
  const file = paths.modelsFile(dir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigError(`${file} not found: the gateway needs its model_list (LiteLLM's format, see the README)`);
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return modelTable(file, text, env);
}

export function modelTable(file: string, text: string, env: NodeJS.ProcessEnv): ModelTable {
  const parsed = parseYamlWith(file, text, modelsFileSchema, 'model_list:');
  const entries = parsed.model_list;
  const warnings: string[] = [];
  const byName = new Map<string, number>();
  entries.forEach((e, i) => {
    if (byName.has(e.model_name)) warnings.push(`${locate(file, text, ['model_list', i, 'model_name'])}: model_list[${i}]: a second entry named "${e.model_name}"; the first one is used (no load balancing)`);
    else byName.set(e.model_name, i);
  });

  const deployments = new Map<number, Deployment>();
  const deploymentOf = (i: number): Deployment => {
    const cached = deployments.get(i);
    if (cached) return cached;
    const p = entries[i]!.litellm_params;
    const where = locate(file, text, ['model_list', i]);
    const { provider, name } = splitModel(p.model);
    const known = provider ? PROVIDERS[provider] : undefined;
    let unusable: string | null = null;
    if (provider && UNSUPPORTED.has(provider)) unusable = `provider "${provider}" needs request translation, which ccproxy does not do yet (Anthropic-, OpenAI- and Gemini-format deployments only)`;
    else if (!provider && !p.api_base) unusable = `cannot tell the provider of "${p.model}": give it a prefix (anthropic/…, openai/…)`;
    const base = p.api_base ?? known?.defaultBase ?? null;
    if (!unusable && !base) unusable = `provider "${provider}" needs an api_base`;
    // A model with no known provider but an api_base: LiteLLM treats it as OpenAI-compatible.
    const format: ApiFormat | null = unusable ? null : (known?.format ?? 'openai');
    let apiKey: ApiKey | null = null;
    if (p.api_key !== undefined) {
      if (p.api_key.startsWith(ENV_PREFIX)) {
        const variable = p.api_key.slice(ENV_PREFIX.length);
        apiKey = { env: variable };
        if (!env[variable]) warnings.push(`${locate(file, text, ['model_list', i, 'litellm_params', 'api_key'])}: model_list[${i}].litellm_params.api_key: ${variable} is not set; requests routed to "${entries[i]!.model_name}" will fail until it is`);
      } else {
        apiKey = { literal: p.api_key };
      }
    }
    const d: Deployment = { name: entries[i]!.model_name, provider, format, model: name, apiBase: base ? new URL(base) : null, apiKey, extraHeaders: p.extra_headers ?? {}, where, unusable };
    if (unusable) warnings.push(`${where}: model_list[${i}] ("${d.name}"): ${unusable}`);
    deployments.set(i, d);
    return d;
  };

  // An entry whose model names another entry's model_name is an alias; follow the chain, refusing cycles.
  const resolved = new Map<string, Deployment>();
  for (const [name, first] of byName) {
    const seen = [name];
    let i = first;
    for (;;) {
      const target = entries[i]!.litellm_params.model;
      const next = byName.get(target);
      if (next === undefined || next === i) break;
      if (seen.includes(target)) {
        throw new ConfigError(`invalid configuration:\n  ${locate(file, text, ['model_list', first, 'litellm_params', 'model'])}: model_list[${first}].litellm_params.model: aliases form a loop: ${[...seen, target].join(' → ')}`);
      }
      seen.push(target);
      i = next;
    }
    resolved.set(name, deploymentOf(i));
  }
  return { file, names: [...byName.keys()], resolve: (n) => resolved.get(n), warnings };
}

export { endpointUrl };

export interface ListenSetting {
  host: string;
  port: number;
  /** Where the port came from, for the message when it is in use. */
  portSource: string;
}

/** The gateway's main listener: ccproxy.host/port, else the original's litellm.host/port, else 127.0.0.1:4000. */
export function listenSetting(loaded: LoadedConfig): ListenSetting {
  const c = loaded.config;
  const port = c.ccproxy.port ?? c.litellm?.port;
  const portSource = c.ccproxy.port !== undefined ? `${loaded.file} (ccproxy.port)` : c.litellm?.port !== undefined ? `${loaded.file} (litellm.port)` : 'the default port';
  return { host: c.ccproxy.host ?? c.litellm?.host ?? '127.0.0.1', port: port ?? 4000, portSource };
}
