// Routing and control-loop behaviour pinned down through the public Engine API, against real
// shard threads: exact per-tick counters, the routing tick stamped into deliveries, ordering
// by (source, sequence) across shards, batches past the router's initial arena and frame
// capacity, hash-collision refusals, catch-up after a shard restart delivering exactly once,
// the control-tick report, pacing, and when commands take effect. Written to kill the
// mutants StrykerJS finds in engine/router.ts, route-log.ts, names.ts and control-loop.ts
// (`npm run mutation`), but every assertion is something a user of the engine can observe.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, ErrorCode } from '../engine/index.js';
import type { ControlTickInfo, EngineLogger, RealmInfo, RoutedEvent, TickverseError, UndeliverableReport } from '../engine/index.js';
import { fnv1a } from '../protocol/frames.js';
import { canonicalSelector, selectorHash, toSelector } from '../protocol/stat7.js';
import { probeKind, probeState, startEngine, untilTick } from './helpers.js';

/** Probe kind whose inputs can also subscribe / unsubscribe at run time. */
const subscriberKind = new URL('./fixtures/subscriber-kind.mjs', import.meta.url).href;

interface Spec {
  id: string;
  kind?: string;
  stat7?: Record<string, unknown>;
  subscribe?: string[];
  params?: Record<string, unknown>;
}

/** Registers in order (so slots follow the list) and waits until all have booted. */
async function realms(engine: Engine, specs: Spec[]): Promise<RealmInfo[]> {
  return Promise.all(
    specs.map((s) => engine.register({ realm_id: s.id, game_id: 'mut', kind: s.kind ?? 'probe', stat7: s.stat7 ?? {}, subscribe: s.subscribe ?? [], params: s.params ?? {} })),
  );
}

/** Every control-tick report from now on, by tick. */
function reports(engine: Engine): Map<number, ControlTickInfo> {
  const byTick = new Map<number, ControlTickInfo>();
  engine.on('controlTick', (info) => byTick.set(info.controlTick, info));
  return byTick;
}

/** A logger that keeps what it is told. */
function recordingLogger(): { logger: EngineLogger; lines: { level: string; obj: Record<string, unknown>; msg: string | undefined }[] } {
  const lines: { level: string; obj: Record<string, unknown>; msg: string | undefined }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { logger: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') }, lines };
}

const ids = async (engine: Engine, realm: string): Promise<string[]> => (await engine.entities(realm)).map((e) => e.id).sort();

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 })));
});

// Pairs of event types with equal 32-bit routing ids (fnv1a), found by brute force over
// `evt-${base36(i * 2654435761 >>> 0)}`; and two selectors with equal selectorHash.
const TYPE_PAIRS: [string, string][] = [
  ['evt-zklcf2', 'evt-qx4hpu'],
  ['evt-1fbd72c', 'evt-1ar5ax9'],
  ['evt-fbul88', 'evt-1dk5zdj'],
  ['evt-1ewvubs', 'evt-19c1nat'],
];
const SEL_X = { lineage: 139599 };
const SEL_Y = { lineage: 322382 };

