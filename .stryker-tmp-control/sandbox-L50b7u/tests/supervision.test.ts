// @ts-nocheck
// Fault injection against real shard threads: a killed shard is replaced and its realms come
// back from their snapshot; realm code that kills, starves or hangs its shard is stopped by
// the restart budget; healthy realms never lose a tick.
import { describe, expect, it } from 'vitest';
import type { Engine, RealmInfo } from '../engine/index.js';
import { probeKind, probeState, startEngine, untilTick } from './helpers.js';

/** Places a probe on each of two shards and a tavern beside the healthy one. */
async function twoShards(engine: Engine): Promise<{ victim: RealmInfo; healthy: RealmInfo }> {
  await engine.register({ realm_id: 'victim', game_id: 'g', kind: 'probe', params: { entities: [{ id: 'gem' }] } });
  await engine.register({ realm_id: 'healthy', game_id: 'g', kind: 'probe' });
  const victim = engine.get('victim');
  const healthy = engine.get('healthy');
  expect(victim.shard).not.toBe(healthy.shard);
  return { victim, healthy };
}

/** Records the healthy realm's local tick at every control tick, to prove it never skips. */
function tickLog(engine: Engine, realm: string): number[] {
  const log: number[] = [];
  engine.on('controlTick', () => log.push(engine.get(realm).localTick));
  return log;
}

function steady(log: number[], k: number): boolean {
  return log.every((t, i) => i === 0 || t - log[i - 1]! === k);
}

describe('supervision', () => {
  it('replaces a shard killed mid-tick and restores its realms from the snapshot plus what they missed', async () => {
    const engine = await startEngine({ shards: 2, mode: 'max', ticksPerControl: 2, snapshotEvery: 2, kindModules: [probeKind] });
    const { victim } = await twoShards(engine);
    await engine.onControlTick(engine.controlTick + 3); // a snapshot exists
    const log = tickLog(engine, 'healthy');
    const r = engine.publish({ type: 'before', to: 'victim', data: 1 });
    await engine.onControlTick(r.controlTick);
    engine.killShard(victim.shard);
    await untilTick(engine, 'victim running again', () => engine.stats().shardRestarts === 1 && engine.get('victim').state === 'running');
    expect(engine.stats().shardFailures).toBe(1);
    const state = await probeState(engine, 'victim');
    expect(state.entities.map((e) => e.id)).toEqual(['gem']);
    expect(state.got.map((e) => e.type)).toEqual(['before']);
    await engine.onControlTick(engine.controlTick + 2);
    expect(steady(log, 2)).toBe(true);
    expect(engine.get('healthy').state).toBe('running');
  });

  it.each([
    ['process.exit in realm code', { exit: true }, {}],
    ['heap exhaustion', { hog: true }, { shardResourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 } }],
    ['an infinite loop', { spin: true }, { stallMs: 1500 }],
  ])('%s, replayed after the restart: only that realm is quarantined; its shard comes back without it', async (_name, input, extra) => {
    const engine = await startEngine({ shards: 2, mode: 'max', ticksPerControl: 2, snapshotEvery: 2, maxRestarts: 3, kindModules: [probeKind], ...extra });
    const { victim } = await twoShards(engine);
    // A neighbour on the victim's shard, with state of its own.
    let bystander = await engine.register({ realm_id: 'bystander', game_id: 'g', kind: 'probe', params: { entities: [{ id: 'cup' }] } });
    for (let i = 0; bystander.shard !== victim.shard && i < 4; i++) {
      await engine.unregister('bystander');
      bystander = await engine.register({ realm_id: 'bystander', game_id: 'g', kind: 'probe', params: { entities: [{ id: 'cup' }] } });
    }
    expect(bystander.shard).toBe(victim.shard);
    void engine.input('bystander', 'p', { add: { id: 'saucer' } });
    await engine.onControlTick(engine.controlTick + 3);
    const log = tickLog(engine, 'healthy');
    // The input is replayed after the first restart, so the realm takes its shard down again.
    void engine.input('victim', 'p', input);
    let responsive = 0;
    const timer = setInterval(() => responsive++, 5);
    await untilTick(engine, 'victim quarantined', () => engine.get('victim').state === 'error', 500);
    clearInterval(timer);
    expect(engine.get('victim').error).toMatch(/REALM_QUARANTINED/);
    await untilTick(engine, 'bystander running again', () => engine.get('bystander').state === 'running');
    expect(engine.stats().shardRestarts).toBe(2);
    expect(engine.stats().shardFailures).toBe(2);
    if ('spin' in input) expect(engine.stats().shardStalls).toBe(2);
    // The main thread kept serving timers while a shard was down or hung.
    expect(responsive).toBeGreaterThan(3);
    // The neighbour lost nothing: its state and its input are back.
    expect((await engine.entities('bystander')).map((e) => e.id)).toEqual(['cup', 'saucer']);
    // The healthy realm on the other shard never skipped a tick, and keeps ticking.
    const before = engine.get('healthy').localTick;
    await engine.onControlTick(engine.controlTick + 3);
    expect(engine.get('healthy').localTick).toBe(before + 6);
    expect(steady(log, 2)).toBe(true);
    expect(engine.stats().shardsAlive).toBe(2);
  });

  it('fails the realms of a shard that keeps dying past the restart budget; new realms go elsewhere', async () => {
    const engine = await startEngine({ shards: 2, mode: 'max', ticksPerControl: 2, snapshotEvery: 2, maxRestarts: 2, kindModules: [probeKind] });
    const { victim } = await twoShards(engine);
    await engine.onControlTick(engine.controlTick + 3);
    for (let kills = 1; kills <= 3; kills++) {
      engine.killShard(victim.shard);
      // Terminating a thread takes a while; max-mode ticks go on meanwhile: poll for longer.
      await untilTick(engine, `death ${kills} seen`, () => engine.stats().shardFailures === kills, 20_000);
      if (kills < 3) await untilTick(engine, 'victim back', () => engine.get('victim').state === 'running', 20_000);
    }
    await untilTick(engine, 'victim failed', () => engine.get('victim').state === 'error', 20_000);
    expect(engine.get('victim').error).toMatch(/SHARD_FAILED/);
    expect(engine.stats().shardRestarts).toBe(2);
    const fresh = await engine.register({ realm_id: 'fresh', game_id: 'g', kind: 'tavern' });
    expect(fresh.shard).not.toBe(victim.shard);
    expect(fresh.state).toBe('running');
  });

  it('notices a realm stuck in an infinite loop within the default stall bound, at default settings', async () => {
    const engine = await startEngine({ shards: 2, kindModules: [probeKind] });
    const { victim } = await twoShards(engine);
    await engine.onControlTick(engine.controlTick + 2);
    const t0 = performance.now();
    void engine.input('victim', 'p', { spin: true });
    await untilTick(engine, 'stall noticed', () => engine.stats().shardStalls === 1, 400);
    const noticedMs = performance.now() - t0;
    // Default stallMs: max(500 ms, two control-tick periods); the first stall is noticed within it
    // plus a round (generous for a shared CI machine), not after seconds.
    expect(engine.options.stallMs).toBe(500);
    expect(noticedMs).toBeLessThan(engine.options.stallMs * 3);
    await untilTick(engine, 'victim back or quarantined', () => ['running', 'error'].includes(engine.get('victim').state), 400);
    expect(engine.get('healthy').state).toBe('running');
    expect(victim.shard).not.toBe(engine.get('healthy').shard);
  });
});
