/** Latency statistics as every bench reports them. */

/** The `p` quantile (0..1) of ascending `sorted`: the sample at floor(p * n), capped at the last. */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** p50, p99, p99.9 and max of `samples` (any order; not modified), rounded to 0.1. */
export function summarize(samples: readonly number[]): Summary {
  const s = Float64Array.from(samples).sort();
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, p50: r(quantile(s, 0.5)), p99: r(quantile(s, 0.99)), p999: r(quantile(s, 0.999)), max: r(s[s.length - 1] ?? NaN) };
}
