// @ts-nocheck
// Client-observed latency: whole milliseconds (both ends read Date.now(), so the resolution
// is 1 ms), counted in a fixed array so client processes can merge their counts exactly.
import type { Summary } from '../stats.js';

/** Latencies above this land in the last bucket (reported as ≥ this). */
const MAX_MS = 60_000;

export class LatencyHistogram {
  private counts = new Uint32Array(MAX_MS + 1);
  private n = 0;
  private sum = 0;

  add(ms: number): void {
    const b = ms <= 0 ? 0 : ms >= MAX_MS ? MAX_MS : Math.round(ms);
    this.counts[b]!++;
    this.n++;
    this.sum += b;
  }

  get count(): number {
    return this.n;
  }

  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.sum = 0;
  }

  /** Non-empty buckets as [ms, count] pairs (compact for IPC). */
  toPairs(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i <= MAX_MS; i++) if (this.counts[i] !== 0) out.push([i, this.counts[i]!]);
    return out;
  }

  addPairs(pairs: readonly (readonly [number, number])[]): void {
    for (const [ms, c] of pairs) {
      const b = Math.min(MAX_MS, Math.max(0, Math.round(ms)));
      this.counts[b]! += c;
      this.n += c;
      this.sum += b * c;
    }
  }

  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.min(this.n - 1, Math.floor(q * this.n));
    let seen = 0;
    for (let i = 0; i <= MAX_MS; i++) {
      seen += this.counts[i]!;
      if (seen > rank) return i;
    }
    return MAX_MS;
  }

  max(): number {
    for (let i = MAX_MS; i >= 0; i--) if (this.counts[i] !== 0) return i;
    return 0;
  }

  summary(): Summary {
    return { p50: this.quantile(0.5), p99: this.quantile(0.99), max: this.max(), mean: this.n === 0 ? 0 : Math.round((this.sum / this.n) * 100) / 100, n: this.n };
  }
}
