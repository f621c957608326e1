// The configuration for commands that must answer at once (status, db url): with no ccproxy.yaml, or a blank
// one, the defaults plus the environment, without loading the YAML parser or the schema validator; a file with
// something in it goes through load.ts, which loads both.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { defaultConfig } from './defaults.js';
import { configDir, paths } from './paths.js';
import type { Config } from './schema.js';

export interface LoadedConfig {
  dir: string;
  file: string;
  fileExists: boolean;
  /** The file's text, for locating fields in messages about what validation alone cannot see. */
  text?: string;
  config: Config;
  /** Where each overridden setting came from, for error messages: `CCPROXY_DATABASE_URL`, `<file> (ccproxy.mitm.database_url)`. */
  sources: Record<string, string>;
}

/** What loadConfig (load.ts) gives, and the same errors. */
export async function loadConfigLazily(env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const dir = configDir(env);
  const file = paths.configFile(dir);
  const text = readConfigText(file);
  if (text !== undefined && text.trim() !== '') return (await import('./load.js')).configFromText(dir, file, text, env);
  const config = defaultConfig();
  const sources: Record<string, string> = {};
  applyEnv(config, env, sources);
  return { dir, file, fileExists: text !== undefined, text, config, sources };
}

/** ccproxy.yaml's text, or undefined when there is no such file. */
export function readConfigText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
    }
    return undefined;
  }
}

/** The environment's settings over the file's (CCPROXY_DATABASE_URL, CCPROXY_MITM_*, CCPROXY_DEBUG). */
export function applyEnv(config: Config, env: NodeJS.ProcessEnv, sources: Record<string, string>): void {
  const mitm = config.ccproxy.mitm;
  for (const name of ['CCPROXY_DATABASE_URL', 'DATABASE_URL']) {
    const value = env[name];
    if (value) {
      mitm.database_url = value;
      sources.database_url = name;
      break;
    }
  }
  const int = (name: string, field: string, min: number, max: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name}=${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
    sources[field] = name;
    return n;
  };
  const port = int('CCPROXY_MITM_PORT', 'port', 0, 65535);
  if (port !== undefined) mitm.port = port;
  const maxBody = int('CCPROXY_MITM_MAX_BODY_SIZE', 'max_body_size', 0, Number.MAX_SAFE_INTEGER);
  if (maxBody !== undefined) mitm.max_body_size = maxBody;
  if (env.CCPROXY_MITM_UPSTREAM) {
    mitm.upstream_proxy = env.CCPROXY_MITM_UPSTREAM;
    sources.upstream_proxy = 'CCPROXY_MITM_UPSTREAM';
  }
  const mode = env.CCPROXY_MITM_MODE;
  if (mode) {
    if (mode !== 'reverse' && mode !== 'forward') throw new ConfigError(`CCPROXY_MITM_MODE=${JSON.stringify(mode)}: expected reverse or forward`);
    mitm.mode = mode;
  }
  const debug = env.CCPROXY_DEBUG;
  if (debug !== undefined && debug !== '') {
    mitm.debug = ['1', 'true', 'yes', 'on'].includes(debug.toLowerCase());
    sources.debug = 'CCPROXY_DEBUG';
  }
}
