// @ts-nocheck
// Control-tick cost at scale in realtime mode: R stress realms × 100 entities (full: 10,000;
// quick: 2,000), tickHz 10 and K = 1 passed explicitly (a control tick every 100 ms), every
// other option at its default. Two variants: one unicast per realm per control tick
// (emitEvery = K) and no events (emitEvery: 0). Also the time to register all R realms, every
// register() issued at once (Promise.all). Goals: control tick p50 < 5 ms with events, < 1 ms
// without; registration < 3 s.
import { availableParallelism } from 'node:os';
import { Engine } from '../engine/index.js';
import type { ControlTickInfo } from '../engine/index.js';
import { realmHealth, type RealmHealth } from './realm-health.js';
import { round, summarize, type Summary } from './stats.js';
import { measureWindow, registerStressRing } from './stress-ring.js';

export interface Tick10kScenario {
  realms: number;
  entities: number;
  /** Events: emitEvery = ticksPerControl (one unicast per realm per control tick); none: 0. */
  events: boolean;
  seconds: number;
}

export interface Tick10kResult {
  /** Realms not running at the end of the window (crashed realms make the figures meaningless). */
  health: RealmHealth;
  name: string;
  realms: number;
  entities: number;
  events: boolean;
  emitEvery: number;
  shards: number;
  cores: number;
  tickHz: number;
  ticksPerControl: number;
  hashEvery: number;
  /** First register() call → every promise resolved (Promise.all), ms. Goal: < 3,000. */
  registerMs: number;
  seconds: number;
  controlTicks: number;
  controlTicksPerSec: number;
  /** ControlTickInfo.durationMs over the window. Goal p50: < 5 ms with events, < 1 ms without. */
  controlTickMs: Summary;
  barrierMs: Summary;
  routeMs: Summary;
  roundMs: Summary;
  goalP50Ms: number;
  eventsRoutedPerTick: number;
  deliveriesPerTick: number;
  /** Local ticks run ÷ (realms × tickHz × seconds), first → last control tick of the window: 1 = the realms keep real time. */
  realTime: number;
  /** Per shard: Σ busyMs ÷ wall ms of the window. */
  shardBusy: number[];
}

function roundSummary(s: Summary): Summary {
  return { p50: round(s.p50), p99: round(s.p99), max: round(s.max), mean: round(s.mean), n: s.n };
}

const TICK_HZ = 10;
const K = 1;

export async function runTick10k(sc: Tick10kScenario): Promise<Tick10kResult> {
  const emitEvery = sc.events ? K : 0;
  const engine = new Engine({ mode: 'realtime', tickHz: TICK_HZ, ticksPerControl: K });
  await engine.start();
  try {
    const r0 = performance.now();
    await registerStressRing(engine, 'tick', sc.realms, { entities: sc.entities, emitEvery });
    const registerMs = performance.now() - r0;
    await engine.onControlTick(engine.controlTick + 2);
    const { ticks, stamps, elapsed, sum, busy: busyOf } = await measureWindow(engine, sc.seconds);
    const health = realmHealth(engine);
    const o = engine.options;
    const busy = busyOf(o.shards);
    const n = Math.max(1, ticks.length);
    // Rates over first → last control tick of the window (a window's edges would quantise them to whole ticks).
    const spanS = ((stamps[stamps.length - 1] ?? 0) - (stamps[0] ?? 0)) / 1000;
    const after = ticks.slice(1);
    const localAfter = after.reduce((a, t) => a + t.localTicks, 0);
    return {
      health,
      name: `${sc.realms.toLocaleString('en-US')} realms × ${sc.entities} entities, ${sc.events ? 'one unicast per realm per control tick' : 'no events'}`,
      realms: sc.realms,
      entities: sc.entities,
      events: sc.events,
      emitEvery,
      shards: o.shards,
      cores: availableParallelism(),
      tickHz: o.tickHz,
      ticksPerControl: o.ticksPerControl,
      hashEvery: o.hashEvery,
      registerMs: round(registerMs, 1),
      seconds: round(elapsed, 2),
      controlTicks: ticks.length,
      controlTicksPerSec: spanS > 0 ? round(after.length / spanS, 2) : 0,
      controlTickMs: roundSummary(summarize(ticks.map((t) => t.durationMs))),
      barrierMs: roundSummary(summarize(ticks.map((t) => t.barrierMs))),
      routeMs: roundSummary(summarize(ticks.map((t) => t.routeMs))),
      roundMs: roundSummary(summarize(ticks.map((t) => t.roundMs))),
      goalP50Ms: sc.events ? 5 : 1,
      eventsRoutedPerTick: Math.round(sum((t) => t.eventsRouted) / n),
      deliveriesPerTick: Math.round(sum((t) => t.deliveries) / n),
      realTime: spanS > 0 ? round(localAfter / (sc.realms * o.tickHz * spanS), 3) : 0,
      shardBusy: busy.map((b) => round(b, 3)),
    };
  } finally {
    await engine.stop();
  }
}

export async function tick10kBench(opts: { quick: boolean; log?: (msg: string) => void }): Promise<Tick10kResult[]> {
  const realms = opts.quick ? 2000 : 10_000;
  const out: Tick10kResult[] = [];
  for (const events of [true, false]) {
    opts.log?.(`tick10k ${realms} realms, ${events ? 'events' : 'no events'}`);
    out.push(await runTick10k({ realms, entities: 100, events, seconds: opts.quick ? 2 : 5 }));
  }
  return out;
}
