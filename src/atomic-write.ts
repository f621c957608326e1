// Writing a file that others read while it may be rewritten (the state file, the embedded database's holder
// record, ccproxy run's CA bundle): the text goes to a file of this process beside it, which is then renamed over
// the old one, so a reader sees the old file or the new one whole, never half of it.
import { renameSync, rmSync, writeFileSync } from 'node:fs';

export function writeFileAtomic(file: string, data: string): void {
  const staging = `${file}.${process.pid}`;
  writeFileSync(staging, data);
  try {
    renameSync(staging, file);
  } catch (err) {
    rmSync(staging, { force: true });
    throw err;
  }
}
