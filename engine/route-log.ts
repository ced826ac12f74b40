// The catch-up log: every control tick's routed batch since the last snapshot. A replaced
// shard's realms, restored from that snapshot, are routed these frames again
// (router.redeliver); a snapshot trims what it covers. A tick is kept as one copy of the
// router's arena plus the frames' places in routing order (no per-frame copy).
export interface LoggedTick {
  tick: number;
  frames: Uint8Array;
  /** Frame k, in routing order, is frames[starts[k], starts[k] + lengths[k]). */
  starts: Uint32Array;
  lengths: Uint32Array;
}

export class RouteLog {
  private ticks: LoggedTick[] = [];

  get size(): number {
    return this.ticks.length;
  }

  /** Keeps a routed batch: `arena[0, used)` and, in routing order, each frame's start and length. */
  add(tick: number, arena: Uint8Array, used: number, starts: Uint32Array, lengths: Uint32Array): void {
    this.ticks.push({ tick, frames: arena.slice(0, used), starts, lengths });
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
