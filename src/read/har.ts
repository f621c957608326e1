// HAR export: stored exchanges as one HAR 1.2 file, written as they are read — the log's head, then each entry as
// its flow arrives, then the tail — so the file can hold any number of traces while memory holds one page. A file
// is written beside its final name and renamed into place when whole: a failed export leaves no half a file.
import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Creator } from 'har-format';
import { flowToEntry } from './har-entry.js';
import type { StoredFlow } from './read-flows.js';

/** Writes the HAR of `flows` to `out`, honouring back-pressure; the number of entries written. */
export async function writeHar(flows: AsyncIterable<StoredFlow>, out: Writable, creator: Creator): Promise<number> {
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`{"log":{"version":"1.2","creator":${JSON.stringify(creator)},"pages":[],"entries":[`);
  let count = 0;
  for await (const { flow, wsMessages } of flows) {
    await write(`${count === 0 ? '\n' : ',\n'}${JSON.stringify(flowToEntry(flow, wsMessages))}`);
    count++;
  }
  await write('\n]}}\n');
  return count;
}

/** Writes the HAR of `flows` into `file` (`-`: standard output); the number of entries. */
export async function exportHarFile(flows: AsyncIterable<StoredFlow>, file: string, creator: Creator): Promise<number> {
  if (file === '-') return writeHar(flows, process.stdout, creator);
  const partial = join(dirname(file), `.${basename(file)}.${process.pid}.partial`);
  const out = createWriteStream(partial, { mode: 0o600 });
  try {
    await once(out, 'open');
    const count = await writeHar(flows, out, creator);
    out.end();
    await once(out, 'finish');
    renameSync(partial, file);
    return count;
  } catch (err) {
    out.destroy();
    rmSync(partial, { force: true });
    throw err;
  }
}
