// The catch-up log: every control tick's routed batch since the last snapshot, in routing
// order, one contiguous copy per tick. A replaced shard's realms, restored from that
// snapshot, are routed these frames again (router.redeliver); a snapshot trims what it covers.
export interface LoggedTick {
  tick: number;
  frames: Uint8Array;
  /** Frame k is frames[offsets[k], offsets[k+1]). */
  offsets: Uint32Array;
}

export class RouteLog {
  private ticks: LoggedTick[] = [];
  private buf = new Uint8Array(0);
  private at = 0;
  private starts: number[] = [];
  private tick = 0;

  get size(): number {
    return this.ticks.length;
  }

  beginTick(tick: number, bytes: number): void {
    this.tick = tick;
    this.buf = new Uint8Array(bytes);
    this.at = 0;
    this.starts = [];
  }

  append(src: Uint8Array, offset: number, length: number): void {
    this.starts.push(this.at);
    this.buf.set(src.subarray(offset, offset + length), this.at);
    this.at += length;
  }

  endTick(): void {
    this.starts.push(this.at);
    this.ticks.push({ tick: this.tick, frames: this.buf, offsets: Uint32Array.from(this.starts) });
  }

  /** Ticks after `tick`, oldest first. */
  after(tick: number): readonly LoggedTick[] {
    return this.ticks.filter((t) => t.tick > tick);
  }

  /** A snapshot at `tick` holds everything up to it. */
  trim(tick: number): void {
    this.ticks = this.after(tick) as LoggedTick[];
  }

  clear(): void {
    this.ticks = [];
  }
}
