// @ts-nocheck
// Same registrations and inputs → identical per-realm state hashes at every control tick,
// with 1 shard and with 4.
import { describe, expect, it } from 'vitest';
import { DEMO_REALMS } from '../engine/demo.js';
import type { ControlTickInfo } from '../engine/index.js';
import { probeKind, startEngine } from './helpers.js';

async function run(shards: number, ticks: number): Promise<Record<string, number>[]> {
  const engine = await startEngine({ shards, mode: 'max', ticksPerControl: 5, hashEvery: 1, kindModules: [probeKind] });
  await Promise.all([
    ...DEMO_REALMS.map((r) => engine.register(r)),
    ...Array.from({ length: 6 }, (_, i) =>
      engine.register({ realm_id: `stress-${i}`, game_id: 'det', kind: 'stress', params: { entities: 50, emitEvery: 3 } }),
    ),
    engine.register({ realm_id: 'probe', game_id: 'det', kind: 'probe', subscribe: ['stress', 'rumor'], params: { keepPath: false } }),
  ]);
  // Everything below is relative to the control tick at which the realms booted, so the two
  // runs line up even though the engines started at different moments.
  const base = Math.max(...engine.list().map((r) => r.registeredAtControlTick)) + 1;
  await engine.onControlTick(base);
  const hashes: Record<string, number>[] = [];
  engine.on('controlTick', (t: ControlTickInfo) => hashes.push(t.hashes));
  for (let i = 1; i <= ticks; i++) {
    // Inputs and external events issued between control ticks (max mode writes them at the barrier).
    if (i % 4 === 0) engine.input('tavern', 'p1', { move: { id: 'player:p1', dx: 1, dy: -1 } });
    if (i % 7 === 0) engine.publish({ type: 'rumor', data: { i } });
    if (i % 9 === 0) engine.publish({ type: 'hello', to: 'tavern', data: null });
    await engine.onControlTick(base + i);
  }
  await engine.stop();
  return hashes.slice(0, ticks);
}

describe('determinism', () => {
  it('gives identical state hashes per realm per control tick with 1 and 4 shards', async () => {
    const one = await run(1, 40);
    const four = await run(4, 40);
    expect(one).toHaveLength(40);
    expect(Object.keys(one[39]!).length).toBe(10);
    expect(four).toEqual(one);
    // The world actually changed: hashes move over time.
    expect(one[39]!.tavern).not.toBe(one[10]!.tavern);
  });
});
