// @ts-nocheck
// The control-tick barrier with no realms (K = 1): the engine's empty control tick, back to
// back in max mode, beside a bare Atomics barrier with the same number of worker threads in
// the same run (bench/fixtures/bare-barrier-worker.mjs: workers spin then Atomics.wait, the
// main thread waits with Atomics.waitAsync, nothing else). Also one realtime row (engine only).
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Engine } from '../engine/index.js';
import type { ControlTickInfo } from '../engine/index.js';
import { fixtureUrl } from './fixture-url.js';
import { round, summarize } from './stats.js';

export interface Us3 {
  p50: number;
  p99: number;
  max: number;
}

export interface PeriodFigures {
  rounds: number;
  /** Wall time of the measured rounds ÷ rounds, µs. */
  periodUs: number;
  roundsPerSec: number;
  /** Time between consecutive round ends (engine: controlTick events), µs. */
  intervalUs: Us3;
}

export interface BarrierResult {
  name: string;
  mode: 'max' | 'realtime';
  shards: number;
  cores: number;
  /** Spin iterations before Atomics.wait: the engine's resolved `spin` option. */
  spin: number;
  engine: PeriodFigures & { barrierUs: Us3; controlTickUs: Us3 };
  /** Spin count of the bare barrier's better run (0 or 2,000). */
  bareSpin: number | null;
  /** The bare Atomics barrier with `shards` workers (max mode only): the better of spin 0 and 2,000. */
  bare: PeriodFigures | null;
  /** Engine period ÷ bare period (the goal: ≤ 1.5), and the same for the p50 interval. */
  ratio: number | null;
  ratioP50: number | null;
}

const WARMUP_ROUNDS = 50;
// Slots of the bare barrier's Int32Array (the fixture's own layout).
const RELEASE = 0;
const ARRIVED = 1;
const WAKE = 2;
const STOP = 3;

function us(ms: readonly number[]): Us3 {
  const s = summarize(ms.map((x) => x * 1000));
  return { p50: round(s.p50, 1), p99: round(s.p99, 1), max: round(s.max, 1) };
}

function periodFigures(t0: number, stamps: readonly number[]): PeriodFigures {
  const wallMs = (stamps[stamps.length - 1] ?? t0) - t0;
  const intervals = stamps.map((t, i) => t - (i === 0 ? t0 : stamps[i - 1]!));
  return {
    rounds: stamps.length,
    periodUs: round((wallMs * 1000) / Math.max(1, stamps.length), 1),
    roundsPerSec: Math.round((stamps.length * 1000) / Math.max(wallMs, 1e-9)),
    intervalUs: us(intervals),
  };
}

/** `workers` threads and the main thread, `rounds` back-to-back rounds after a warm-up. */
export async function bareBarrier(workers: number, rounds: number, spin: number): Promise<PeriodFigures> {
  const ints = new Int32Array(new SharedArrayBuffer(4 * 4));
  const url = fixtureUrl('bare-barrier-worker.mjs');
  const threads = Array.from({ length: workers }, () => new Worker(url, { workerData: { sab: ints.buffer, spin, workers } }));
  const errors: unknown[] = [];
  const exits = threads.map((w) => {
    w.on('error', (e) => errors.push(e));
    return once(w, 'exit');
  });
  let r = 0;
  const runRound = async (): Promise<void> => {
    r++;
    Atomics.store(ints, ARRIVED, 0);
    Atomics.store(ints, RELEASE, r);
    Atomics.notify(ints, RELEASE);
    for (;;) {
      const wake = Atomics.load(ints, WAKE);
      if (Atomics.load(ints, ARRIVED) >= workers) return;
      const w = Atomics.waitAsync(ints, WAKE, wake, 5000);
      if (w.async && (await w.value) === 'timed-out') throw new Error(`bare barrier: round ${r} not done after 5 s (${String(errors[0] ?? 'no worker error')})`);
    }
  };
  try {
    await Promise.all(threads.map((w) => once(w, 'message')));
    for (let i = 0; i < WARMUP_ROUNDS; i++) await runRound();
    const stamps: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) {
      await runRound();
      stamps.push(performance.now());
    }
    return periodFigures(t0, stamps);
  } finally {
    Atomics.store(ints, STOP, 1);
    Atomics.notify(ints, RELEASE);
    await Promise.all(exits);
  }
}

/** The engine with no realms: `rounds` control ticks of K = 1 after a warm-up. */
async function engineBarrier(shards: number, rounds: number, mode: 'max' | 'realtime'): Promise<{ spin: number; figures: BarrierResult['engine'] }> {
  const realtime = mode === 'realtime';
  const engine = new Engine({ shards, mode, ticksPerControl: 1, hashEvery: 0, tickHz: realtime ? 1000 : 10 });
  await engine.start();
  try {
    await engine.onControlTick(engine.controlTick + WARMUP_ROUNDS);
    const ticks: ControlTickInfo[] = [];
    const stamps: number[] = [];
    const on = (t: ControlTickInfo): void => {
      stamps.push(performance.now());
      ticks.push(t);
    };
    engine.on('controlTick', on);
    const t0 = performance.now();
    await engine.onControlTick(engine.controlTick + rounds);
    engine.off('controlTick', on);
    return {
      spin: engine.options.spin,
      figures: {
        ...periodFigures(t0, stamps),
        barrierUs: us(ticks.map((t) => t.barrierMs)),
        controlTickUs: us(ticks.map((t) => t.durationMs)),
      },
    };
  } finally {
    await engine.stop();
  }
}

export async function barrierBench(shards: number, rounds = 3000, mode: 'max' | 'realtime' = 'max'): Promise<BarrierResult> {
  let bareSpin: number | null = null;
  const cores = availableParallelism();
  const n = mode === 'realtime' ? Math.min(rounds, 1000) : rounds;
  const { spin, figures } = await engineBarrier(shards, n, mode);
  // The baseline is the better of the bare barrier spinning 2,000 times and not spinning, so the
  // engine's spin default cannot flatter it.
  let bare: PeriodFigures | null = null;
  if (mode === 'max') {
    const a = await bareBarrier(shards, n, 0);
    const b = await bareBarrier(shards, n, 2000);
    bare = a.periodUs <= b.periodUs ? a : b;
    bareSpin = a.periodUs <= b.periodUs ? 0 : 2000;
  }
  return {
    name: `barrier ${mode}, ${shards} shards (${cores} cores)`,
    mode,
    shards,
    cores,
    spin,
    bareSpin,
    engine: figures,
    bare,
    ratio: bare === null ? null : round(figures.periodUs / bare.periodUs, 2),
    ratioP50: bare === null ? null : round(figures.intervalUs.p50 / Math.max(bare.intervalUs.p50, 0.1), 2),
  };
}
