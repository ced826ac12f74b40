// @ts-nocheck
// Main-thread side of the control-tick barrier. The main thread never blocks: it waits
// with Atomics.waitAsync, so the event loop (and the gateway) keeps serving.
import { performance } from 'node:perf_hooks';
import { BarrierSlot, BarrierTime, barrierBytes, barrierViews, beatSlot, genSlot, runningSlot } from '../protocol/barrier.js';

export const nowMs = (): number => performance.timeOrigin + performance.now();

export type WaitOutcome = 'arrived' | 'stalled';

export class MainBarrier {
  readonly sab: SharedArrayBuffer;
  private readonly ints: Int32Array;
  private readonly times: Float64Array;

  constructor(readonly shards: number) {
    this.sab = new SharedArrayBuffer(barrierBytes(shards));
    const v = barrierViews(this.sab, shards);
    this.ints = v.ints;
    this.times = v.times;
    this.ints[BarrierSlot.SHARDS] = shards;
  }

  get released(): number {
    return Atomics.load(this.ints, BarrierSlot.RELEASE);
  }

  /** Starts round `round`; shards pace its local ticks from `startMs` in realtime mode. */
  release(round: number, startMs: number, ticks: number): void {
    this.times[BarrierTime.ROUND_START] = startMs;
    Atomics.store(this.ints, BarrierSlot.TICKS, ticks);
    Atomics.store(this.ints, BarrierSlot.ARRIVED, 0);
    Atomics.store(this.ints, BarrierSlot.RELEASE, round);
    Atomics.notify(this.ints, BarrierSlot.RELEASE);
  }

  /**
   * Resolves when `arrived()` holds (every live shard finished the round: its DONE slot, not
   * the ARRIVED counter, decides — a counter can be thrown off by a thread being replaced).
   * `onWake` runs at every wake-up (shards bump and notify the WAKE slot when they arrive or
   * have frames to drain). 'stalled' after `stallMs` without any progress — no arrival and no
   * new call into realm code on any shard — so the caller can act.
   */
  async waitAll(arrived: () => boolean, onWake: () => void, stallMs: number): Promise<WaitOutcome> {
    let lastProgress = nowMs();
    let seen = -1;
    for (;;) {
      // Read WAKE before checking: a shard that bumps it after this read makes waitAsync return at once.
      const wake = Atomics.load(this.ints, BarrierSlot.WAKE);
      // Progress: an arrival, or any call into realm code begun since the last look.
      let count = Atomics.load(this.ints, BarrierSlot.ARRIVED);
      for (let s = 0; s < this.shards; s++) count = (count + Atomics.load(this.ints, beatSlot(this.shards, s))) | 0;
      if (arrived()) return 'arrived';
      if (count !== seen) {
        seen = count;
        lastProgress = nowMs();
      }
      const left = stallMs - (nowMs() - lastProgress);
      if (left <= 0) return 'stalled';
      const w = Atomics.waitAsync(this.ints, BarrierSlot.WAKE, wake, Math.min(left, 1000));
      if (w.async) await w.value;
      onWake();
    }
  }

  /** The incarnation of `shard` allowed to arrive from now on. */
  setGeneration(shard: number, generation: number): void {
    Atomics.store(this.ints, runningSlot(this.shards, shard), 0);
    Atomics.store(this.ints, genSlot(this.shards, shard), generation);
  }

  /** Wakes the waiter without an arrival (a shard died, or stop). */
  nudge(): void {
    Atomics.add(this.ints, BarrierSlot.WAKE, 1);
    Atomics.notify(this.ints, BarrierSlot.WAKE);
  }

  /** The realm (slot) whose code `shard` was running, or -1: read after the thread died. */
  suspect(shard: number): number {
    return Atomics.load(this.ints, runningSlot(this.shards, shard)) - 1;
  }

  doneRound(shard: number): number {
    return Atomics.load(this.ints, BarrierSlot.DONE_BASE + shard);
  }

  arrivalMs(shard: number): number {
    return this.times[BarrierTime.ARRIVAL_BASE + shard]!;
  }

  stop(): void {
    Atomics.store(this.ints, BarrierSlot.STOP, 1);
    Atomics.notify(this.ints, BarrierSlot.RELEASE);
    Atomics.notify(this.ints, BarrierSlot.SLEEP);
    Atomics.add(this.ints, BarrierSlot.WAKE, 1);
    Atomics.notify(this.ints, BarrierSlot.WAKE);
  }
}
