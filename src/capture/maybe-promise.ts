// A value now, or later when it needs work off the event loop (a body to decompress): the capture's fast path
// stays synchronous, and only the exchanges that need it pay for a promise.
export type MaybePromise<T> = T | Promise<T>;

export const then = <T, U>(v: MaybePromise<T>, f: (t: T) => MaybePromise<U>): MaybePromise<U> => (v instanceof Promise ? v.then(f) : f(v));
