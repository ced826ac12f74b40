// Crash paths against real shard threads: what a user sees through the public API when a
// shard dies around a transfer or a snapshot, when a unicast cannot be delivered, when two
// names share a 32-bit hash, and when the engine is started twice.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, ErrorCode } from '../engine/index.js';
import type { ControlTickInfo, EngineEvents, RealmInfo } from '../engine/index.js';
import { fnv1a } from '../protocol/frames.js';
import { selectorHash } from '../protocol/stat7.js';
import { probeKind, probeState, startEngine, untilTick } from './helpers.js';

type Undeliverable = EngineEvents['undeliverable'][0];

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tickverse-crash-'));
  dirs.push(d);
  return d;
}

async function probe(engine: Engine, id: string, params: Record<string, unknown> = {}, subscribe: string[] = []): Promise<RealmInfo> {
  return engine.register({ realm_id: id, game_id: 'crash', kind: 'probe', params, subscribe });
}

/** Two realms on different shards (the engine places each new realm on the least-loaded shard). */
async function apart(engine: Engine, a: [string, Record<string, unknown>], b: [string, Record<string, unknown>]): Promise<[RealmInfo, RealmInfo]> {
  const ra = await probe(engine, a[0], a[1]);
  const rb = await probe(engine, b[0], b[1]);
  expect(ra.shard).not.toBe(rb.shard);
  return [ra, rb];
}

const ids = async (engine: Engine, realm: string): Promise<string[]> => (await engine.entities(realm)).map((e) => e.id).sort();

/** The first `want` pairs of distinct strings from `gen` whose 32-bit hashes are equal. */
function collisions<T>(gen: (i: number) => T, hash: (v: T) => number, want: number, limit: number): [T, T][] {
  const seen = new Map<number, T>();
  const out: [T, T][] = [];
  for (let i = 0; i < limit && out.length < want; i++) {
    const v = gen(i);
    const h = hash(v);
    const prior = seen.get(h);
    if (prior === undefined) seen.set(h, v);
    else out.push([prior, v]);
  }
  return out;
}

