// @ts-nocheck
// Registers `n` stress realms in a ring (each realm's peer is the next), all at once.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlTickInfo, Engine } from '../engine/index.js';

export async function registerStressRing(engine: Engine, prefix: string, n: number, params: { entities: number; emitEvery: number }): Promise<void> {
  const regs = [];
  for (let i = 0; i < n; i++) {
    regs.push(engine.register({ realm_id: `${prefix}-${i}`, game_id: 'bench', kind: 'stress', params: { ...params, peer: `${prefix}-${(i + 1) % n}` } }));
  }
  await Promise.all(regs);
}

export interface Window {
  ticks: ControlTickInfo[];
  /** performance.now() at each control tick. */
  stamps: number[];
  /** Seconds the window lasted. */
  elapsed: number;
  /** Σ f over the window's control ticks. */
  sum(f: (t: ControlTickInfo) => number): number;
  /** Per shard: busy time ÷ wall time. */
  busy(shards: number): number[];
}

/** Records every control tick for `seconds` of wall time. */
export async function measureWindow(engine: Engine, seconds: number): Promise<Window> {
  const ticks: ControlTickInfo[] = [];
  const stamps: number[] = [];
  const onTick = (t: ControlTickInfo): void => {
    ticks.push(t);
    stamps.push(performance.now());
  };
  engine.on('controlTick', onTick);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  engine.off('controlTick', onTick);
  const elapsed = (performance.now() - t0) / 1000;
  const sum = (f: (t: ControlTickInfo) => number): number => ticks.reduce((a, t) => a + f(t), 0);
  const busy = (shards: number): number[] => Array.from({ length: shards }, (_, s) => sum((t) => t.shards.find((x) => x.shard === s)?.busyMs ?? 0) / (elapsed * 1000));
  return { ticks, stamps, elapsed, sum, busy };
}
