// The keys of a LiteLLM config.yaml that ccproxy does not implement, so that one warning line at start names them
// all: a setting that silently does nothing is worse than one that is refused, and refusing would break files
// users share with LiteLLM.
import { z } from 'zod';
import { parseYamlWith } from '../../config/load.js';
import { IMPLEMENTED_KEYS, STRATEGIES } from './settings.js';

/** What each part of config.yaml implements; a part missing here is not read at all. */
const TOP = new Set(['model_list', 'router_settings', 'litellm_settings', 'general_settings']);
const ENTRY = new Set(['model_name', 'litellm_params', 'rpm', 'tpm']);
const PARAMS = new Set(['model', 'api_base', 'api_key', 'extra_headers', 'weight', 'order', 'rpm', 'tpm', 'timeout', 'stream_timeout']);
const GENERAL = new Set(['master_key']);

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The dotted names of the keys set in `text` that ccproxy ignores, each once, in file order. */
export function unimplementedKeys(file: string, text: string): string[] {
  const raw = parseYamlWith(file, text, z.record(z.string(), z.unknown()), 'model_list:');
  const out: string[] = [];
  const add = (k: string) => {
    if (!out.includes(k)) out.push(k);
  };
  for (const [k, v] of Object.entries(raw)) {
    if (!TOP.has(k)) {
      add(k);
      continue;
    }
    if (k === 'general_settings' && isMap(v)) for (const g of Object.keys(v)) if (!GENERAL.has(g)) add(`general_settings.${g}`);
    if ((k === 'router_settings' || k === 'litellm_settings') && isMap(v)) {
      for (const [s, value] of Object.entries(v)) {
        if (!IMPLEMENTED_KEYS.has(s)) add(`${k}.${s}`);
        else if (s === 'routing_strategy' && typeof value === 'string' && !STRATEGIES.has(value)) add(`${k}.routing_strategy: ${value} (simple-shuffle is used)`);
      }
    }
    if (k === 'model_list' && Array.isArray(v)) {
      for (const e of v) {
        if (!isMap(e)) continue;
        for (const [ek, ev] of Object.entries(e)) {
          if (!ENTRY.has(ek)) add(`model_list[].${ek}`);
          else if (ek === 'litellm_params' && isMap(ev)) for (const pk of Object.keys(ev)) if (!PARAMS.has(pk)) add(`model_list[].litellm_params.${pk}`);
        }
      }
    }
  }
  return out;
}

/** The one line that names them, or null when there are none. */
export function unimplementedWarning(file: string, text: string): string | null {
  const keys = unimplementedKeys(file, text);
  return keys.length === 0 ? null : `${file}: LiteLLM settings ccproxy does not implement, ignored: ${keys.join(', ')}`;
}