describe('crash paths', () => {
  it('an entity transferred into a realm whose shard dies before the next snapshot is not lost', async () => {
    const engine = await startEngine({ shards: 2, mode: 'max', ticksPerControl: 2, snapshotEvery: 50, maxRestarts: 5, kindModules: [probeKind] });
    const [, away] = await apart(engine, ['home', { entities: [{ id: 'hero' }, { id: 'cat' }] }], ['away', {}]);
    // Driven from the control-tick hook so each step lands at a known barrier: the transfer right
    // after the first snapshot, the kill as soon as the hero has arrived, long before the next one.
    let phase: 'snapshot' | 'arrive' | 'killed' = 'snapshot';
    let transferAt = 0;
    let snapshotAtKill = Infinity;
    engine.on('controlTick', (info) => {
      if (phase === 'snapshot' && engine.stats().lastSnapshot !== null) {
        engine.transfer('hero', 'home', 'away');
        transferAt = info.controlTick;
        phase = 'arrive';
      } else if (phase === 'arrive' && engine.get('away').entities === 1) {
        snapshotAtKill = engine.stats().lastSnapshot!.controlTick;
        engine.killShard(away.shard);
        phase = 'killed';
      }
    });
    await untilTick(engine, 'away restarted and running', () => phase === 'killed' && engine.stats().shardRestarts >= 1 && engine.get('away').state === 'running');
    // The newest snapshot when the shard died was taken before the transfer.
    expect(snapshotAtKill).toBeLessThanOrEqual(transferAt);
    expect(await ids(engine, 'away')).toEqual(['hero']);
    expect(await ids(engine, 'home')).toEqual(['cat']);
  });

  it('snapshots taken around a dead shard never lose an event that was delivered', async () => {
    const total = 24;
    const kills = 4;
    const engine = await startEngine({ shards: 2, mode: 'max', ticksPerControl: 1, snapshotEvery: 1, maxRestarts: 20, kindModules: [probeKind] });
    const [victim] = await apart(engine, ['victim', { keepPath: false }], ['bystander', {}]);
    await untilTick(engine, 'a first snapshot', () => engine.stats().lastSnapshot !== null);
    // One event for the victim every control tick; once a few have landed, its shard is killed at
    // several consecutive barriers, so one kill meets a snapshot in flight and the next restores from it.
    let published = 0;
    let killed = 0;
    let lastPublish = 0;
    engine.on('controlTick', (info) => {
      if (published < total) {
        engine.publish({ type: 'e', to: 'victim', data: ++published });
        lastPublish = info.controlTick;
      }
      if (published >= 4 && killed < kills) {
        killed++;
        engine.killShard(victim.shard);
      }
    });
    await untilTick(engine, 'all published, victim recovered', () => published === total && engine.stats().shardRestarts === kills && engine.get('victim').state === 'running');
    await engine.onControlTick(Math.max(engine.controlTick, lastPublish) + 3);
    expect(engine.get('victim').state).toBe('running');
    const s = await probeState(engine, 'victim');
    expect(s.got.map((e) => e.data)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(s.count).toBe(total);
  });

  it('reports bounced transfers and undeliverable unicasts instead of dropping them silently', async () => {
    const engine = await startEngine({ shards: 2, mode: 'max', ticksPerControl: 2, kindModules: [probeKind] });
    await probe(engine, 'home', { entities: [{ id: 'ghost' }] });
    await probe(engine, 'broken', { script: [{ at: 0, throw: 'boom' }] });
    await probe(engine, 'talker');
    await probe(engine, 'gone');
    await untilTick(engine, 'broken fails', () => engine.get('broken').state === 'error');
    const ticks: ControlTickInfo[] = [];
    const lost: Undeliverable[] = [];
    engine.on('controlTick', (info) => ticks.push(info));
    engine.on('undeliverable', (u) => lost.push(u));
    const sum = (f: (i: ControlTickInfo) => number): number => ticks.reduce((n, i) => n + f(i), 0);

    // A transfer to a realm in error goes back to its source, and says so.
    engine.transfer('ghost', 'home', 'broken');
    await engine.onControlTick(engine.controlTick + 4);
    expect(await ids(engine, 'home')).toEqual(['ghost']);
    const bounceTicks = ticks.filter((i) => i.bounced > 0);
    expect(bounceTicks.map((i) => i.bounced)).toEqual([1]);
    expect(engine.stats().transfersBounced).toBe(1);
    expect(lost).toEqual([
      expect.objectContaining({ controlTick: bounceTicks[0]!.controlTick, kind: 'transfer', from: 'home', to: 'broken', type: null, entity: 'ghost', reason: 'bounced' }),
    ]);

    // A realm's unicast to a realm in error is counted and reported with its type.
    const before = engine.stats().eventsUndeliverable;
    lost.length = 0;
    ticks.length = 0;
    void engine.input('talker', 'p1', { emit: { to: 'broken', type: 'ping' } });
    await engine.onControlTick(engine.controlTick + 3);
    expect(lost).toEqual([expect.objectContaining({ kind: 'event', from: 'talker', to: 'broken', type: 'ping', entity: null, reason: 'not-accepting' })]);
    expect(ticks.find((i) => i.controlTick === lost[0]!.controlTick)?.undeliverable).toBe(1);
    expect(sum((i) => i.undeliverable)).toBe(1);
    expect(engine.stats().eventsUndeliverable).toBe(before + 1);

    // One to a realm unregistered after the emit left its source but before it was routed.
    lost.length = 0;
    void engine.input('talker', 'p1', { emit: { to: 'gone', type: 'pong' } });
    await engine.unregister('gone');
    await engine.onControlTick(engine.controlTick + 2);
    expect(lost).toEqual([expect.objectContaining({ kind: 'event', from: 'talker', type: 'pong', entity: null, reason: 'unknown-realm' })]);
    expect(lost[0]!.to === 'gone' || /^#\d+$/.test(lost[0]!.to)).toBe(true);
    expect(sum((i) => i.undeliverable)).toBe(2);
    expect(engine.stats().eventsUndeliverable).toBe(before + 2);
    expect(engine.get('talker').state).toBe('running');
  });

  it('without a data directory, a killed shard brings its realms back at their state, not from params', async () => {
    const engine = await startEngine({ shards: 2, mode: 'max', ticksPerControl: 2, kindModules: [probeKind] });
    const [p] = await apart(engine, ['p', { entities: [{ id: 'e0' }] }], ['other', {}]);
    await engine.input('p', 'p1', { add: { id: 'x1' } });
    await untilTick(engine, 'input applied', () => engine.get('p').entities === 2);
    // Long enough for a default periodic in-memory snapshot to cover the input (none is configured here).
    await engine.onControlTick(engine.controlTick + 25);
    engine.killShard(p.shard);
    await untilTick(engine, 'p running again', () => engine.stats().shardRestarts === 1 && engine.get('p').state === 'running');
    expect(await ids(engine, 'p')).toEqual(['e0', 'x1']);
    expect((await probeState(engine, 'p')).inputs).toBe(1);
  });

  it('rejects event types and selectors whose 32-bit hash collides with a known different one', async () => {
    const types = collisions((i) => `evt-${(Math.imul(i, 2654435761) >>> 0).toString(36)}`, fnv1a, 2, 400_000);
    const sels = collisions((i) => ({ lineage: i }), selectorHash, 1, 600_000);
    expect(types).toHaveLength(2);
    const [[a, b], [c, d]] = types as [[string, string], [string, string]];
    expect(fnv1a(a)).toBe(fnv1a(b));

    const engine = await startEngine({ shards: 1, mode: 'max', kindModules: [probeKind] });
    const collision = expect.objectContaining({ code: 'HASH_COLLISION' });
    // Known through publish: the same type again is fine, a different type with its hash is not.
    engine.publish({ type: a });
    expect(() => engine.publish({ type: a })).not.toThrow();
    expect(() => engine.publish({ type: b })).toThrow(collision);
    await expect(probe(engine, 'late', {}, [b])).rejects.toThrow(collision);
    expect(engine.list().map((r) => r.realmId)).toEqual([]);
    // Known through a realm's subscription.
    await probe(engine, 'listener', {}, [c]);
    expect(() => engine.publish({ type: d })).toThrow(collision);
    expect(() => engine.publish({ type: c })).not.toThrow();

    // Selectors {lineage: x} and {lineage: y} with one selectorHash (found by the search above).
    expect(sels).toHaveLength(1);
    const [[x, y]] = sels as [[{ lineage: number }, { lineage: number }]];
    expect(selectorHash(x)).toBe(selectorHash(y));
    engine.publish({ type: 'quake', selector: x });
    expect(() => engine.publish({ type: 'quake', selector: x })).not.toThrow();
    expect(() => engine.publish({ type: 'quake', selector: y })).toThrow(collision);
    expect(ErrorCode.HASH_COLLISION).toBe('HASH_COLLISION');
  });

  it('start() on a running engine resolves (same promise); start() after stop() rejects with ENGINE_STOPPED', async () => {
    const engine = new Engine({ shards: 1, mode: 'max' });
    try {
      const first = engine.start();
      const second = engine.start();
      const [a, b] = await Promise.allSettled([first, second]);
      expect(a).toEqual({ status: 'fulfilled', value: undefined });
      expect(b).toEqual({ status: 'fulfilled', value: undefined });
      expect(second).toBe(first);
      await expect(engine.start()).resolves.toBeUndefined();
      expect(engine.running).toBe(true);
    } finally {
      await engine.stop();
    }
    await expect(engine.start()).rejects.toThrow(expect.objectContaining({ code: 'ENGINE_STOPPED' }));
  });

  it('keeps a realm\'s eventsIn / eventsOut across a shard restart and a backup restore', async () => {
    const events = 5;
    const engine = await startEngine({ shards: 2, mode: 'max', ticksPerControl: 2, snapshotEvery: 2, kindModules: [probeKind] });
    const [c] = await apart(engine, ['counter', { script: [{ at: 1, emit: { type: 'out' }, repeat: 3 }] }], ['other', {}]);
    for (let n = 1; n <= events; n++) engine.publish({ type: 'in', to: 'counter', data: n });
    const reached = await untilTick(engine, 'counters reached', () => (engine.get('counter').eventsIn === events && engine.get('counter').eventsOut === 3 ? engine.controlTick : undefined));
    await untilTick(engine, 'a snapshot after that', () => (engine.stats().lastSnapshot?.controlTick ?? -1) > reached);
    engine.killShard(c.shard);
    await untilTick(engine, 'counter running again', () => engine.stats().shardRestarts === 1 && engine.get('counter').state === 'running');
    expect.soft(engine.get('counter').eventsIn, 'eventsIn after a shard restart').toBeGreaterThanOrEqual(events);
    expect.soft(engine.get('counter').eventsOut, 'eventsOut after a shard restart').toBeGreaterThanOrEqual(3);
    expect((await probeState(engine, 'counter')).count).toBe(events);

    const file = join(await tempDir(), 'counters.tvsnap');
    await engine.backup(file);
    await engine.restoreBackup(file);
    await untilTick(engine, 'counter restored and running', () => engine.get('counter').state === 'running' && engine.get('counter').localTick > 0);
    await engine.onControlTick(engine.controlTick + 1);
    expect.soft(engine.get('counter').eventsIn, 'eventsIn after restoreBackup').toBeGreaterThanOrEqual(events);
    expect.soft(engine.get('counter').eventsOut, 'eventsOut after restoreBackup').toBeGreaterThanOrEqual(3);
    expect((await probeState(engine, 'counter')).count).toBe(events);
  });
});