describe('router: what one control tick routes', () => {
  it('counts events, deliveries and undeliverables exactly, reports each routed event, and stamps the routing tick', async () => {
    // No snapshots: the engine keeps no catch-up log, and routes all the same.
    const engine = await startEngine({ shards: 2, mode: 'max', snapshotEvery: 0, kindModules: [probeKind] });
    await realms(engine, [
      { id: 'u' },
      { id: 's1', subscribe: ['news'], stat7: { horizon: 'PEAK' } },
      { id: 's2', subscribe: ['news'], stat7: { horizon: 'PEAK' } },
      { id: 'broken', subscribe: ['news'], stat7: { horizon: 'PEAK' }, params: { script: [{ at: 0, throw: 'boom' }] } },
    ]);
    await untilTick(engine, 'broken fails', () => engine.get('broken').state === 'error');
    const ticks = reports(engine);
    const routed: RoutedEvent[] = [];
    const lost: UndeliverableReport[] = [];
    engine.on('routed', (e) => routed.push(e));
    engine.on('undeliverable', (u) => lost.push(u));
    const totalBefore = engine.stats().eventsRouted;

    const first = engine.publish({ type: 'hi', to: 'u', data: 1 });
    engine.publish({ type: 'news', data: 2 }); // s1, s2; never the failed realm
    engine.publish({ type: 'news', data: 3 });
    engine.publish({ type: 'quake', selector: { horizon: 'PEAK' }, data: 4 }); // s1, s2
    engine.publish({ type: 'hi', to: 'broken', data: 5 }); // not accepting
    engine.publish({ type: 'nobody-listens', data: 6 }); // no subscribers
    const tick = first.controlTick;
    await engine.onControlTick(tick);

    expect(ticks.get(tick)).toMatchObject({ eventsRouted: 6, deliveries: 7, undeliverable: 1, transfers: 0, bounced: 0 });
    expect(engine.stats().eventsRouted).toBe(totalBefore + 6);
    expect(engine.stats().eventsUndeliverable).toBe(1);
    expect(routed.map((e) => [e.type, e.via, e.to, e.from, e.seq - first.seq, e.controlTick])).toEqual([
      ['hi', 'unicast', ['u'], 'external', 0, tick],
      ['news', 'broadcast', ['s1', 's2'], 'external', 1, tick],
      ['news', 'broadcast', ['s1', 's2'], 'external', 2, tick],
      ['quake', 'selector', ['s1', 's2'], 'external', 3, tick],
      ['hi', 'unicast', [], 'external', 4, tick],
      ['nobody-listens', 'broadcast', [], 'external', 5, tick],
    ]);
    expect(lost).toEqual([expect.objectContaining({ controlTick: tick, kind: 'event', from: 'external', to: 'broken', type: 'hi', reason: 'not-accepting' })]);

    await untilTick(engine, 'deliveries applied', () => engine.get('s2').eventsIn === 3 && engine.get('u').eventsIn === 1);
    const u = await probeState(engine, 'u');
    expect(u.got.map((e) => [e.type, e.data, e.via, e.path[1]!.controlTick])).toEqual([['hi', 1, 'unicast', tick]]);
    for (const id of ['s1', 's2']) {
      const s = await probeState(engine, id);
      expect(s.got.map((e) => [e.type, e.data, e.via, e.from, e.path[1]!.controlTick])).toEqual([
        ['news', 2, 'broadcast', 'external', tick],
        ['news', 3, 'broadcast', 'external', tick],
        ['quake', 4, 'selector', 'external', tick],
      ]);
    }
    expect(engine.get('broken').eventsIn).toBe(0);
    // Nothing was routed since: the next ticks report no traffic.
    await engine.onControlTick(tick + 2);
    expect(ticks.get(tick + 1)).toMatchObject({ eventsRouted: 0, deliveries: 0, undeliverable: 0 });
    expect(engine.stats().eventsRouted).toBe(totalBefore + 6);
  });

  it('orders a tick\'s deliveries by source realm then sequence, realms before external events, whatever shard each source is on', async () => {
    const engine = await startEngine({ shards: 2, mode: 'max', kindModules: [probeKind] });
    // Slots 0..3 in this order; placement alternates shards, so the lower slot `y` drains after `x`.
    const [, y, x] = await realms(engine, [{ id: 'filler' }, { id: 'y' }, { id: 'x', subscribe: ['n'] }, { id: 'sink', subscribe: ['n'] }]);
    expect([y!.shard, x!.shard]).toEqual([1, 0]);
    const ticks = reports(engine);
    // Inputs asked for when tick n closes are applied in round n + 2; events published when
    // n + 1 closes are routed at n + 2 too: one batch with realm and external sources.
    const n = engine.controlTick;
    let routedAt = 0;
    engine.on('controlTick', (info) => {
      if (info.controlTick === n + 1) {
        // x's second event is a broadcast (sink subscribes; x does too, but never gets its own).
        void engine.input('x', 'p', { emit: { to: 'sink', type: 'n', data: 'x1' } });
        void engine.input('x', 'p', { emit: { type: 'n', data: 'x2' } });
        void engine.input('x', 'p', { emit: { to: 'sink', type: 'n', data: 'x3' } });
        for (const k of [1, 2]) void engine.input('y', 'p', { emit: { to: 'sink', type: 'n', data: `y${k}` } });
      } else if (info.controlTick === n + 2) {
        routedAt = engine.publish({ type: 'n', to: 'sink', data: 'ext1' }).controlTick;
        engine.publish({ type: 'n', to: 'sink', data: 'ext2' });
      }
    });
    await untilTick(engine, 'sink got 7 events', () => engine.get('sink').eventsIn >= 7);
    const got = (await probeState(engine, 'sink')).got;
    expect(got.map((e) => e.data)).toEqual(['y1', 'y2', 'x1', 'x2', 'x3', 'ext1', 'ext2']);
    expect(got.map((e) => e.seq)).toEqual([1, 2, 1, 2, 3, expect.any(Number), expect.any(Number)]);
    expect(got.map((e) => e.via)).toEqual(['unicast', 'unicast', 'unicast', 'broadcast', 'unicast', 'unicast', 'unicast']);
    expect((await probeState(engine, 'x')).got).toEqual([]);
    expect(got.map((e) => e.path[1]!.controlTick)).toEqual(new Array(7).fill(routedAt));
    expect(routedAt).toBe(n + 3);
    expect(ticks.get(routedAt)).toMatchObject({ eventsRouted: 7, deliveries: 7 });
  });

  it('orders by source slot past 255 too (all four bytes of the source id count)', async () => {
    const engine = await startEngine({ shards: 1, mode: 'max', kindModules: [probeKind] });
    const fillers = Array.from({ length: 256 }, (_, i): Spec => ({ id: `f${i}`, params: { keep: false } }));
    const all = await realms(engine, [...fillers, { id: 'high' }, { id: 'sink' }]); // slots 0..257
    expect(all[256]!.realmId).toBe('high');
    // Both emit in the same round; slot 256 sorts after slot 1.
    void engine.input('high', 'p', { emit: { to: 'sink', type: 'n', data: 'from-256' } });
    void engine.input('f1', 'p', { emit: { to: 'sink', type: 'n', data: 'from-1' } });
    await untilTick(engine, 'sink got both', () => engine.get('sink').eventsIn >= 2);
    const got = (await probeState(engine, 'sink')).got;
    expect(got.map((e) => [e.from, e.data])).toEqual([['f1', 'from-1'], ['high', 'from-256']]);
    expect(got[0]!.path[1]!.controlTick).toBe(got[1]!.path[1]!.controlTick);
  });

  it('routes a batch of more than 1,024 frames and 64 KiB in one tick, every event once and in order', async () => {
    const engine = await startEngine({ shards: 2, mode: 'max', kindModules: [probeKind] });
    await realms(engine, [{ id: 'sink' }, { id: 'other', subscribe: ['tock'] }]);
    const ticks = reports(engine);
    const total = 2500;
    const pad = 'p'.repeat(40);
    let tick = 0;
    for (let i = 0; i < total; i++) tick = engine.publish({ type: 'bulk', to: 'sink', data: { i, pad } }).controlTick;
    engine.publish({ type: 'tock', data: 'last' });
    await engine.onControlTick(tick);
    expect(ticks.get(tick)).toMatchObject({ eventsRouted: total + 1, deliveries: total + 1 });
    await untilTick(engine, 'all delivered', () => engine.get('sink').eventsIn >= total && engine.get('other').eventsIn >= 1);
    const s = await probeState(engine, 'sink');
    expect(s.count).toBe(total);
    expect(s.outOfOrder).toBe(0);
    expect(s.got.map((e) => (e.data as { i: number }).i)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(s.got.every((e) => (e.data as { pad: string }).pad === pad && e.path[1]!.controlTick === tick)).toBe(true);
    expect((await probeState(engine, 'other')).got.map((e) => [e.type, e.data])).toEqual([['tock', 'last']]);
    // The router kept its grown capacity: a second large batch arrives intact too.
    let again = 0;
    for (let i = 0; i < total; i++) again = engine.publish({ type: 'bulk', to: 'sink', data: { i: total + i, pad } }).controlTick;
    await untilTick(engine, 'second batch delivered', () => engine.get('sink').eventsIn >= 2 * total);
    const s2 = await probeState(engine, 'sink');
    expect(s2.got.slice(total).map((e) => (e.data as { i: number }).i)).toEqual(Array.from({ length: total }, (_, i) => total + i));
    expect(ticks.get(again)?.deliveries).toBe(total);
  });

  it('carries a single event larger than twice the router\'s initial arena intact', async () => {
    const engine = await startEngine({ shards: 1, mode: 'max', maxPayloadBytes: 1 << 20, kindModules: [probeKind] });
    await realms(engine, [{ id: 'sink' }]);
    const big = 'y'.repeat(300_000);
    engine.publish({ type: 'small', to: 'sink', data: 'before' });
    const r = engine.publish({ type: 'big', to: 'sink', data: big });
    engine.publish({ type: 'small', to: 'sink', data: 'after' });
    await untilTick(engine, 'sink got 3 events', () => engine.get('sink').eventsIn >= 3);
    const got = (await probeState(engine, 'sink')).got;
    expect(got.map((e) => e.type)).toEqual(['small', 'big', 'small']);
    expect(got[1]!.data).toBe(big);
    expect([got[0]!.data, got[2]!.data]).toEqual(['before', 'after']);
    expect(got.every((e) => e.path[1]!.controlTick === r.controlTick)).toBe(true);
  });

  it('recomputes selector matches on registration, skips unregistered realms, and stops broadcasts after unsubscribe', async () => {
    const engine = await startEngine({ shards: 2, mode: 'max', kindModules: [probeKind, subscriberKind] });
    await realms(engine, [{ id: 'a', stat7: { horizon: 'PEAK' } }, { id: 'dim', stat7: { horizon: 'DECAY' } }, { id: 'sub', kind: 'subscriber' }]);
    const ticks = reports(engine);
    const routed: RoutedEvent[] = [];
    engine.on('routed', (e) => routed.push(e));
    const peak = { horizon: 'PEAK' as const };

    const q1 = engine.publish({ type: 'quake', selector: peak, data: 1 });
    await engine.onControlTick(q1.controlTick);
    await realms(engine, [{ id: 'b', stat7: { horizon: 'PEAK' } }]);
    const q2 = engine.publish({ type: 'quake', selector: peak, data: 2 });
    await untilTick(engine, 'b receives the second quake', () => engine.get('b').eventsIn === 1);
    expect((await probeState(engine, 'b')).got.map((e) => e.data)).toEqual([2]);
    expect((await probeState(engine, 'a')).got.map((e) => e.data)).toEqual([1, 2]);
    expect((await probeState(engine, 'dim')).got).toEqual([]);
    expect(ticks.get(q2.controlTick)?.deliveries).toBe(2);

    await engine.unregister('a');
    const q3 = engine.publish({ type: 'quake', selector: peak, data: 3 });
    await engine.onControlTick(q3.controlTick);
    expect(routed.filter((e) => e.type === 'quake').map((e) => e.to)).toEqual([['a'], ['a', 'b'], ['b']]);
    expect(ticks.get(q3.controlTick)).toMatchObject({ eventsRouted: 1, deliveries: 1, undeliverable: 0 });

    // Run-time subscriptions: delivered while subscribed, not after.
    await engine.input('sub', 'p', { subscribe: 'gossip' });
    await untilTick(engine, 'sub subscribed', () => engine.get('sub').subscriptions.includes('gossip') || undefined);
    const g1 = engine.publish({ type: 'gossip', data: 'on' });
    await untilTick(engine, 'sub receives gossip', () => engine.get('sub').eventsIn === 1);
    await engine.input('sub', 'p', { unsubscribe: 'gossip' });
    await untilTick(engine, 'sub unsubscribed', () => !engine.get('sub').subscriptions.includes('gossip'));
    const g2 = engine.publish({ type: 'gossip', data: 'off' });
    await engine.onControlTick(g2.controlTick + 2);
    expect(ticks.get(g1.controlTick)?.deliveries).toBe(1);
    expect(ticks.get(g2.controlTick)).toMatchObject({ eventsRouted: 1, deliveries: 0 });
    expect((await probeState(engine, 'sub')).got.map((e) => e.data)).toEqual(['on']);
  });

  it('orders a batch of more than 2^21 frames (past the sort key\'s reach) by source then sequence too', async () => {
    const engine = await startEngine({ shards: 1, mode: 'max', snapshotEvery: 0, kindModules: [probeKind] });
    await realms(engine, [{ id: 'x' }, { id: 'sink' }]);
    const ticks = reports(engine);
    const bulk = 2 ** 21;
    // x's emits (asked for when n closes) and the external batch (published when n + 1 closes) meet at n + 2;
    // the external events are in the router first, yet x's slot sorts before the external source.
    const n = engine.controlTick;
    let routedAt = 0;
    engine.on('controlTick', (info) => {
      if (info.controlTick === n + 1) {
        routedAt = engine.publish({ type: 'e', to: 'sink', data: 'ext-first' }).controlTick;
        for (let i = 0; i < bulk; i++) engine.publish({ type: 'void' }); // no subscribers: routed, delivered nowhere
        engine.publish({ type: 'e', to: 'sink', data: 'ext-last' });
      }
    });
    for (const k of [1, 2, 3]) void engine.input('x', 'p', { emit: { to: 'sink', type: 'e', data: `x${k}` } });
    await untilTick(engine, 'sink got 5 events', () => engine.get('sink').eventsIn >= 5);
    expect(routedAt).toBe(n + 2);
    expect(ticks.get(routedAt)).toMatchObject({ eventsRouted: bulk + 5, deliveries: 5 });
    expect((await probeState(engine, 'sink')).got.map((e) => [e.data, e.path[1]!.controlTick])).toEqual(
      ['x1', 'x2', 'x3', 'ext-first', 'ext-last'].map((d) => [d, routedAt]),
    );
  }, 120_000);
});

describe('router: hash collisions', () => {
  it('refuses a second event type or selector with a known 32-bit id, naming both', async () => {
    for (const [p, q] of TYPE_PAIRS) expect(fnv1a(p)).toBe(fnv1a(q));
    expect(selectorHash(toSelector(SEL_X))).toBe(selectorHash(toSelector(SEL_Y)));
    const [a, b] = TYPE_PAIRS[0]!;
    const engine = await startEngine({ shards: 1, mode: 'max', kindModules: [probeKind] });
    engine.publish({ type: a });
    let err: TickverseError | undefined;
    try {
      engine.publish({ type: b });
    } catch (e) {
      err = e as TickverseError;
    }
    expect(err?.code).toBe(ErrorCode.HASH_COLLISION);
    expect(err?.message).toBe(`event type "${b}" has the same 32-bit routing id as "${a}"; rename one of them`);
    expect(err?.detail).toEqual({ type: b, known: a });

    engine.publish({ type: 'quake', selector: SEL_X });
    err = undefined;
    try {
      engine.publish({ type: 'quake', selector: SEL_Y });
    } catch (e) {
      err = e as TickverseError;
    }
    const cx = canonicalSelector(toSelector(SEL_X));
    expect(err?.code).toBe(ErrorCode.HASH_COLLISION);
    expect(err?.message).toBe(`selector ${canonicalSelector(toSelector(SEL_Y))} has the same 32-bit routing id as ${cx}`);
    expect(err?.detail).toEqual({ known: cx });
    // The known ones stay usable.
    expect(() => engine.publish({ type: a })).not.toThrow();
    expect(() => engine.publish({ type: 'quake', selector: SEL_X })).not.toThrow();
  });

  it('learns types and selectors that realms use at run time, and fails a realm that subscribes to a colliding type', async () => {
    const [[a, b], [c, d], [e, f]] = TYPE_PAIRS as [[string, string], [string, string], [string, string]];
    const engine = await startEngine({ shards: 2, mode: 'max', kindModules: [probeKind, subscriberKind] });
    // Slot 0 stands aside: a shard's first-use reports of a type or selector (TYPE_DEF,
    // SELECTOR_DEF) do not name the realm that used it (workers/shard-port.ts).
    await realms(engine, [{ id: 'aside' }, { id: 'talker' }, { id: 'learner', kind: 'subscriber' }, { id: 'clash', kind: 'subscriber' }]);
    const collision = expect.objectContaining({ code: ErrorCode.HASH_COLLISION });

    // A type first used by a realm's emit, a type first subscribed to at run time, a selector
    // first used by a realm: each is then known, and its colliding twin is refused.
    await engine.input('talker', 'p', { emit: { type: c, data: 1 } });
    await engine.input('learner', 'p', { subscribe: e });
    await engine.input('talker', 'p', { emit: { type: 'quake', selector: SEL_X } });
    // (Probing with publish would teach the engine the twin first: wait on what the realms report.)
    await untilTick(engine, 'the engine saw them', () => engine.get('talker').eventsOut === 2 && engine.get('learner').subscriptions.includes(e));
    expect(() => engine.publish({ type: d })).toThrow(collision);
    expect(() => engine.publish({ type: f })).toThrow(collision);
    expect(() => engine.publish({ type: 'quake', selector: SEL_Y })).toThrow(collision);
    expect(() => engine.publish({ type: c })).not.toThrow();
    expect(() => engine.publish({ type: 'quake', selector: SEL_X })).not.toThrow();

    // A realm subscribing at run time to a type that collides with a known one is failed.
    engine.publish({ type: a });
    await engine.input('clash', 'p', { subscribe: b });
    await untilTick(engine, 'clash fails', () => engine.get('clash').state === 'error');
    expect(engine.get('clash').error).toContain(ErrorCode.HASH_COLLISION);
    expect(engine.get('clash').subscriptions).not.toContain(b);
    expect(() => engine.publish({ type: a })).not.toThrow();
    expect(() => engine.publish({ type: b })).toThrow(collision);
    expect(engine.get('learner').state).toBe('running');
    expect(engine.get('talker').state).toBe('running');
    // Subscribing again to a type the engine already knows under that very name is fine.
    await engine.input('learner', 'p', { subscribe: c });
    await untilTick(engine, 'learner subscribed to c', () => engine.get('learner').subscriptions.includes(c) || undefined);
    expect(engine.get('learner').state).toBe('running');
  });
});

describe('router: catch-up after a shard restart', () => {
  it('delivers what a restored realm missed exactly once, and nothing again to realms on the healthy shard', async () => {
    const { logger, lines } = recordingLogger();
    const engine = await startEngine({ shards: 2, mode: 'max', ticksPerControl: 2, snapshotEvery: 50, maxRestarts: 5, logger, kindModules: [probeKind] });
    const [h] = await realms(engine, [{ id: 'h', subscribe: ['news'], stat7: { horizon: 'PEAK' } }]);
    await untilTick(engine, 'a first snapshot', () => engine.stats().lastSnapshot !== null);
    // Registered after that snapshot: a restore rebuilds it from its registration plus the catch-up log.
    const [v] = await realms(engine, [{ id: 'v', subscribe: ['news'], stat7: { horizon: 'PEAK' } }]);
    expect(v!.shard).not.toBe(h!.shard);
    const snapshotTick = engine.stats().lastSnapshot!.controlTick;
    expect(snapshotTick).toBeLessThan(v!.registeredAtControlTick);
    const r = engine.publish({ type: 'to-v', to: 'v', data: 1 });
    engine.publish({ type: 'to-h', to: 'h', data: 2 });
    engine.publish({ type: 'news', data: 3 });
    engine.publish({ type: 'quake', selector: { horizon: 'PEAK' }, data: 4 });
    await untilTick(engine, 'all delivered', () => engine.get('v').eventsIn === 3 && engine.get('h').eventsIn === 3);
    // Later traffic reuses the router's arena: the log must hold its own copy of that tick.
    engine.publish({ type: 'noise', data: 'x'.repeat(64) });
    engine.publish({ type: 'noise', data: 'y'.repeat(64) });
    await engine.onControlTick(engine.controlTick + 2);
    expect(engine.stats().lastSnapshot!.controlTick).toBe(snapshotTick);
    engine.killShard(v!.shard);
    await untilTick(engine, 'v restored and running', () => engine.stats().shardRestarts === 1 && engine.get('v').state === 'running');
    await engine.onControlTick(engine.controlTick + 2);
    const expected = (first: [string, number]) => [first, ['news', 3], ['quake', 4]].map(([type, data]) => [type, data, r.controlTick]);
    const vs = await probeState(engine, 'v');
    expect(vs.got.map((e) => [e.type, e.data, e.path[1]!.controlTick])).toEqual(expected(['to-v', 1]));
    expect(vs.count).toBe(3);
    const hs = await probeState(engine, 'h');
    expect(hs.got.map((e) => [e.type, e.data, e.path[1]!.controlTick])).toEqual(expected(['to-h', 2]));
    expect(hs.count).toBe(3);
    const replaced = lines.filter((l) => l.msg === 'shard replaced');
    expect(replaced.map((l) => [l.obj.shard, l.obj.eventsReplayed])).toEqual([[v!.shard, 3]]);
    expect(engine.stats().barrierViolations).toBe(0);
  });

  it('replays transfers both ways: the entity leaves a restored source again and arrives at a restored destination', async () => {
    const { logger, lines } = recordingLogger();
    const engine = await startEngine({ shards: 2, mode: 'max', ticksPerControl: 2, snapshotEvery: 50, maxRestarts: 5, logger, kindModules: [probeKind] });
    const [a, b] = await realms(engine, [
      { id: 'a', params: { entities: [{ id: 'hero' }] } },
      { id: 'b', params: { entities: [{ id: 'gem' }] } },
    ]);
    expect([a!.shard, b!.shard]).toEqual([0, 1]);
    const ticks = reports(engine);
    let phase: 'snapshot' | 'moving' | 'done' = 'snapshot';
    let movedAt = 0;
    engine.on('controlTick', (info) => {
      if (phase === 'snapshot' && engine.stats().lastSnapshot !== null) {
        engine.transfer('hero', 'a', 'b');
        engine.transfer('gem', 'b', 'a');
        phase = 'moving';
      } else if (phase === 'moving' && info.transfers > 0) {
        movedAt = info.controlTick;
        phase = 'done';
      }
    });
    await untilTick(engine, 'both moved', () => phase === 'done' && engine.get('a').entities === 1 && engine.get('b').entities === 1 && engine.controlTick > movedAt + 1, 400);
    expect(ticks.get(movedAt)).toMatchObject({ transfers: 2, bounced: 0, undeliverable: 0 });
    expect(await ids(engine, 'a')).toEqual(['gem']);
    expect(await ids(engine, 'b')).toEqual(['hero']);
    const snapshotTick = engine.stats().lastSnapshot!.controlTick;
    expect(snapshotTick).toBeLessThan(movedAt);

    // Shard 0 (a): restored from before both transfers, then the log replays them.
    engine.killShard(0);
    await untilTick(engine, 'a running again', () => engine.stats().shardRestarts === 1 && engine.get('a').state === 'running');
    await engine.onControlTick(engine.controlTick + 1);
    expect(await ids(engine, 'a')).toEqual(['gem']);
    expect(await ids(engine, 'b')).toEqual(['hero']);
    // Shard 1 (b), still before the next snapshot.
    expect(engine.stats().lastSnapshot!.controlTick).toBe(snapshotTick);
    engine.killShard(1);
    await untilTick(engine, 'b running again', () => engine.stats().shardRestarts === 2 && engine.get('b').state === 'running');
    await engine.onControlTick(engine.controlTick + 1);
    expect(await ids(engine, 'a')).toEqual(['gem']);
    expect(await ids(engine, 'b')).toEqual(['hero']);
    expect(lines.filter((l) => l.msg === 'shard replaced').map((l) => [l.obj.shard, l.obj.eventsReplayed])).toEqual([[0, 1], [1, 1]]);
    expect(engine.stats().barrierViolations).toBe(0);
  });

  it('bounces a transfer back to its source, and reports one that neither destination nor source can take', async () => {
    const engine = await startEngine({ shards: 2, mode: 'max', kindModules: [probeKind] });
    // home is slot 1: the bounce must find its way back by the source id.
    await realms(engine, [{ id: 'broken', params: { script: [{ at: 0, throw: 'boom' }] } }, { id: 'home', params: { entities: [{ id: 'gem' }, { id: 'orb' }] } }]);
    await untilTick(engine, 'broken fails', () => engine.get('broken').state === 'error');
    const ticks = reports(engine);
    const lost: UndeliverableReport[] = [];
    engine.on('undeliverable', (u) => lost.push(u));

    engine.transfer('gem', 'home', 'broken');
    await untilTick(engine, 'gem bounced', () => lost.length >= 1);
    const bouncedAt = lost[0]!.controlTick;
    expect(lost).toEqual([expect.objectContaining({ kind: 'transfer', from: 'home', to: 'broken', entity: 'gem', reason: 'bounced' })]);
    expect(ticks.get(bouncedAt)).toMatchObject({ transfers: 0, bounced: 1, undeliverable: 0 });
    await engine.onControlTick(bouncedAt + 2);
    expect(await ids(engine, 'home')).toEqual(['gem', 'orb']);

    // The entity leaves home in the round after next; home is gone by the time it is routed.
    lost.length = 0;
    const n = engine.controlTick;
    engine.on('controlTick', (info) => {
      if (info.controlTick === n + 1) engine.transfer('orb', 'home', 'broken');
      else if (info.controlTick === n + 2) void engine.unregister('home');
    });
    await untilTick(engine, 'two reports', () => lost.length >= 2);
    const at = lost[0]!.controlTick;
    expect(lost).toEqual([
      expect.objectContaining({ controlTick: at, kind: 'transfer', to: 'broken', entity: 'orb', reason: 'bounced' }),
      expect.objectContaining({ controlTick: at, kind: 'transfer', entity: 'orb', reason: 'unknown-realm' }),
    ]);
    expect(ticks.get(at)).toMatchObject({ transfers: 0, bounced: 1, undeliverable: 1 });
    expect(engine.stats()).toMatchObject({ transfersBounced: 2, eventsUndeliverable: 1 });
  });
});

describe('control loop', () => {
  it('reports per tick: timings that fit in the tick, local ticks, entities, per-shard stats and hashes when due', async () => {
    const k = 2;
    const engine = await startEngine({ shards: 2, mode: 'realtime', tickHz: 100, ticksPerControl: k, hashEvery: 2, kindModules: [probeKind] });
    const [a, b] = await realms(engine, [{ id: 'a', params: { entities: [{ id: 'e1' }, { id: 'e2' }, { id: 'e3' }] } }, { id: 'b' }]);
    expect([a!.shard, b!.shard]).toEqual([0, 1]);
    await engine.onControlTick(engine.controlTick + 2);
    const seen: { info: ControlTickInfo; at: number }[] = [];
    engine.on('controlTick', (info) => seen.push({ info, at: performance.now() }));
    const from = engine.controlTick;
    await engine.onControlTick(from + 12);
    const period = (k * 1000) / 100;
    expect(seen.map((s) => s.info.controlTick)).toEqual(Array.from({ length: seen.length }, (_, i) => from + 1 + i));
    for (let i = 1; i < seen.length; i++) {
      const { info } = seen[i]!;
      const gap = seen[i]!.at - seen[i - 1]!.at;
      for (const t of [info.barrierMs, info.routeMs, info.roundMs, info.durationMs]) {
        expect(Number.isFinite(t)).toBe(true);
        expect(t).toBeGreaterThanOrEqual(0);
      }
      // Release → last arrival → noticed → routed: the parts nest, and the tick fits between two reports.
      // (Arrival times come from the shards' clocks: allow a little skew.)
      expect(info.barrierMs + info.routeMs).toBeLessThanOrEqual(info.durationMs + 0.5);
      expect(info.roundMs + info.durationMs).toBeLessThanOrEqual(gap + 2);
      expect(info).toMatchObject({ localTicks: 2 * k, entityUpdates: 3 * k, eventsRouted: 0 });
      expect(info.shards.map((s) => [s.shard, s.realms, s.entities, s.outBacklog, s.stateFramesDropped, s.outRingOverflows, s.inRingOverflows])).toEqual([
        [0, 1, 3, 0, 0, 0, 0],
        [1, 1, 0, 0, 0, 0, 0],
      ]);
      for (const s of info.shards) {
        expect(s.busyMs).toBeGreaterThanOrEqual(0);
        expect(s.outRingUsed).toBeGreaterThanOrEqual(0);
        expect(s.inRingUsed).toBeGreaterThanOrEqual(0);
      }
      if (info.controlTick % 2 === 0) {
        expect(Object.keys(info.hashes).sort()).toEqual(['a', 'b']);
        expect(Object.values(info.hashes).every((h) => Number.isInteger(h))).toBe(true);
      } else expect(info.hashes).toEqual({});
    }
    const infos = seen.slice(1).map((s) => s.info);
    // Paced by the clock: most of a tick is the round itself, and closing it costs something.
    const rounds = infos.map((i) => i.roundMs).sort((x, y) => x - y);
    expect(rounds[Math.floor(rounds.length / 2)]!).toBeGreaterThan(period / 2);
    expect(infos.some((i) => i.durationMs > 0)).toBe(true);
    expect(infos.some((i) => i.barrierMs > 0)).toBe(true);
    expect(infos.some((i) => i.routeMs > 0)).toBe(true);
    expect(infos.some((i) => i.shards.some((s) => s.busyMs > 0))).toBe(true);
    expect(engine.stats().barrierViolations).toBe(0);
  });

  it('realtime: after the main thread was blocked, rounds are paced again instead of catching up in a burst', async () => {
    const engine = await startEngine({ shards: 1, mode: 'realtime', tickHz: 200, ticksPerControl: 1 });
    await engine.register({ realm_id: 't', game_id: 'g', kind: 'tavern' });
    await engine.onControlTick(engine.controlTick + 2);
    const until = performance.now() + 250;
    while (performance.now() < until); // a long synchronous stall: 50 rounds' worth
    const t0 = performance.now();
    const first = engine.controlTick;
    await engine.onControlTick(first + 12);
    // 12 rounds of 5 ms, counted from the first one after the stall.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(40);
  });

  it('lists a state hash only for realms whose shard hashed it this tick (not one still booting)', async () => {
    const engine = await startEngine({ shards: 2, mode: 'max', hashEvery: 1, kindModules: [probeKind] });
    await realms(engine, [{ id: 'a' }]);
    const seen: Record<string, number>[] = [];
    engine.on('controlTick', (info) => seen.push(info.hashes));
    const late = engine.register({ realm_id: 'late', game_id: 'g', kind: 'probe' });
    await late;
    await untilTick(engine, 'late hashed', () => seen.some((h) => 'late' in h));
    expect(seen.length).toBeGreaterThan(0);
    for (const h of seen) {
      expect(Object.values(h).every((v) => Number.isInteger(v))).toBe(true);
      expect(Object.keys(h)).toContain('a');
    }
  });

  it('a shard that dies mid-round adds nothing to that tick\'s local ticks and busy time', async () => {
    const k = 2;
    const engine = await startEngine({ shards: 2, mode: 'max', ticksPerControl: k, maxRestarts: 5, kindModules: [probeKind] });
    const [v, h] = await realms(engine, [{ id: 'v', params: { entities: [{ id: 'e' }] } }, { id: 'h' }]);
    expect(v!.shard).not.toBe(h!.shard);
    await engine.onControlTick(engine.controlTick + 2);
    const ticks = reports(engine);
    const n = engine.controlTick;
    void engine.input('v', 'p', { exit: true }); // applied in round n + 2: v's shard ends in the middle of it
    await untilTick(engine, 'the shard died', () => engine.stats().shardFailures >= 1 && engine.controlTick >= n + 2);
    expect(ticks.get(n + 1)).toMatchObject({ localTicks: 2 * k, entityUpdates: k });
    const died = ticks.get(n + 2)!;
    expect(died).toMatchObject({ localTicks: k, entityUpdates: 0 });
    expect(died.shards[v!.shard]!.busyMs).toBe(0);
    expect(died.shards[h!.shard]!.busyMs).toBeGreaterThan(0);
  });

  it('places a new realm on the shard with fewer entities, from the shards\' round reports', async () => {
    const engine = await startEngine({ shards: 2, mode: 'max', kindModules: [probeKind] });
    const many = Array.from({ length: 1500 }, (_, i) => ({ id: `m${i}` }));
    const [heavy, light] = await realms(engine, [{ id: 'heavy', params: { entities: many, keep: false } }, { id: 'light' }]);
    await untilTick(engine, 'entities reported', () => engine.stats().last?.shards.find((s) => s.shard === heavy!.shard)?.entities === 1500);
    const fresh = await engine.register({ realm_id: 'fresh', game_id: 'g', kind: 'probe' });
    expect(fresh.shard).toBe(light!.shard);
    expect(fresh.shard).not.toBe(heavy!.shard);
  });

  it('applies a command issued when tick n closes in round n + 2, and routes an event published then at n + 1', async () => {
    const engine = await startEngine({ shards: 2, mode: 'max', kindModules: [probeKind] });
    await realms(engine, [{ id: 'home', params: { entities: [{ id: 'hero' }] } }, { id: 'away' }]);
    const ticks = reports(engine);
    let issued = 0;
    let published = 0;
    engine.on('controlTick', (info) => {
      if (issued !== 0) return;
      issued = info.controlTick;
      engine.transfer('hero', 'home', 'away');
      void engine.input('home', 'p', { emit: { to: 'away', type: 'by-input' } });
      published = engine.publish({ type: 'by-publish', to: 'away' }).controlTick;
    });
    await untilTick(engine, 'hero arrived and both events delivered', () => engine.get('away').entities === 1 && engine.get('away').eventsIn === 2);
    expect(published).toBe(issued + 1);
    expect(ticks.get(issued + 1)).toMatchObject({ eventsRouted: 1, transfers: 0 });
    expect(ticks.get(issued + 2)).toMatchObject({ eventsRouted: 1, transfers: 1 });
    const got = (await probeState(engine, 'away')).got;
    expect(got.map((e) => [e.type, e.path[1]!.controlTick])).toEqual([['by-publish', issued + 1], ['by-input', issued + 2]]);
  });

  it('stops with service rounds that run no local ticks, after which the data directory holds the last state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tickverse-mut-'));
    dirs.push(dir);
    const opts = { shards: 2, mode: 'max' as const, ticksPerControl: 3, dataDir: dir, kindModules: [probeKind] };
    const first = new Engine(opts);
    const finals: ControlTickInfo[] = [];
    let before = -1;
    let lastTick = -1;
    try {
      await first.start();
      await first.register({ realm_id: 'p', game_id: 'g', kind: 'probe', params: { entities: [{ id: 'e' }] } });
      await first.onControlTick(first.controlTick + 4);
      // Stopping now: the next round is the service round (code awaiting a tick runs before the next release).
      before = first.get('p').localTick;
      lastTick = first.controlTick;
      first.on('controlTick', (info) => finals.push(info));
    } finally {
      await first.stop();
    }
    expect(before).toBeGreaterThan(0);
    // One service round, or more while a large final snapshot passes through the rings.
    expect(finals.length).toBeGreaterThanOrEqual(1);
    expect(finals.map((i) => [i.controlTick, i.localTicks, i.entityUpdates])).toEqual(finals.map((_, k) => [lastTick + 1 + k, 0, 0]));
    expect(first.get('p').localTick).toBe(before);
    const second = await startEngine(opts);
    expect(second.recovery).toMatchObject({ snapshotTick: lastTick, realmsRestored: 1, hashesChecked: 1, hashMismatches: 0 });
    expect(await ids(second, 'p')).toEqual(['e']);
    await untilTick(second, 'p ticking again', () => second.get('p').localTick > before);
    // Stopped before the directory is removed: its final snapshot goes there.
    await second.stop();
  });

  it('stops even when the final snapshot cannot be written, and says so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tickverse-mut-'));
    dirs.push(dir);
    const { logger, lines } = recordingLogger();
    const engine = new Engine({ shards: 1, mode: 'max', snapshotEvery: 0, dataDir: dir, logger, kindModules: [probeKind] });
    try {
      await engine.start();
      await engine.register({ realm_id: 'p', game_id: 'g', kind: 'probe' });
      await engine.onControlTick(engine.controlTick + 2);
      await rm(dir, { recursive: true, force: true }); // nowhere to write the final snapshot
    } finally {
      await engine.stop();
    }
    expect(engine.running).toBe(false);
    expect(lines.filter((l) => l.msg === 'final snapshot failed').map((l) => [l.level, typeof l.obj.error])).toEqual([['error', 'string']]);
  });

  it('stops with a final snapshot larger than the rings, which a restart restores whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tickverse-mut-'));
    dirs.push(dir);
    const opts = { shards: 1, mode: 'max' as const, ringBytes: 1 << 14, snapshotEvery: 0, dataDir: dir, kindModules: [probeKind] };
    const first = new Engine(opts);
    const finals: ControlTickInfo[] = [];
    try {
      await first.start();
      await first.register({ realm_id: 'big', game_id: 'g', kind: 'probe' });
      // Grown by inputs small enough for the ring: 40 entities of 2.5 KB.
      for (let i = 0; i < 40; i++) void first.input('big', 'p', { add: { id: `thing-${i}`, note: 'n'.repeat(2500) } });
      await untilTick(first, 'state grown', () => first.get('big').entities === 40);
      first.on('controlTick', (info) => finals.push(info));
    } finally {
      await first.stop();
    }
    // ~100 KB of state through 16 KiB rings: more than one service round.
    expect(finals.length).toBeGreaterThan(1);
    expect(finals.every((i) => i.localTicks === 0)).toBe(true);
    const second = await startEngine(opts);
    expect(second.recovery).toMatchObject({ realmsRestored: 1, hashMismatches: 0 });
    expect((await second.entities('big')).map((e) => e.id)).toEqual(Array.from({ length: 40 }, (_, i) => `thing-${i}`));
  });
});
