// How the background daemon's Node.js process is started so that it stays small through a day of idling between
// bursts of traffic. Measured with `npm run bench -- soak`: each of these takes megabytes off the idle size of a
// daemon that has served load (the proxy benchmark runs `mitm start` in the foreground, without them).
/**
 * V8 flags. The young generation's semi-spaces grow to 16 MB each under load by default. 8 MB ones keep the idle
 * size after a burst where 2 MB ones did (`npm run bench -- soak`, embedded: 204 MB against 203 MB; with 16 MB,
 * 219 MB), while a proxy under heavy load spends far less on scavenges than with 2 MB: each one copies what is
 * still in flight, and smaller spaces mean more of them (two captures side by side at saturation: about a quarter
 * less CPU per request with 8 MB than with 2 MB, as with the default 16 MB).
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

/**
 * glibc malloc settings (read once, when the process starts). Node's native buffers, TLS and zlib allocate through
 * malloc from every thread: two arenas instead of eight per core, and a fixed trim and mmap threshold (by default
 * both grow after the first large free, up to 32 and 64 MB), so freed memory goes back to the system.
 * A user's own values for these variables win.
 */
export const DAEMON_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_TRIM_THRESHOLD_: '131072',
  MALLOC_MMAP_THRESHOLD_: '131072',
};

/** The detached daemon's environment: the caller's, with the malloc settings it does not set itself. */
export function daemonEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...DAEMON_MALLOC_ENV, ...env };
}
