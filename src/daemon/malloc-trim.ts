// The native half of giving memory back when idle: glibc's malloc_trim, from native/malloc-trim (built by
// `npm run build` where a C compiler is present). V8's collection frees JavaScript's garbage and the native
// buffers it held, but glibc keeps freed pages in the middle of its heaps; after a burst of traffic that is
// tens of megabytes, resident all day. Missing (no compiler, not glibc), ccproxy runs the same without it.
import { createRequire } from 'node:module';

const ADDON = '../../../native/malloc-trim/build/Release/malloc_trim.node';

let loaded: { trim(): boolean } | null | undefined;

/** malloc_trim(0), or null when the addon is not built here. */
export function mallocTrim(): (() => boolean) | null {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)(ADDON) as { trim(): boolean };
    } catch {
      loaded = null;
    }
  }
  const addon = loaded;
  return addon ? () => addon.trim() : null;
}
