// The control loop and the catch-up log, pinned down against real shard threads: what the
// catch-up log keeps (and that a snapshot trims it, so memory does not grow with uptime),
// stopping when shards die during the final snapshot, the barrier when every shard is dead,
// and the control-tick report. Written to kill the mutants StrykerJS finds in
// engine/control-loop.ts and engine/route-log.ts (`npx stryker run stryker.control.json`),
// but every assertion is something a user of the engine (or of the log) can observe.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { RouteLog } from '../engine/route-log.js';
import { probeKind, startEngine, untilTick } from './helpers.js';

setFlagsFromString('--expose-gc');
/** A full collection, so that what is still referenced is all that is counted. */
const gc = runInNewContext('gc') as () => void;

/** Bytes held in ArrayBuffers by this thread, after a full collection. */
function heldBytes(): number {
  gc();
  gc();
  return process.memoryUsage().arrayBuffers;
}

describe('route log (the catch-up log)', () => {
  it('keeps each routed tick as its own copy, hands back the ticks after a given one oldest first, and trims what a snapshot covers', () => {
    const log = new RouteLog();
    expect(log.size).toBe(0);
    expect(log.after(-1)).toEqual([]);
    const arena = new Uint8Array(16);
    for (const tick of [5, 6, 7]) {
      arena.fill(tick);
      log.add(tick, arena, 4, Uint32Array.of(0, 2), Uint32Array.of(2, 2));
    }
    arena.fill(0); // the router reuses its arena: the log must not see that
    expect(log.size).toBe(3);
    const all = log.after(-1);
    expect(all.map((t) => [t.tick, [...t.frames], [...t.starts], [...t.lengths]])).toEqual(
      [5, 6, 7].map((tick) => [tick, [tick, tick, tick, tick], [0, 2], [2, 2]]),
    );
    // Strictly after: the tick a snapshot was taken at is already in the snapshot.
    expect(log.after(5).map((t) => t.tick)).toEqual([6, 7]);
    expect(log.after(7)).toEqual([]);
    log.trim(5);
    expect(log.size).toBe(2);
    expect(log.after(-1).map((t) => t.tick)).toEqual([6, 7]);
    log.trim(7);
    expect(log.size).toBe(0);
    log.add(8, arena, 1, Uint32Array.of(0), Uint32Array.of(1));
    log.clear();
    expect(log.size).toBe(0);
    expect(log.after(-1)).toEqual([]);
  });

  it('is trimmed at every snapshot: a long run of heavy traffic does not grow the engine\'s memory', async () => {
    const engine = await startEngine({ shards: 1, mode: 'max', snapshotEvery: 4, kindModules: [probeKind] });
    await engine.register({ realm_id: 'sink', game_id: 'g', kind: 'probe', subscribe: ['bulk'], params: { keep: false } });
    const perEvent = 32_000;
    const perTick = 8;
    const ticks = 120;
    let publishing = true;
    engine.on('controlTick', () => {
      if (!publishing) return;
      for (let i = 0; i < perTick; i++) engine.publish({ type: 'bulk', data: 'x'.repeat(perEvent) });
    });
    await untilTick(engine, 'snapshots taken under traffic', () => (engine.stats().lastSnapshot?.controlTick ?? 0) > 8);
    const before = heldBytes();
    const from = engine.controlTick;
    await engine.onControlTick(from + ticks);
    publishing = false;
    const delivered = engine.get('sink').eventsIn;
    expect(delivered).toBeGreaterThan(perTick * ticks);
    await untilTick(engine, 'a snapshot after the traffic', () => (engine.stats().lastSnapshot?.controlTick ?? 0) > from + ticks);
    const grown = heldBytes() - before; console.log("GROWN", grown, before);
    // Untrimmed, the log would hold every tick's batch: ticks × perTick × perEvent bytes.
    expect(grown).toBeLessThan((ticks * perTick * perEvent) / 4);
  });
});
