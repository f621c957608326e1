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
import { UserError } from '../errors.js';

/** The output closed by its reader (`| head`): the export stops there, as a success. */
export class OutputClosed extends Error {}

/**
 * Writes the HAR of `flows` to `out`, honouring back-pressure; the number of entries written. A failed write
 * (whenever the stream reports it) fails the export with it, or with OutputClosed when the reader has gone.
 */
export async function writeHar(flows: AsyncIterable<StoredFlow>, out: Writable, creator: Creator): Promise<number> {
  let failed: Error | null = null;
  const onError = (err: NodeJS.ErrnoException) => (failed ??= err.code === 'EPIPE' ? new OutputClosed('the output was closed') : err);
  out.on('error', onError);
  const write = async (text: string) => {
    if (failed) throw failed;
    if (!out.write(text)) await drainedOrClosed(out);
    if (failed) throw failed;
  };
  try {
    await write(`{"log":{"version":"1.2","creator":${JSON.stringify(creator)},"pages":[],"entries":[`);
    let count = 0;
    for await (const { flow, wsMessages } of flows) {
      await write(`${count === 0 ? '\n' : ',\n'}${JSON.stringify(flowToEntry(flow, wsMessages))}`);
      count++;
    }
    await write('\n]}}\n');
    return count;
  } finally {
    // A reader that has gone may still fail a write queued before: that is no error either.
    if (!((failed as Error | null) instanceof OutputClosed)) out.off('error', onError);
  }
}

/** Writes the HAR of `flows` into `file` (`-`: standard output); the number of entries. */
export async function exportHarFile(flows: AsyncIterable<StoredFlow>, file: string, creator: Creator): Promise<number> {
  if (file === '-') return writeHar(flows, process.stdout, creator);
  const partial = join(dirname(file), `.${basename(file)}.${process.pid}.partial`);
  const out = createWriteStream(partial, { mode: 0o600 });
  try {
    await once(out, 'open').catch((err: NodeJS.ErrnoException) => {
      throw new UserError(`cannot write ${file}: ${err.code === 'ENOENT' ? `${dirname(file)} does not exist` : err.code === 'EACCES' ? 'permission denied' : err.message}`, 1);
    });
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

/** Resolves when `out` drains or closes, whichever comes first, and leaves no listener behind (a long export waits many times). */
function drainedOrClosed(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}
