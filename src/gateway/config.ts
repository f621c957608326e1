// The gateway's model table: LiteLLM's config.yaml (model_list: names, aliases and deployments) read with the
// same YAML/zod machinery as ccproxy.yaml, so a user of the original brings the file unchanged. Its other
// settings (listener, master key) are in settings.ts.
import { readFileSync } from 'node:fs';
import { locate, parseYamlWith } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { paths } from '../config/paths.js';
import { ENV_PREFIX, modelsFileSchema } from './config-schema.js';
import { bySpecificity, compilePattern, fillTarget, isPattern, matchPattern, type Pattern } from './patterns.js';
import { endpointUrl, PROVIDERS, splitModel, UNSUPPORTED, type ApiFormat } from './providers.js';

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
  /** The model_list entry's index: the deployment's identity for the router's bookkeeping. */
  index: number;
  /** litellm_params for the router: weight, order (lower first), rpm/tpm limits, timeouts in seconds. */
  weight?: number;
  order?: number;
  rpm?: number;
  tpm?: number;
  timeout?: number;
  streamTimeout?: number;
}

/** One step from a requested name to its deployment, for `ccproxy route` and messages. */
export interface RouteStep {
  /** The name looked up at this step (the requested model, or an alias's target). */
  name: string;
  /** How the entry was found: its exact model_name, a pattern, or a pattern after LiteLLM's provider prefix was added. */
  via: 'name' | 'pattern' | 'provider-pattern';
  /** The entry's model_name (the pattern, for a pattern). */
  entry: string;
  /** `config.yaml:12` of the entry. */
  where: string;
  /** What `*` matched, for a pattern. */
  segments?: string[];
  /** The entry's litellm_params.model with the segments filled in: the next name, or the deployment's model. */
  target: string;
}

export interface Resolution {
  deployment: Deployment;
  /** From the requested name to the deployment's entry; aliases add a step each. */
  chain: RouteStep[];
}

export interface ModelTable {
  file: string;
  /** Every exact model_name, in file order. */
  names: string[];
  /** Every pattern model_name (with `*`), in file order. */
  patterns: string[];
  /** name → deployment: an exact model_name, else the most specific matching pattern; aliases followed. */
  resolve(name: string): Deployment | undefined;
  /** The same, with the steps taken. */
  explain(name: string): Resolution | undefined;
  /**
   * Every deployment of `d`'s group: the entries sharing the model_name of the entry `d` came from (LiteLLM's
   * load balancing), in file order; `d` alone for a pattern.
   */
  group(d: Deployment): Deployment[];
  /** Lines worth a warning at start: unset api_key variables, unusable deployments. */
  warnings: string[];
  /** config.yaml's text, for the router settings read beside the model list. */
  text: string;
}

/** The configured names and patterns, for a message about a model nothing routes. */
export function describeConfigured(models: ModelTable): string {
  if (models.names.length === 0 && models.patterns.length === 0) return 'configured model names: (none: config.yaml has an empty model_list)';
  const names = `configured model names: ${models.names.join(', ') || '(none)'}`;
  return models.patterns.length > 0 ? `${names}; patterns: ${models.patterns.join(', ')}` : names;
}

/** An alias chain that comes back to an entry it passed (found at load for exact names, else when a request takes it). */
export class AliasLoopError extends ConfigError {}

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

interface PatternEntry {
  index: number;
  pattern: Pattern;
}

