// The one summary every benchmark part reports: the median of its rounds (robust to a noisy shared machine).
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
