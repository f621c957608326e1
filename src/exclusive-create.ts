// Claiming a file that only one process may hold (the PID file, the embedded database's holder record and its
// takeover guard): created with O_EXCL, so of two processes trying at once exactly one succeeds.
import { closeSync, openSync, writeFileSync } from 'node:fs';

/** Creates `file` holding `text`; false if it is there already (someone else holds it). Other errors throw. */
export function createExclusive(file: string, text: string, mode = 0o644): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}
