// Percentiles and rates over recent samples.

/** The p-th percentile (0..100) of an ascending-sorted array, nearest-rank; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function sortedCopy(xs: ArrayLike<number>): Float64Array {
  return Float64Array.from(xs).sort();
}

/** Counts things per second over a sliding window of timestamps. */
export class RateMeter {
  private readonly times: number[] = [];
  total = 0;

  constructor(private readonly windowMs = 5000) {}

  add(now: number, n = 1): void {
    this.total += n;
    for (let i = 0; i < n && i < 10_000; i++) this.times.push(now);
    this.trim(now);
  }

  perSecond(now: number): number {
    this.trim(now);
    return (this.times.length * 1000) / this.windowMs;
  }

  private trim(now: number): void {
    const cut = now - this.windowMs;
    let i = 0;
    while (i < this.times.length && this.times[i]! < cut) i++;
    if (i > 0) this.times.splice(0, i);
  }
}

/** A stable colour for a name (realm, adjacency cluster, event type): hue from a string hash. */
export function hueOf(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) % 360;
}

export function colorOf(name: string, s = 70, l = 64, a = 1): string {
  return `hsla(${hueOf(name)}, ${s}%, ${l}%, ${a})`;
}
