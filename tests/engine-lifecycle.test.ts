// Realm lifecycle, state streams, ring overflow accounting and realtime pacing, against
// real shard threads.
import { describe, expect, it } from 'vitest';
import { unpack } from 'msgpackr';
import type { RealmChange, StateFrame } from '../engine/index.js';
import { probeKind, probeState, startEngine, untilTick } from './helpers.js';
import { readBundle } from '../protocol/state-bundle.js';
import { StateModel } from '../protocol/state-wire.js';

describe('engine lifecycle', () => {
  it('reports registry changes, pauses and resumes a realm, and unregisters it', async () => {
    const engine = await startEngine({ shards: 2, mode: 'max' });
    const changes: string[] = [];
    engine.on('realm', (c: RealmChange) => changes.push(`${c.realmId}:${c.change}:${c.state}`));
    const info = await engine.register({ realm_id: 'tavern', game_id: 'demo', kind: 'tavern', adjacency: 'cluster_main', resonance: 0.7, density: 0.4 });
    expect(info).toMatchObject({ realmId: 'tavern', gameId: 'demo', state: 'running', stat7Canonical: 'stat7:tavern/0/cluster_main/EMERGENCE/0.700/BALANCE/3' });
    const paused = await engine.pause('tavern');
    expect(paused.state).toBe('paused');
    const tick = engine.get('tavern').localTick;
    await engine.onControlTick(engine.controlTick + 3);
    expect(engine.get('tavern').localTick).toBe(tick);
    expect((await engine.resume('tavern')).state).toBe('running');
    await engine.onControlTick(engine.controlTick + 1);
    expect(engine.get('tavern').localTick).toBeGreaterThan(tick);
    await engine.unregister('tavern');
    expect(engine.list()).toEqual([]);
    expect(changes).toEqual(['tavern:registered:booting', 'tavern:state:running', 'tavern:state:paused', 'tavern:state:running', 'tavern:unregistered:offline']);
  });

  it('holds events for a paused realm and delivers them on resume', async () => {
    const engine = await startEngine({ shards: 1, mode: 'max', kindModules: [probeKind] });
    await engine.register({ realm_id: 'p', game_id: 'g', kind: 'probe' });
    await engine.pause('p');
    const r = engine.publish({ type: 'wake', to: 'p', data: 1 });
    await engine.onControlTick(r.controlTick + 2);
    expect((await probeState(engine, 'p')).got).toHaveLength(0);
    await engine.resume('p');
    await untilTick(engine, 'event delivered after resume', () => engine.get('p').eventsIn === 1);
    expect((await probeState(engine, 'p')).got.map((e) => e.type)).toEqual(['wake']);
  });

  it('streams a keyframe then deltas for a watched realm, with consecutive sequence numbers', async () => {
    const engine = await startEngine({ shards: 2, mode: 'realtime', tickHz: 50, ticksPerControl: 5 });
    await engine.register({ realm_id: 'forest', game_id: 'demo', kind: 'forest' });
    const frames: StateFrame[] = [];
    engine.on('state', (realm: string, bytes: Uint8Array) => {
      if (realm !== 'forest') return;
      // One bundle per tick: the whole-realm stream's frame (the forest has no cells).
      const b = readBundle(bytes)!;
      expect(b.cellSize).toBe(0);
      for (const f of b.frames) frames.push(unpack(f.bytes) as StateFrame);
    });
    const unwatch = engine.watch('forest');
    await untilTick(engine, '10 state frames', () => frames.length >= 10);
    unwatch();
    const model = new StateModel();
    const pictures = frames.map((f) => {
      expect(model.apply(f)).toBe(f.key === true ? 'keyframe' : 'delta');
      return new Map([...model.ents.values()].map((e) => [e.id, model.view(e)]));
    });
    expect(frames[0]).toMatchObject({ op: 'state', realm: 'forest', key: true, fields: ['x', 'y', 'name', 'mood'], scale: [100, 100, 0, 0] });
    expect(pictures[0]!.size).toBe(11);
    expect([...pictures[0]!.values()][0]).toEqual(expect.objectContaining({ id: expect.any(String), x: expect.any(Number), y: expect.any(Number), name: expect.any(String) }));
    expect(frames.slice(1, 10).every((f) => f.key !== true && (f.update?.length ?? 0) > 0)).toBe(true);
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.seq).toBe(frames[i - 1]!.seq + 1);
    // Entities move: some position differs between the keyframe and a later delta.
    const first = pictures[0]!;
    const later = pictures[9]!;
    expect([...first.values()].some((e) => later.has(e.id as string) && (later.get(e.id as string)!.x !== e.x || later.get(e.id as string)!.y !== e.y))).toBe(true);
    // And what the stream shows is the realm's own view, to the hundredth.
    const truth = await engine.entities('forest');
    expect(truth.length).toBe(later.size);
  });

  it('never drops events when an out-ring overflows: they wait and arrive, and the overflow is counted', async () => {
    // A 4 KiB ring cannot carry 2,000 events in one tick: the shard holds them back.
    const engine = await startEngine({ shards: 2, mode: 'max', ringBytes: 4096, ticksPerControl: 1, maxPayloadBytes: 512, kindModules: [probeKind] });
    const script = [{ at: 1, emit: { to: 'sink', type: 'burst', data: 'x'.repeat(40) } }];
    await engine.register({ realm_id: 'sink', game_id: 'g', kind: 'probe', params: { keep: false } });
    await engine.register({ realm_id: 'src', game_id: 'g', kind: 'probe', params: { script: [{ ...script[0], repeat: 2000 }] } });
    await untilTick(engine, '2,000 events delivered', () => engine.get('sink').eventsIn >= 2000, 2000);
    const sink = await probeState(engine, 'sink');
    expect(sink.count).toBe(2000);
    expect(sink.outOfOrder).toBe(0);
    expect(sink.lastSeq).toEqual({ src: 2000 });
    const overflows = engine.stats().last!.shards.reduce((n, s) => n + s.outRingOverflows, 0);
    expect(overflows).toBeGreaterThan(0);
    expect(engine.get('src').eventsOut).toBe(2000);
  });

  it('paces realtime mode by the wall clock', async () => {
    const engine = await startEngine({ shards: 1, mode: 'realtime', tickHz: 100, ticksPerControl: 2 });
    await engine.register({ realm_id: 't', game_id: 'g', kind: 'tavern' });
    const t0 = performance.now();
    const first = engine.get('t').localTick;
    await engine.onControlTick(engine.controlTick + 10);
    const elapsed = performance.now() - t0;
    const ticks = engine.get('t').localTick - first;
    // 100 Hz: a local tick can never run ahead of the clock (one round of slack for phase).
    expect(ticks).toBeGreaterThanOrEqual(18);
    expect(ticks * 10).toBeLessThanOrEqual(elapsed + 20 + 2 * 10);
  });
});
