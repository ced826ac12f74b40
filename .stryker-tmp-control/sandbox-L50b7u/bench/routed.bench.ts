// @ts-nocheck
// Routed cross-realm deliveries per second: R stress realms of few entities, each unicasting
// its neighbour every local tick (emitEvery: 1), max mode, 2 shards, K = 1 and K = 10. The
// figure is ControlTickInfo.deliveries summed over the window ÷ its wall time; beside it, the
// raw FrameRing worker → main thread frames/s measured in the same run (ring.bench.ts), and
// how busy each shard was (ShardTickStats.busyMs ÷ wall time).
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Engine } from '../engine/index.js';
import type { ControlTickInfo } from '../engine/index.js';
import { frameRingCrossThread } from './ring.bench.js';
import { realmHealth, type RealmHealth } from './realm-health.js';
import { round, summarize, type Summary } from './stats.js';
import { measureWindow, registerStressRing } from './stress-ring.js';

export interface RoutedScenario {
  realms: number;
  entities: number;
  shards: number;
  ticksPerControl: number;
  seconds: number;
}

export interface RoutedResult {
  /** Realms not running at the end of the window (crashed realms make the figures meaningless). */
  health: RealmHealth;
  name: string;
  realms: number;
  entities: number;
  shards: number;
  cores: number;
  ticksPerControl: number;
  seconds: number;
  registerMs: number;
  controlTicks: number;
  controlTicksPerSec: number;
  /** Σ ControlTickInfo.deliveries ÷ s (the goal: ≥ 1,000,000). */
  deliveriesPerSec: number;
  eventsRoutedPerSec: number;
  localTicksPerSec: number;
  controlTickMs: Summary;
  routeMs: Summary;
  barrierMs: Summary;
  roundMs: Summary;
  /** Per shard: Σ busyMs ÷ wall ms of the window (simulating, draining, reporting). */
  shardBusy: number[];
  /** Per shard: 1 − busy, floored at 0. */
  shardIdle: number[];
  /** Out-ring writes that found the ring full (so far), and the largest shard backlog seen. */
  outRingOverflows: number;
  outBacklogMax: number;
  /** Baseline, same run: FrameRing worker → main thread, 64-byte frames/s, best of the rounds (the ring's capacity). */
  ringFramesPerSec: number;
  /** The same, median round, and every round (they vary a lot on a shared machine). */
  ringFramesPerSecMedian: number;
  ringRounds: number[];
  /** deliveriesPerSec ÷ ringFramesPerSec. */
  ratioToRing: number;
}

function roundSummary(s: Summary): Summary {
  return { p50: round(s.p50), p99: round(s.p99), max: round(s.max), mean: round(s.mean), n: s.n };
}

export interface RingBaseline {
  best: number;
  median: number;
  rounds: number[];
}

export async function runRouted(sc: RoutedScenario, ring: RingBaseline): Promise<RoutedResult> {
  const engine = new Engine({ shards: sc.shards, mode: 'max', hashEvery: 0, ticksPerControl: sc.ticksPerControl });
  await engine.start();
  try {
    const r0 = performance.now();
    await registerStressRing(engine, 'routed', sc.realms, { entities: sc.entities, emitEvery: 1 });
    const registerMs = performance.now() - r0;
    await sleep(500); // warm-up
    const { ticks, elapsed, sum, busy: busyOf } = await measureWindow(engine, sc.seconds);
    const health = realmHealth(engine);
    const busy = busyOf(sc.shards);
    const last = ticks[ticks.length - 1];
    const deliveriesPerSec = Math.round(sum((t) => t.deliveries) / elapsed);
    return {
      health,
      name: `${sc.realms} realms × ${sc.entities} entities, unicast every local tick, K = ${sc.ticksPerControl}, ${sc.shards} shards`,
      realms: sc.realms,
      entities: sc.entities,
      shards: sc.shards,
      cores: availableParallelism(),
      ticksPerControl: sc.ticksPerControl,
      seconds: round(elapsed, 2),
      registerMs: round(registerMs, 1),
      controlTicks: ticks.length,
      controlTicksPerSec: Math.round(ticks.length / elapsed),
      deliveriesPerSec,
      eventsRoutedPerSec: Math.round(sum((t) => t.eventsRouted) / elapsed),
      localTicksPerSec: Math.round(sum((t) => t.localTicks) / elapsed),
      controlTickMs: roundSummary(summarize(ticks.map((t) => t.durationMs))),
      routeMs: roundSummary(summarize(ticks.map((t) => t.routeMs))),
      barrierMs: roundSummary(summarize(ticks.map((t) => t.barrierMs))),
      roundMs: roundSummary(summarize(ticks.map((t) => t.roundMs))),
      shardBusy: busy.map((b) => round(b, 3)),
      shardIdle: busy.map((b) => round(Math.max(0, 1 - b), 3)),
      outRingOverflows: last === undefined ? 0 : last.shards.reduce((a, s) => a + s.outRingOverflows, 0),
      outBacklogMax: ticks.reduce((m, t) => Math.max(m, ...t.shards.map((s) => s.outBacklog)), 0),
      ringFramesPerSec: Math.round(ring.best),
      ringFramesPerSecMedian: Math.round(ring.median),
      ringRounds: ring.rounds,
      ratioToRing: round(deliveriesPerSec / ring.best, 3),
    };
  } finally {
    await engine.stop();
  }
}

/** The ring baseline first, then K = 1 and K = 10 (quick: shorter windows). */
export async function routedBench(opts: { quick: boolean; log?: (msg: string) => void }): Promise<RoutedResult[]> {
  opts.log?.('routed: ring baseline');
  const ring = await frameRingCrossThread(opts.quick ? 3 : 5);
  const out: RoutedResult[] = [];
  for (const k of [1, 10]) {
    opts.log?.(`routed 1000 realms K=${k}`);
    out.push(await runRouted({ realms: 1000, entities: 10, shards: 2, ticksPerControl: k, seconds: opts.quick ? 1.5 : 5 }, ring));
  }
  return out;
}
