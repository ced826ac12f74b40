// @ts-nocheck
// Event propagation and registration latency in the DEFAULT realtime configuration
// (new Engine({ kindModules, shards: 2 }): tickHz, K and the rest at their defaults).
// - Event: engine.publish({to, type, data}) on the main thread → the target realm's onEvent
//   (bench/fixtures/latency-kind.mjs stamps each arrival into its state; read back with
//   engine.snapshot). Both stamps are performance.timeOrigin + performance.now().
// - Registration: register() called → its promise resolved.
// Samples are issued at deterministic, spread-out times (delays 0..97 ms between them), the
// two streams running concurrently. Goal: p99 < 50 ms. Baseline: the configuration's
// control-tick period, 1000 · K / tickHz.
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Engine } from '../engine/index.js';
import { fixtureUrl } from './fixture-url.js';
import { round, summarize, type Summary } from './stats.js';

export interface LatencyResult {
  name: string;
  mode: string;
  shards: number;
  cores: number;
  tickHz: number;
  ticksPerControl: number;
  /** Baseline: 1000 · K / tickHz of the configuration, ms. */
  controlTickPeriodMs: number;
  /** publish() → onEvent, ms. */
  eventMs: Summary;
  /** Events published that never arrived (within the collection deadline). */
  eventsLost: number;
  /** register() → resolved, ms. */
  registerMs: Summary;
  goalP99Ms: number;
  /** Wall time of the scenario, s. */
  seconds: number;
}

export interface LatencyScenario {
  eventSamples: number;
  registerSamples: number;
}

const TARGETS = 4;
const now = (): number => performance.timeOrigin + performance.now();
/** Deterministic spread of the gaps between samples: 0..97 ms, well mixed. */
const gapMs = (i: number, stride: number): number => (i * stride) % 98;

function roundSummary(s: Summary): Summary {
  return { p50: round(s.p50, 2), p99: round(s.p99, 2), max: round(s.max, 2), mean: round(s.mean, 2), n: s.n };
}

/** [sample, arrival ms] pairs from a latency realm's snapshot envelope ({…, data: {arrivals}}). */
function arrivalsOf(snap: unknown): [number, number][] {
  if (typeof snap !== 'object' || snap === null || !('data' in snap)) return [];
  const data: unknown = snap.data;
  if (typeof data !== 'object' || data === null || !('arrivals' in data)) return [];
  const list: unknown = data.arrivals;
  if (!Array.isArray(list)) return [];
  return (list as unknown[]).filter((x): x is [number, number] => Array.isArray(x) && typeof x[0] === 'number' && typeof x[1] === 'number');
}

async function publishStream(engine: Engine, samples: number): Promise<Float64Array> {
  const sent = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    await sleep(gapMs(i, 37));
    sent[i] = now();
    engine.publish({ to: `lat-${i % TARGETS}`, type: 'bench.latency', data: i });
  }
  return sent;
}

async function registerStream(engine: Engine, samples: number): Promise<number[]> {
  const pending: Promise<number>[] = [];
  for (let i = 0; i < samples; i++) {
    await sleep(gapMs(i, 53));
    const t0 = performance.now();
    pending.push(engine.register({ realm_id: `reg-${i}`, game_id: 'bench', kind: 'latency', params: {} }).then(() => performance.now() - t0));
  }
  return Promise.all(pending);
}

/** Reads the targets' arrivals until every sample is in or `deadlineMs` passes. */
async function collect(engine: Engine, samples: number, deadlineMs: number): Promise<Map<number, number>> {
  const end = performance.now() + deadlineMs;
  for (;;) {
    const got = new Map<number, number>();
    for (let t = 0; t < TARGETS; t++) for (const [i, at] of arrivalsOf(await engine.snapshot(`lat-${t}`))) got.set(i, at);
    if (got.size >= samples || performance.now() > end) return got;
    await sleep(200);
  }
}

export async function runLatency(sc: LatencyScenario): Promise<LatencyResult> {
  const start = performance.now();
  const engine = new Engine({ kindModules: [fixtureUrl('latency-kind.mjs').href], shards: 2 });
  await engine.start();
  try {
    await Promise.all(Array.from({ length: TARGETS }, (_, t) => engine.register({ realm_id: `lat-${t}`, game_id: 'bench', kind: 'latency', params: {} })));
    const o = engine.options;
    const period = (1000 * o.ticksPerControl) / o.tickHz;
    const [sent, registerMs] = await Promise.all([publishStream(engine, sc.eventSamples), registerStream(engine, sc.registerSamples)]);
    const arrived = await collect(engine, sc.eventSamples, 3 * period + 5000);
    const eventMs: number[] = [];
    for (const [i, at] of arrived) if (i >= 0 && i < sent.length) eventMs.push(at - sent[i]!);
    return {
      name: `default realtime config (tickHz ${o.tickHz}, K ${o.ticksPerControl}), ${o.shards} shards`,
      mode: o.mode,
      shards: o.shards,
      cores: availableParallelism(),
      tickHz: o.tickHz,
      ticksPerControl: o.ticksPerControl,
      controlTickPeriodMs: round(period, 2),
      eventMs: roundSummary(summarize(eventMs)),
      eventsLost: sc.eventSamples - eventMs.length,
      registerMs: roundSummary(summarize(registerMs)),
      goalP99Ms: 50,
      seconds: round((performance.now() - start) / 1000, 1),
    };
  } finally {
    await engine.stop();
  }
}

export async function latencyBench(opts: { quick: boolean }): Promise<LatencyResult[]> {
  return [await runLatency(opts.quick ? { eventSamples: 60, registerSamples: 40 } : { eventSamples: 300, registerSamples: 200 })];
}