export function modelTable(file: string, text: string, env: NodeJS.ProcessEnv): ModelTable {
  const parsed = parseYamlWith(file, text, modelsFileSchema, 'model_list:');
  const entries = parsed.model_list;
  const warnings: string[] = [];
  const byName = new Map<string, number>();
  /** model_name → every entry with it: a group of deployments the router balances between. */
  const groups = new Map<string, number[]>();
  const patternList: PatternEntry[] = [];
  entries.forEach((e, i) => {
    if (isPattern(e.model_name)) {
      if (patternList.some((p) => p.pattern.name === e.model_name)) warnings.push(`${locate(file, text, ['model_list', i, 'model_name'])}: model_list[${i}]: a second entry with the pattern "${e.model_name}"; the first one is used (patterns are not load balanced)`);
      else patternList.push({ index: i, pattern: compilePattern(e.model_name) });
      return;
    }
    if (!byName.has(e.model_name)) byName.set(e.model_name, i);
    groups.set(e.model_name, [...(groups.get(e.model_name) ?? []), i]);
  });
  const sortedPatterns = bySpecificity(patternList);
  const wheres = entries.map((_, i) => locate(file, text, ['model_list', i]));
  const whereOf = (i: number) => wheres[i]!;

  /** Entry `i` called with `model` (its litellm_params.model, a pattern's segments filled in). */
  const deploymentOf = (i: number, model: string): Deployment => {
    const p = entries[i]!.litellm_params;
    const { provider, name } = splitModel(model);
    const known = provider ? PROVIDERS[provider] : undefined;
    let unusable: string | null = null;
    if (provider && UNSUPPORTED.has(provider)) unusable = `provider "${provider}" is not supported: ccproxy calls Anthropic-, OpenAI-chat- and Gemini-format deployments (translating Anthropic Messages to the other two), and ${provider} speaks its own API`;
    else if (!provider && !p.api_base) unusable = `cannot tell the provider of "${model}": give it a prefix (anthropic/…, openai/…)`;
    const base = p.api_base ?? known?.defaultBase ?? null;
    if (!unusable && !base) unusable = `provider "${provider}" needs an api_base`;
    // A model with no known provider but an api_base: LiteLLM treats it as OpenAI-compatible.
    const format: ApiFormat | null = unusable ? null : (known?.format ?? 'openai');
    let apiKey: ApiKey | null = null;
    if (p.api_key !== undefined) apiKey = p.api_key.startsWith(ENV_PREFIX) ? { env: p.api_key.slice(ENV_PREFIX.length) } : { literal: p.api_key };
    return {
      name: entries[i]!.model_name, provider, format, model: name, apiBase: base ? new URL(base) : null, apiKey, extraHeaders: p.extra_headers ?? {}, where: whereOf(i), unusable, index: i,
      ...(p.weight !== undefined ? { weight: p.weight } : {}),
      ...(p.order !== undefined ? { order: p.order } : {}),
      ...((p.rpm ?? entries[i]!.rpm) !== undefined ? { rpm: p.rpm ?? entries[i]!.rpm } : {}),
      ...((p.tpm ?? entries[i]!.tpm) !== undefined ? { tpm: p.tpm ?? entries[i]!.tpm } : {}),
      ...(p.timeout !== undefined ? { timeout: p.timeout } : {}),
      ...(p.stream_timeout !== undefined ? { streamTimeout: p.stream_timeout } : {}),
    };
  };

  /** The entry a name reaches: its exact model_name, else a pattern, else a pattern with LiteLLM's provider prefix added (`claude-x` → `anthropic/claude-x`). */
  const lookup = (name: string): { index: number; via: RouteStep['via']; segments?: string[]; matched: string } | null => {
    const exact = byName.get(name);
    if (exact !== undefined) return { index: exact, via: 'name', matched: name };
    const m = matchPattern(sortedPatterns, name);
    if (m) return { index: m.entry.index, via: 'pattern', segments: m.segments, matched: name };
    const { provider } = splitModel(name);
    if (provider && !name.startsWith(`${provider}/`)) {
      const prefixed = `${provider}/${name}`;
      const pm = matchPattern(sortedPatterns, prefixed);
      if (pm) return { index: pm.entry.index, via: 'provider-pattern', segments: pm.segments, matched: prefixed };
    }
    return null;
  };

  // An entry with nothing but a model that names no provider may be an alias reaching its target through a pattern;
  // an entry with its own api_base, api_key or headers is a deployment of its own.
  const onlyModel = (i: number) => {
    const p = entries[i]!.litellm_params;
    return p.api_base === undefined && p.api_key === undefined && p.extra_headers === undefined;
  };

  /**
   * Where entry `i`'s target leads when the entry is an alias: another entry's exact model_name, or (for an entry
   * that is only a model without a provider prefix) a name a pattern routes. Null: the entry is the deployment
   * (an entry reaching itself, `*` → `*`, is one too).
   */
  const aliasOf = (i: number, target: string): ReturnType<typeof lookup> => {
    const exact = byName.get(target);
    if (exact !== undefined) return exact === i ? null : { index: exact, via: 'name', matched: target };
    if (!onlyModel(i) || splitModel(target).name !== target) return null;
    const viaPattern = lookup(target);
    return viaPattern && viaPattern.index !== i ? viaPattern : null;
  };

  /** The resolution of `requested`, with the entry index of each step. */
  const walk = (requested: string): { resolution: Resolution; indexes: number[] } | undefined => {
    const first = lookup(requested);
    if (!first) return undefined;
    const chain: RouteStep[] = [];
    const indexes: number[] = [];
    let at = first;
    let name = requested;
    for (;;) {
      const e = entries[at.index]!;
      const model = e.litellm_params.model;
      const target = at.segments ? fillTarget(model, at.segments, at.matched) : model;
      indexes.push(at.index);
      chain.push({ name, via: at.via, entry: e.model_name, where: whereOf(at.index), ...(at.segments ? { segments: at.segments } : {}), target });
      const next = aliasOf(at.index, target);
      if (!next) return { resolution: { deployment: deploymentOf(at.index, target), chain }, indexes };
      if (indexes.includes(next.index)) {
        throw new AliasLoopError(`invalid configuration:\n  ${locate(file, text, ['model_list', first.index, 'litellm_params', 'model'])}: model_list[${first.index}].litellm_params.model: aliases form a loop: ${[...chain.map((s) => s.name), target].join(' → ')}`);
      }
      name = target;
      at = next;
    }
  };

  // Exact names resolve the same way for every request: resolved once here, so a loop is refused at load.
  const resolved = new Map<string, Resolution>();
  const aliasEntries = new Set<number>();
  const deploymentEntries = new Set<number>();
  for (const name of byName.keys()) {
    const w = walk(name)!;
    resolved.set(name, w.resolution);
    w.indexes.slice(0, -1).forEach((i) => aliasEntries.add(i));
    deploymentEntries.add(w.indexes.at(-1)!);
  }

  // Warnings, once per entry: an unset api_key variable; a deployment ccproxy cannot call (for a pattern, when its
  // target already names the provider).
  const warned = new Set<number>();
  const consider = (i: number) => {
    const p = entries[i]!.litellm_params;
    if (warned.has(i) || aliasEntries.has(i) || aliasOf(i, p.model)) return;
    warned.add(i);
    const d = deploymentOf(i, p.model);
    if (d.apiKey && 'env' in d.apiKey && !env[d.apiKey.env]) warnings.push(`${locate(file, text, ['model_list', i, 'litellm_params', 'api_key'])}: model_list[${i}].litellm_params.api_key: ${d.apiKey.env} is not set; requests routed to "${d.name}" will fail until it is`);
    if (d.unusable && !(isPattern(p.model) && !d.provider)) warnings.push(`${d.where}: model_list[${i}] ("${d.name}"): ${d.unusable}`);
  };
  for (const i of deploymentEntries) for (const j of groups.get(entries[i]!.model_name) ?? [i]) consider(j);
  for (const p of patternList) consider(p.index);

  const groupCache = new Map<number, Deployment[]>();
  const group = (d: Deployment): Deployment[] => {
    const members = isPattern(d.name) ? undefined : groups.get(d.name);
    if (!members || members.length < 2 || !members.includes(d.index)) return [d];
    let g = groupCache.get(d.index);
    if (!g) {
      g = members.map((j) => (j === d.index ? d : deploymentOf(j, entries[j]!.litellm_params.model)));
      groupCache.set(d.index, g);
    }
    return g;
  };

  return {
    file,
    names: [...byName.keys()],
    patterns: patternList.map((p) => p.pattern.name),
    resolve: (n) => (resolved.get(n) ?? walk(n)?.resolution)?.deployment,
    explain: (n) => resolved.get(n) ?? walk(n)?.resolution,
    group,
    warnings,
    text,
  };
}

export { endpointUrl };
