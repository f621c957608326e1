// The router's unit-test parts: a seeded random source, so a sequence of picks is the same on every run, and a
// deployment in one line.
import type { Deployment } from '../../src/gateway/config.js';

/** mulberry32: a small seeded generator, so a pick sequence is the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A deployment of group `g` with entry index `index`. */
export const dep = (index: number, over: Partial<Deployment> = {}): Deployment => ({
  name: 'g', provider: 'openai', format: 'openai', model: `m${index}`, apiBase: new URL('https://x.test/v1'), apiKey: null, extraHeaders: {}, where: `config.yaml:${index + 2}`, unusable: null, index, ...over,
});

