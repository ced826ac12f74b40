// @ts-nocheck
// The control-tick barrier with real shard threads: over thousands of rounds nobody passes
// early and nobody is left behind.
import { describe, expect, it } from 'vitest';
import type { ControlTickInfo } from '../engine/index.js';
import { startEngine } from './helpers.js';

describe.each([1, 2, 8])('barrier with %i shard(s)', (shards) => {
  it('keeps every realm on every shard in lockstep for 2,000 control ticks', async () => {
    const engine = await startEngine({ shards, mode: 'max', ticksPerControl: 1, hashEvery: 0 });
    await Promise.all(
      Array.from({ length: shards * 2 }, (_, i) => engine.register({ realm_id: `r${i}`, game_id: 'b', kind: 'stress', params: { entities: 5, emitEvery: 0 } })),
    );
    const realms = engine.list();
    expect(new Set(realms.map((r) => r.shard)).size).toBe(shards);
    const base = engine.controlTick;
    const baseTick = engine.get('r0').localTick;
    let checked = 0;
    let mismatches = 0;
    engine.on('controlTick', (t: ControlTickInfo) => {
      // With K = 1, every realm advances exactly one local tick per control tick.
      const want = baseTick + (t.controlTick - base);
      for (const r of engine.list()) if (r.localTick !== want) mismatches++;
      if (t.localTicks !== shards * 2) mismatches++;
      checked++;
    });
    await engine.onControlTick(base + 2000);
    expect(checked).toBeGreaterThanOrEqual(2000);
    expect(mismatches).toBe(0);
    expect(engine.stats().barrierViolations).toBe(0);
  });
});
