// The bare control-tick barrier through the real engine: no realms, K = 1, max mode, so a
// control tick is release → arrive → notice → release.
import { availableParallelism } from 'node:os';
import { Engine } from '../engine/index.js';
import type { ControlTickInfo } from '../engine/index.js';
import { round, summarize } from './stats.js';

export interface BarrierResult {
  name: string;
  shards: number;
  rounds: number;
  roundsPerSec: number;
  barrierUs: { p50: number; p99: number; max: number };
  controlTickUs: { p50: number; p99: number; max: number };
}

export async function barrierBench(shards: number, rounds = 3000, mode: 'max' | 'realtime' = 'max'): Promise<BarrierResult> {
  const realtime = mode === 'realtime';
  const engine = new Engine({ shards, mode, ticksPerControl: 1, hashEvery: 0, tickHz: realtime ? 1000 : 10 });
  await engine.start();
  const ticks: ControlTickInfo[] = [];
  const n = realtime ? Math.min(rounds, 1000) : rounds;
  try {
    await engine.onControlTick(engine.controlTick + 50);
    const on = (t: ControlTickInfo): void => void ticks.push(t);
    engine.on('controlTick', on);
    const t0 = performance.now();
    await engine.onControlTick(engine.controlTick + n);
    const secs = (performance.now() - t0) / 1000;
    engine.off('controlTick', on);
    const us = (xs: number[]): { p50: number; p99: number; max: number } => {
      const s = summarize(xs.map((x) => x * 1000));
      return { p50: round(s.p50, 1), p99: round(s.p99, 1), max: round(s.max, 1) };
    };
    return {
      name: `barrier ${mode}, ${shards} shards (${availableParallelism()} cores)`,
      shards,
      rounds: ticks.length,
      roundsPerSec: Math.round(ticks.length / secs),
      barrierUs: us(ticks.map((t) => t.barrierMs)),
      controlTickUs: us(ticks.map((t) => t.durationMs)),
    };
  } finally {
    await engine.stop();
  }
}
