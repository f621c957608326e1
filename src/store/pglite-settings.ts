// How the embedded database is opened so that a daemon running all day stays small: PostgreSQL's memory
// settings sized for one writer (PGlite's defaults are a server's: a 128 MB buffer pool), passed at every start so
// data folders created by older versions get them too; a new folder unpacked from the build's template; and, in
// a long-running process, PGlite's WebAssembly compiled once by the optimising compiler.
import v8 from 'node:v8';
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';
import { expectedStamp, seedDataDir } from './pglite-template.js';

/**
 * PostgreSQL settings for the embedded database. The writer appends rows and reads little back, so a small
 * buffer pool costs it nothing measurable (see `npm run bench -- store`) while each megabyte of it is resident.
 */
export const EMBEDDED_MEMORY_SETTINGS: Readonly<Record<string, string>> = {
  // The default 128MB is touched page by page as data passes through and is never given back.
  shared_buffers: '16MB',
  // Per sort or hash; the writer's statements sort nothing large, `db sql` users can SET it higher.
  work_mem: '2MB',
  // Index builds and VACUUM after `db prune`: bounded, so a prune of a large table does not grow the daemon.
  maintenance_work_mem: '16MB',
};

function asParams(settings: Readonly<Record<string, string>>): string[] {
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

/** The options every open of the data folder passes to PGlite.create, beside the folder itself. */
export function pgliteOpenOptions(defaultStartParams: readonly string[]): Pick<PGliteOptions, 'startParams' | 'initDbStartParams'> {
  const settings = asParams(EMBEDDED_MEMORY_SETTINGS);
  return {
    // PGlite's own start parameters replaced, so they are kept and ours added after them.
    startParams: [...defaultStartParams, ...settings],
    // initdb runs with them too and writes them into the new folder's postgresql.conf.
    initDbStartParams: settings,
  };
}

/**
 * V8 compiles WebAssembly twice by default: a quick baseline at once, then hot functions again optimised in the
 * background. For PGlite's 9 MB PostgreSQL that second pass leaves about 40 MB of compiler memory resident for
 * good (measured with `npm run bench -- soak`). Compiling once, optimised, costs a second or two more at open
 * and keeps the resident size down with the same query speed. Short commands (`db sql`) keep the quick start.
 * The flag is process-wide and only read when a module is compiled; PGlite is the process's only large module.
 */
export function compileWasmOnceOptimised(): void {
  v8.setFlagsFromString('--no-liftoff');
}

/** Opens (creating if need be) the data folder with the settings above. */
export async function openPGlite(PGliteClass: typeof PGlite, dataDir: string, o: { longRunning: boolean }): Promise<PGlite> {
  const options = pgliteOpenOptions(PGliteClass.defaultStartParams);
  seedDataDir(dataDir, expectedStamp(options.initDbStartParams ?? []));
  if (o.longRunning) compileWasmOnceOptimised();
  return PGliteClass.create(dataDir, options);
}
