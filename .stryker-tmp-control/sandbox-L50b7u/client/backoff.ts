// @ts-nocheck
// Reconnect delays: exponential with full jitter around the nominal value, capped.

export interface BackoffOptions {
  /** First delay, ms. Default 250. */
  initialMs?: number;
  /** Largest delay, ms. Default 10,000. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** 0..1: how far a delay may deviate from nominal (0.2 = ±20%). Default 0.2. */
  jitter?: number;
  /** Give up after this many failed attempts in a row. Default Infinity. */
  maxAttempts?: number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  readonly maxAttempts: number;

  constructor(o: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.initialMs = o.initialMs ?? 250;
    this.maxMs = o.maxMs ?? 10_000;
    this.factor = o.factor ?? 2;
    this.jitter = Math.min(1, Math.max(0, o.jitter ?? 0.2));
    this.maxAttempts = o.maxAttempts ?? Number.POSITIVE_INFINITY;
  }

  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt, or null when attempts are exhausted. */
  next(): number | null {
    if (this.attempt >= this.maxAttempts) return null;
    const nominal = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    this.attempt++;
    const spread = nominal * this.jitter;
    return Math.max(0, Math.round(nominal - spread + this.random() * 2 * spread));
  }

  reset(): void {
    this.attempt = 0;
  }
}
