// @ts-nocheck
// Per-connection token bucket: `rate` tokens per second up to `burst`; one token per message.

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token; false when the bucket is empty. */
  take(now: number): boolean {
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / 1000);
      this.last = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Strikes (rate-limited messages) that fade only with time, at `fadePerSec`: accepted messages
 * do not clear them, so a flood that keeps a few messages getting through is still closed.
 */
export class Strikes {
  private count = 0;
  private last: number;

  constructor(
    private readonly fadePerSec: number,
    now: number,
  ) {
    this.last = now;
  }

  /** Adds one strike; returns the strikes outstanding. */
  add(now: number): number {
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.count = Math.max(0, this.count - (elapsed * this.fadePerSec) / 1000);
      this.last = now;
    }
    return ++this.count;
  }
}
