// @ts-nocheck
// A max-mode multiverse run: R stress realms × E entities on S shards for T seconds,
// reporting control-tick cost and simulation throughput.
import { availableParallelism } from 'node:os';
import { Engine } from '../engine/index.js';
import type { ControlTickInfo } from '../engine/index.js';
import { round, summarize, type Summary } from './stats.js';
import { registerStressRing } from './stress-ring.js';

export interface MultiverseScenario {
  realms: number;
  entities: number;
  shards?: number;
  seconds?: number;
  /** Stress kind: cross-realm event every N local ticks per realm. */
  emitEvery?: number;
  ticksPerControl?: number;
}

export interface MultiverseResult {
  name: string;
  realms: number;
  entities: number;
  shards: number;
  cores: number;
  seconds: number;
  controlTicks: number;
  controlTickMs: Summary;
  barrierMs: Summary;
  routeMs: Summary;
  roundMs: Summary;
  localTicksPerSec: number;
  entityUpdatesPerSec: number;
  crossRealmEventsPerSec: number;
  deliveriesPerSec: number;
  outRingOverflows: number;
}

export async function runMultiverse(sc: MultiverseScenario): Promise<MultiverseResult> {
  const shards = sc.shards ?? availableParallelism();
  const seconds = sc.seconds ?? 5;
  const engine = new Engine({ shards, mode: 'max', hashEvery: 0, ticksPerControl: sc.ticksPerControl ?? 10 });
  await engine.start();
  try {
    await registerStressRing(engine, 'stress', sc.realms, { entities: sc.entities, emitEvery: sc.emitEvery ?? 10 });
    // Warm up one second's worth of control ticks, then measure.
    const warm = engine.controlTick + 5;
    await engine.onControlTick(warm);
    const ticks: ControlTickInfo[] = [];
    const onTick = (t: ControlTickInfo): void => {
      ticks.push(t);
    };
    engine.on('controlTick', onTick);
    const t0 = performance.now();
    await new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));
    engine.off('controlTick', onTick);
    const elapsed = (performance.now() - t0) / 1000;
    const sum = (f: (t: ControlTickInfo) => number): number => ticks.reduce((a, t) => a + f(t), 0);
    const last = ticks[ticks.length - 1];
    return {
      name: `${sc.realms} realms × ${sc.entities} entities, ${shards} shards`,
      realms: sc.realms,
      entities: sc.entities,
      shards,
      cores: availableParallelism(),
      seconds: round(elapsed, 2),
      controlTicks: ticks.length,
      controlTickMs: roundSummary(summarize(ticks.map((t) => t.durationMs))),
      barrierMs: roundSummary(summarize(ticks.map((t) => t.barrierMs))),
      routeMs: roundSummary(summarize(ticks.map((t) => t.routeMs))),
      roundMs: roundSummary(summarize(ticks.map((t) => t.roundMs))),
      localTicksPerSec: Math.round(sum((t) => t.localTicks) / elapsed),
      entityUpdatesPerSec: Math.round(sum((t) => t.entityUpdates) / elapsed),
      crossRealmEventsPerSec: Math.round(sum((t) => t.eventsRouted) / elapsed),
      deliveriesPerSec: Math.round(sum((t) => t.deliveries) / elapsed),
      outRingOverflows: last === undefined ? 0 : last.shards.reduce((a, s) => a + s.outRingOverflows, 0),
    };
  } finally {
    await engine.stop();
  }
}

function roundSummary(s: Summary): Summary {
  return { p50: round(s.p50), p99: round(s.p99), max: round(s.max), mean: round(s.mean), n: s.n };
}
