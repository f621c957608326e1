// The gateway's settings besides its models: the listener address from ccproxy.host/port (or the original's
// litellm.host/port), with where the port came from, and LiteLLM's general_settings.master_key from config.yaml.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { locate, parseYamlWith, type LoadedConfig } from '../config/load.js';
import { paths } from '../config/paths.js';
import { ConfigError } from '../errors.js';
import { ENV_PREFIX } from './config-schema.js';

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

const generalSettingsSchema = z
  .object({
    general_settings: z
      .object({ master_key: z.string().min(1, { message: 'an empty master key would let anyone in; remove it or give a key' }).nullable().optional() })
      .loose()
      .nullable()
      .optional(),
  })
  .loose();

/**
 * LiteLLM's `general_settings.master_key` from config.yaml (a literal or `os.environ/NAME`), or null when none is
 * set or there is no config.yaml. A named variable that is unset is an error: starting open by mistake is worse.
 */
export function loadMasterKey(dir: string, env: NodeJS.ProcessEnv): string | null {
  const file = paths.modelsFile(dir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const key = parseYamlWith(file, text, generalSettingsSchema, 'general_settings:').general_settings?.master_key ?? null;
  if (key === null || !key.startsWith(ENV_PREFIX)) return key;
  const name = key.slice(ENV_PREFIX.length);
  const value = env[name];
  if (!value) throw new ConfigError(`${locate(file, text, ['general_settings', 'master_key'])}: general_settings.master_key: environment variable ${name} is not set`);
  return value;
}
