// @ts-nocheck
// Test helpers: engines that are always stopped, and bounded waits on real states.
import { afterEach } from 'vitest';
import { Engine } from '../engine/index.js';
import type { EngineOptions } from '../engine/index.js';

const open: Engine[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.stop()));
});

/** A started engine that is stopped after the test. */
export async function startEngine(options: EngineOptions = {}): Promise<Engine> {
  const engine = new Engine(options);
  open.push(engine);
  await engine.start();
  return engine;
}

/** Waits control tick by control tick until `check` holds, failing with `what` after `maxTicks`. */
export async function untilTick<T>(engine: Engine, what: string, check: () => T | undefined | false, maxTicks = 5000): Promise<T> {
  const first = engine.controlTick;
  for (let n = first + 1; n <= first + maxTicks; n++) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    await engine.onControlTick(n);
  }
  const v = check();
  if (v !== undefined && v !== false) return v;
  throw new Error(`timed out after ${maxTicks} control ticks waiting for: ${what}`);
}

/** File URL of the test realm kind `probe` (records events; scripted emits and transfers). */
export const probeKind = new URL('./fixtures/probe-kind.mjs', import.meta.url).href;

export interface ProbeEvent {
  type: string;
  from: string;
  seq: number;
  via: string;
  data: unknown;
  path: { realm?: string; shard?: number; tick?: number; router?: string; controlTick?: number }[];
}

export interface ProbeState {
  got: ProbeEvent[];
  entities: { id: string }[];
  inputs: number;
  /** Events received, and how many broke a source's sequence (kept even when `keep: false`). */
  count: number;
  outOfOrder: number;
  lastSeq: Record<string, number>;
}

/** The probe realm's state, read through the engine's snapshot query. */
export async function probeState(engine: Engine, realmId: string): Promise<ProbeState> {
  const snap = (await engine.snapshot(realmId)) as { data: ProbeState };
  return snap.data;
}
