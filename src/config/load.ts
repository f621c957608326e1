// Reads ccproxy.yaml and the environment into one Config; errors name the file, line and field.
import { isMap, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { applyEnv, readConfigText, type LoadedConfig } from './load-lazily.js';
import { configDir, paths } from './paths.js';
import { configSchema } from './schema.js';

export type { LoadedConfig };

export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const dir = configDir(env);
  const file = paths.configFile(dir);
  return configFromText(dir, file, readConfigText(file), env);
}

/** The configuration from ccproxy.yaml's text (undefined: no file) and the environment, validated. */
export function configFromText(dir: string, file: string, text: string | undefined, env: NodeJS.ProcessEnv): LoadedConfig {
  const raw = text === undefined || text.trim() === '' ? {} : parseYaml(file, text, 'ccproxy:');
  const config = validate(file, text ?? '', raw, configSchema);
  const sources: Record<string, string> = {};
  // Settings the file sets, for messages; the environment may override them below.
  const inFile = (raw as { ccproxy?: { mitm?: Record<string, unknown> } }).ccproxy?.mitm ?? {};
  for (const field of Object.keys(inFile)) if (inFile[field] !== undefined && inFile[field] !== null) sources[field] = `${file} (ccproxy.mitm.${field})`;
  applyEnv(config, env, sources);
  return { dir, file, fileExists: text !== undefined, text, config, sources };
}

/** Where a ccproxy.mitm setting came from, for messages: a flag, a variable, the file, or the default. */
export function sourceOf(loaded: LoadedConfig, field: string): string {
  return loaded.sources[field] ?? `the default ccproxy.mitm.${field}`;
}

/** Parses YAML text and validates it with `schema`; every problem is reported as `file:line: field: what`. */
export function parseYamlWith<S extends z.ZodType>(file: string, text: string, schema: S, topKey: string): z.output<S> {
  return validate(file, text, text.trim() === '' ? {} : parseYaml(file, text, topKey), schema);
}

function validate<S extends z.ZodType>(file: string, text: string, raw: unknown, schema: S): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(describeIssues(file, text, parsed.error.issues));
  return parsed.data;
}

/** `file:line` of the key at `path` (or of its value), for errors found after validation. */
export function locate(file: string, text: string, path: (string | number)[]): string {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const offset = findKeyOffset(doc, path.map(String)) ?? (doc.getIn(path, true) as { range?: [number, number] } | undefined)?.range?.[0];
  return offset === undefined ? file : `${file}:${lines.linePos(offset).line}`;
}

function parseYaml(file: string, text: string, topKey: string): unknown {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lines.linePos(e.pos[0]);
    throw new ConfigError(`${file}:${pos.line}:${pos.col}: invalid YAML: ${e.message.split('\n')[0]}`);
  }
  const value = doc.toJS() as unknown;
  if (value === null || value === undefined) return {};
  if (!isMap(doc.contents)) throw new ConfigError(`${file}:1: expected a mapping with a top-level "${topKey}" key`);
  return value;
}

function describeIssues(file: string, text: string, issues: z.core.$ZodIssue[]): string {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const out = issues.map((issue) => {
    let field = fieldName(issue.path);
    let where = file;
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    if (keys.length > 0) field = fieldName([...issue.path, keys[0]!]);
    // The field's key, else its value, else (a missing field) the nearest enclosing one that is there.
    let yamlPath = (keys.length > 0 ? [...issue.path, keys[0]!] : issue.path) as (string | number)[];
    let offset: number | undefined;
    for (; offset === undefined && yamlPath.length > 0; yamlPath = yamlPath.slice(0, -1)) {
      const node = doc.getIn(yamlPath, true) as { range?: [number, number] } | undefined;
      offset = findKeyOffset(doc, yamlPath.map(String)) ?? node?.range?.[0];
    }
    if (offset !== undefined) where = `${file}:${lines.linePos(offset).line}`;
    const what = issue.code === 'unrecognized_keys' ? `unknown field (known fields are listed in the README)` : issue.message;
    return `${where}: ${field || '(top level)'}: ${what}`;
  });
  return `invalid configuration:\n  ${out.join('\n  ')}`;
}

/** `model_list[2].litellm_params.model`: the field as a user reads it. */
export function fieldName(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
}

/** Offset of the key that names `path` in the document, so errors point at the key's line. */
function findKeyOffset(doc: ReturnType<typeof parseDocument>, path: string[]): number | undefined {
  if (path.length === 0) return undefined;
  const parentPath = path.slice(0, -1).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const parent = path.length === 1 ? doc.contents : doc.getIn(parentPath, true);
  if (!isMap(parent)) return undefined;
  const last = path[path.length - 1];
  for (const pair of parent.items) {
    const key = pair.key as { value?: unknown; range?: [number, number] } | null;
    if (key && String(key.value) === last) return key.range?.[0];
  }
  return undefined;
}
