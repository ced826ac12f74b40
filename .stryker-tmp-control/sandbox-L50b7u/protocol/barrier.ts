// @ts-nocheck
// Shared-memory barrier layout: named Int32 slots (piscina symbols.ts style) plus a
// Float64 region for per-shard timestamps. The main thread writes RELEASE; shards write ARRIVED.
export const BarrierSlot = {
  RELEASE: 0, // last released round (control tick number)
  ARRIVED: 1, // shards arrived in the current round
  STOP: 2, // 1 = shards leave their loop
  SHARDS: 3, // number of shards
  SLEEP: 4, // a slot nobody writes: shards Atomics.wait on it to pace realtime ticks
  TICKS: 5, // local ticks in the released round; 0 = a service round (commands and queries only)
  WAKE: 6, // bumped before every notify to the main thread, so a wake-up sent while it is busy is never lost
  DONE_BASE: 8, // DONE_BASE + shard: last round the shard finished
  // GEN_BASE = DONE_BASE + shards, then + shard: the incarnation allowed to write for the shard
  // (a replaced thread that is still being terminated must not arrive for its successor).
  // RUNNING_BASE = DONE_BASE + 2 × shards, then + shard: slot + 1 of the realm whose code the
  // shard is running now (0 = none), so a shard that dies in realm code names its suspect.
  // BEAT_BASE = DONE_BASE + 3 × shards, then + shard: bumped at every call into realm code, so a
  // shard that is busy but healthy is told apart from one stuck in a single call.
} as const;

export function genSlot(shards: number, shard: number): number {
  return BarrierSlot.DONE_BASE + shards + shard;
}

/** Float64 slots after the Int32 area: per-shard arrival time and round start time (ms, timeOrigin-based). */
export const BarrierTime = {
  ROUND_START: 0, // scheduled start of the released round (ms since epoch)
  ARRIVAL_BASE: 1, // ARRIVAL_BASE + shard: when the shard arrived (ms since epoch)
} as const;

export function runningSlot(shards: number, shard: number): number {
  return BarrierSlot.DONE_BASE + 2 * shards + shard;
}

export function beatSlot(shards: number, shard: number): number {
  return BarrierSlot.DONE_BASE + 3 * shards + shard;
}

export function barrierInt32Length(shards: number): number {
  const n = BarrierSlot.DONE_BASE + 4 * shards;
  return n + (n % 2); // keep 8-byte alignment for the Float64 area
}

export function barrierBytes(shards: number): number {
  return barrierInt32Length(shards) * 4 + (BarrierTime.ARRIVAL_BASE + shards) * 8;
}

export interface BarrierViews {
  ints: Int32Array;
  times: Float64Array;
}

export function barrierViews(sab: SharedArrayBuffer, shards: number): BarrierViews {
  const intLen = barrierInt32Length(shards);
  return {
    ints: new Int32Array(sab, 0, intLen),
    times: new Float64Array(sab, intLen * 4, BarrierTime.ARRIVAL_BASE + shards),
  };
}
