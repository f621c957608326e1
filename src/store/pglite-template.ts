// A new embedded database starts from a data folder made once at build time (npm run build), not from PGlite's
// initdb: initdb runs a second PostgreSQL in the same process and copies its whole 128 MB WebAssembly memory,
// which made a first start peak near 900 MB. Unpacking the template is a few megabytes of file writes.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** The template and what it was made with, beside the compiled module (dist/src/store/). */
export const TEMPLATE_FILE = fileURLToPath(new URL('./pglite-template.tar.gz', import.meta.url));
export const TEMPLATE_STAMP = fileURLToPath(new URL('./pglite-template.json', import.meta.url));

/** What a template must have been made with to stand in for initdb now. */
export interface TemplateStamp {
  pgliteVersion: string;
  initDbStartParams: string[];
}

const TAR_BLOCK = 512;
/** PostgreSQL refuses a data folder that others can read; owner-only whatever the umask. */
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

export function pgliteVersion(): string {
  const entry = fileURLToPath(import.meta.resolve('@electric-sql/pglite'));
  let dir = dirname(entry);
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

export function expectedStamp(initDbStartParams: string[]): TemplateStamp {
  return { pgliteVersion: pgliteVersion(), initDbStartParams };
}

/** Whether the built template matches this PGlite and these initdb settings. */
export function templateUsable(want: TemplateStamp): boolean {
  try {
    const have = JSON.parse(readFileSync(TEMPLATE_STAMP, 'utf8')) as TemplateStamp;
    return existsSync(TEMPLATE_FILE) && JSON.stringify(have) === JSON.stringify(want);
  } catch {
    return false;
  }
}

function isEmptyOrMissing(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

/**
 * Makes `dataDir` ready for PGlite.create: an existing folder is left alone; a new one is unpacked from the
 * template when it matches `want` (into a sibling folder first, then renamed, so a crash never leaves half a
 * database), else created empty for PGlite's own initdb. Returns whether the template was used.
 */
export function seedDataDir(dataDir: string, want: TemplateStamp): boolean {
  if (!isEmptyOrMissing(dataDir) || !templateUsable(want)) {
    mkdirSync(dataDir, { recursive: true, mode: DIR_MODE });
    return false;
  }
  const staging = `${dataDir}.new-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    untar(gunzipSync(readFileSync(TEMPLATE_FILE)), staging);
    rmSync(dataDir, { recursive: true, force: true });
    renameSync(staging, dataDir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return true;
}

/** Extracts a plain tar of folders and regular files (what PGlite's dumpDataDir writes) under `root`. */
export function untar(tar: Buffer, root: string): void {
  mkdirSync(root, { recursive: true, mode: DIR_MODE });
  const field = (at: number, len: number) => tar.toString('latin1', at, at + len).replace(/\0.*$/s, '');
  for (let at = 0; at + TAR_BLOCK <= tar.length; ) {
    const name = field(at, 100);
    if (name === '') break; // the zero blocks that end the archive
    const prefix = field(at + 345, 155);
    const size = parseInt(field(at + 124, 12).trim() || '0', 8);
    const type = field(at + 156, 1) || '0';
    const rel = normalize((prefix ? `${prefix}/${name}` : name).replace(/^\/+/, ''));
    if (rel.startsWith('..') || rel.includes(`${sep}..${sep}`)) throw new Error(`the database template names a path outside its folder: ${rel}`);
    const target = join(root, rel);
    const body = at + TAR_BLOCK;
    if (type === '5') mkdirSync(target, { recursive: true, mode: DIR_MODE });
    else if (type === '0') {
      mkdirSync(dirname(target), { recursive: true, mode: DIR_MODE });
      writeFileSync(target, tar.subarray(body, body + size), { mode: FILE_MODE });
    } else throw new Error(`the database template holds an entry of tar type '${type}' (${rel}); only folders and files are expected`);
    at = body + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
  }
}

/** Packs the folders and files under `root` into a plain tar (the format `untar` reads), names relative to it. */
export function tarDir(root: string): Buffer {
  const parts: Buffer[] = [];
  const header = (name: string, size: number, type: '0' | '5') => {
    if (Buffer.byteLength(name) > 99) throw new Error(`path too long for the database template: ${name}`);
    const h = Buffer.alloc(TAR_BLOCK);
    h.write(name, 0, 'latin1');
    h.write(`${(type === '5' ? DIR_MODE : FILE_MODE).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
    h.write('0000000\0', 108, 'latin1'); // uid
    h.write('0000000\0', 116, 'latin1'); // gid
    h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    h.write('00000000000\0', 136, 'latin1'); // mtime: fixed, so the same folder packs to the same bytes
    h.write('        ', 148, 'latin1'); // checksum field counts as spaces while summing
    h.write(type, 156, 'latin1');
    h.write('ustar\x0000', 257, 'latin1');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    return h;
  };
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        parts.push(header(`${name}/`, 0, '5'));
        walk(name);
      } else if (entry.isFile()) {
        const body = readFileSync(join(root, name));
        parts.push(header(name, body.length, '0'), body, Buffer.alloc((TAR_BLOCK - (body.length % TAR_BLOCK)) % TAR_BLOCK));
      } else {
        throw new Error(`the database template folder holds ${name}, neither a folder nor a file`);
      }
    }
  };
  walk('');
  parts.push(Buffer.alloc(TAR_BLOCK * 2));
  return Buffer.concat(parts);
}
