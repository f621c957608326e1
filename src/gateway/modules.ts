// Custom rules and hooks are JS modules named in ccproxy.yaml: a path (relative to the config directory) or a
// package name, with `:Export` for a named export (the default export otherwise), as the original named
// Python objects `module:Object`.
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export function splitSpec(spec: string): { module: string; exportName: string } {
  const m = /^(.+):([A-Za-z_$][\w$]*)$/.exec(spec);
  return m ? { module: m[1]!, exportName: m[2]! } : { module: spec, exportName: 'default' };
}

/** Imports `spec` and returns the export it names; throws an Error saying what was missing. */
export async function importExport(spec: string, configDir: string): Promise<unknown> {
  const { module, exportName } = splitSpec(spec);
  let url: string;
  if (module.startsWith('.') || isAbsolute(module)) {
    url = pathToFileURL(resolve(configDir, module)).href;
  } else {
    // A package: resolved from the config directory first (where a user installs it), then from ccproxy's own.
    try {
      url = pathToFileURL(createRequire(join(configDir, 'noop.js')).resolve(module)).href;
    } catch {
      url = module;
    }
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND' ? 'module not found' : e.message.split('\n')[0];
    throw new Error(`cannot import ${module}: ${why}`);
  }
  const value = mod[exportName];
  if (value === undefined) throw new Error(`${module} has no export named ${exportName} (exports: ${Object.keys(mod).join(', ') || 'none'})`);
  return value;
}
