// One file of the crash journal, and how frames get into it. Where native/journal-map is built, the file is mapped
// into memory, shared with the page cache: frames are copied in with no system call, and they are in the file the
// moment they are copied (a killed process leaves them there; nothing is synced, as before). Elsewhere each append
// is one write(). A mapped file has a fixed size: its frames are followed by an end marker, a frame head whose
// kind byte is END (op-frames.ts), and an append's last step is the one byte that turns the old end marker into
// its first frame, so a process killed in the middle of an append leaves the file as it was before it.
import { closeSync, ftruncateSync, openSync, renameSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { END_KIND } from './op-frames.js';

export interface JournalFile {
  readonly path: string;
  /** Bytes of frames in it. */
  readonly bytes: number;
  /** Whether `n` more bytes of frames fit (always, unless mapped). */
  fits(n: number): boolean;
  /** Appends frames (whole frames, back to back); throws if the file cannot be written. */
  append(frames: Buffer): void;
  /** Everything in it went elsewhere: it is emptied, so a crash leaves only what is still owed. */
  empty(): void;
  /**
   * Renames the file, for an emptied one to be taken up again as a new segment under that segment's name. Only a
   * file worth keeping has it (a mapped one: its pages are in the page cache and mapped already, where a new file's
   * would each cost a page fault on their first write).
   */
  moveTo?(path: string): void;
  close(): void;
}

const ADDON = '../../../native/journal-map/build/Release/journal_map.node';
let addon: { map(fd: number, bytes: number): ArrayBuffer } | null | undefined;

/** Whether journal files are mapped here (the addon is built and loads). */
export function mapped(): boolean {
  if (addon === undefined) {
    try {
      addon = createRequire(import.meta.url)(ADDON) as { map(fd: number, bytes: number): ArrayBuffer };
    } catch {
      addon = null;
    }
  }
  return addon !== null;
}

/** The frame head that ends a mapped file's frames: a length of 0, then END_KIND. */
const HEAD = 5;

/**
 * Creates a journal file for at least `capacity` bytes of frames (mapped), or to be written (not mapped, or `map`
 * false, or the addon not built).
 */
export function createJournalFile(path: string, capacity: number, map = true): JournalFile {
  map &&= mapped();
  const fd = openSync(path, map ? 'w+' : 'a', 0o600);
  if (!map) return new WrittenFile(path, fd);
  try {
    return new MappedFile(path, Buffer.from(addon!.map(fd, capacity + HEAD)));
  } finally {
    closeSync(fd);
  }
}

class WrittenFile implements JournalFile {
  bytes = 0;
  constructor(
    readonly path: string,
    private fd: number,
  ) {}
  fits(): boolean {
    return true;
  }
  append(frames: Buffer): void {
    this.bytes += writeSync(this.fd, frames);
  }
  empty(): void {
    ftruncateSync(this.fd, 0);
    this.bytes = 0;
  }
  /** Once only: the descriptor's number may belong to another file afterwards. */
  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}

class MappedFile implements JournalFile {
  bytes = 0;
  constructor(
    public path: string,
    private map: Buffer,
  ) {
    this.markEnd(0);
  }
  fits(n: number): boolean {
    return this.bytes + n + HEAD <= this.map.length;
  }
  append(frames: Buffer): void {
    const at = this.bytes;
    const end = at + frames.length;
    if (end + HEAD > this.map.length) throw new Error(`journal file ${this.path} is full`);
    // The new end marker first, then every byte of the frames but the first frame's kind, which replaces the old
    // end marker's last.
    this.markEnd(end);
    this.map.set(frames.subarray(0, 4), at);
    this.map.set(frames.subarray(5), at + 5);
    this.map[at + 4] = frames[4]!;
    this.bytes = end;
  }
  empty(): void {
    this.markEnd(0);
    this.bytes = 0;
  }
  moveTo(path: string): void {
    renameSync(this.path, path);
    this.path = path;
  }
  close(): void {
    // The mapping goes with the buffer, when it is collected.
    this.map = Buffer.alloc(0);
  }
  /** An end marker at `at`: its kind byte first, so that frames there stop counting before their length changes. */
  private markEnd(at: number): void {
    this.map[at + 4] = END_KIND;
    this.map.fill(0, at, at + 4);
  }
}
