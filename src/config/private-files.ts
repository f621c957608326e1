// ccproxy's folder holds every captured prompt, key fingerprint and the CA's private key: only its owner may read
// it. Files are created owner-only (a umask of 077 in ccproxy's own process, never in the programs `ccproxy run`
// starts), and what an older version or another tool left readable is tightened once at start.
import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Group and other permission bits: none of them may be set on anything in the folder. */
const OPEN_TO_OTHERS = 0o077;
/** A folder others may pass through (group or other execute). */
const SEARCHABLE_BY_OTHERS = 0o011;

/** New files and folders in this process come out 0600 / 0700. Returns the umask it replaced. */
export function createOwnerOnly(): number {
  return process.umask(OPEN_TO_OTHERS);
}

/**
 * Removes group and other access from `dir` and everything under it (symbolic links are neither followed nor
 * changed). Returns how many entries were tightened that others could actually reach: a file left 0644 inside an
 * owner-only folder (PGlite recreates some that way) is tightened too, but was never exposed and is not counted.
 * A missing folder is 0.
 */
export function tightenTree(dir: string): number {
  let n = 0;
  const visit = (path: string, reachable: boolean): void => {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return;
    }
    if (st.isSymbolicLink()) return;
    if ((st.mode & OPEN_TO_OTHERS) !== 0) {
      try {
        chmodSync(path, st.mode & 0o7700);
        if (reachable) n++;
      } catch {
        // not ours to change (another owner): left, and the count says only what was done
      }
    }
    if (st.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name), reachable && (st.mode & SEARCHABLE_BY_OTHERS) !== 0);
  };
  visit(dir, true);
  return n;
}

/** The one line said when something was tightened, or null. */
export function tightenedMessage(dir: string, n: number): string | null {
  return n === 0 ? null : `tightened permissions on ${n} ${n === 1 ? 'entry' : 'entries'} under ${dir} (they were open to other users; ccproxy keeps its folder owner-only)`;
}
