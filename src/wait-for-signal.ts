// Running until the user stops it: the foreground commands (start, mitm start, db serve, logs -f) wait for
// SIGINT (Ctrl-C) or SIGTERM (ccproxy stop, kill) and then shut down in their own order. Each signal is listened
// for once and the listeners stay, so a different signal arriving during that shutdown is taken, not fatal;
// the same one again gets Node's default (it ends the process) unless the caller listens for it anew.

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** Resolves with the first of `signals` this process receives. */
export function waitForSignal(signals: readonly StopSignal[] = ['SIGINT', 'SIGTERM']): Promise<StopSignal> {
  return new Promise((resolve) => {
    for (const s of signals) process.once(s, () => resolve(s));
  });
}
