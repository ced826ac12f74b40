// @ts-nocheck
// Percentiles over samples, for the reports.
export interface Summary {
  p50: number;
  p99: number;
  max: number;
  mean: number;
  n: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { p50: 0, p99: 0, max: 0, mean: 0, n: 0 };
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1]!, mean: s.reduce((a, b) => a + b, 0) / s.length, n: s.length };
}

export const round = (n: number, digits = 3): number => Number(n.toFixed(digits));
