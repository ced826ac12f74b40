// @ts-nocheck
// Nothing a realm or its inputs do stops the engine, harms the realm's neighbours, or prevents
// a restart: state budgets, snapshots and restores of any accepted size, and hooks that throw.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode, type Engine } from '../engine/index.js';
import { probeKind, startEngine, untilTick } from './helpers.js';

const fragileKind = new URL('./fixtures/fragile-kind.mjs', import.meta.url).href;
const kinds = [probeKind, fragileKind];

/** Registers `id` (fragile) and a probe neighbour on the same shard of a one-shard engine. */
async function pair(engine: Engine, id = 'f'): Promise<void> {
  await engine.register({ realm_id: id, game_id: 'h', kind: 'fragile' });
  await engine.register({ realm_id: `${id}-neighbour`, game_id: 'h', kind: 'probe', params: { entities: [{ id: 'n1' }] } });
}

const blob = (kb: number, c = 'x'): string => c.repeat(kb * 1024);

describe('hardening: realm state and hooks', () => {
  it('refuses, with a code, the input that would grow a realm past its state budget', async () => {
    const engine = await startEngine({ shards: 1, mode: 'max', maxRealmStateBytes: 64 * 1024, kindModules: kinds });
    await pair(engine);
    expect(() => engine.input('f', 'p', { blob: blob(20) })).toThrow(expect.objectContaining({ code: ErrorCode.PAYLOAD_TOO_LARGE }));
    let refused: unknown = null;
    for (let i = 0; i < 40 && refused === null; i++) {
      try {
        void engine.input('f', 'p', { blob: blob(8) });
      } catch (e) {
        refused = e;
      }
      await engine.onControlTick(engine.controlTick + 1);
    }
    expect(refused).toMatchObject({ code: ErrorCode.REALM_STATE_LIMIT });
    // Refused before it got there: the realm still runs, under its budget plus one input.
    await engine.onControlTick(engine.controlTick + 2);
    const info = engine.get('f');
    expect(info.state).toBe('running');
    expect(info.stateBytes).toBeLessThanOrEqual(64 * 1024 + 8 * 1024 + 64);
  });

  it('snapshots, restarts from disk and restores after a shard death a realm larger than any ring frame', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tv-big-'));
    const opts = { shards: 1, mode: 'max' as const, ringBytes: 256 * 1024, maxInputBytes: 16 * 1024, dataDir, snapshotEvery: 2, kindModules: kinds };
    const engine = await startEngine(opts);
    await pair(engine);
    for (let i = 0; i < 40; i++) await engine.input('f', 'p', { blob: blob(15, String.fromCharCode(97 + (i % 26))) });
    await untilTick(engine, 'all 40 blobs in', () => engine.get('f').entities === 40);
    const full = engine.controlTick;
    // 600 KB of state: more than the 128 KiB a frame of this ring can carry.
    await untilTick(engine, 'a snapshot after the blobs', () => (engine.stats().lastSnapshot?.controlTick ?? 0) > full && (engine.get('f').stateBytes ?? 0) > 128 * 1024, 20_000);
    engine.killShard(0);
    await untilTick(engine, 'restored after the kill', () => engine.stats().shardRestarts === 1 && engine.get('f').state === 'running', 20_000);
    expect(engine.get('f').entities).toBe(40);
    await engine.stop();
    const again = await startEngine(opts);
    expect(again.recovery?.realmsRestored).toBe(2);
    await untilTick(again, 'running from disk', () => again.get('f').state === 'running');
    expect((await again.entities('f')).length).toBe(40);
    expect(again.get('f-neighbour').state).toBe('running');
  });

  it('starts anyway when one realm cannot be restored: that realm alone is failed, with the reason', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tv-poison-'));
    const opts = { shards: 1, mode: 'max' as const, dataDir, snapshotEvery: 2, kindModules: kinds };
    const engine = await startEngine(opts);
    await pair(engine);
    await engine.input('f', 'p', { poison: true });
    await engine.onControlTick(engine.controlTick + 4);
    await engine.stop();
    const again = await startEngine(opts);
    await untilTick(again, 'the poisoned realm failed', () => again.get('f').state === 'error');
    expect(again.get('f').error).toMatch(/restore exploded/);
    expect(again.get('f-neighbour').state).toBe('running');
    expect((await again.entities('f-neighbour')).map((e) => e.id)).toEqual(['n1']);
    expect(again.stats().shardFailures).toBe(0);
  });

  it("starts anyway when a realm's kind is gone: that realm comes back failed, with the reason, not lost", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tv-gone-'));
    const engine = await startEngine({ shards: 1, mode: 'max', dataDir, snapshotEvery: 2, kindModules: kinds });
    await pair(engine);
    await engine.onControlTick(engine.controlTick + 4);
    await engine.stop();
    // Restarted without the fragile kind module.
    const again = await startEngine({ shards: 1, mode: 'max', dataDir, snapshotEvery: 2, kindModules: [probeKind] });
    await untilTick(again, 'the realm of the missing kind failed', () => again.get('f').state === 'error');
    expect(again.get('f').error).toMatch(/UNKNOWN_KIND/);
    expect(again.get('f-neighbour').state).toBe('running');
  });

  it.each(['view', 'snapshot', 'tick', 'event'])('a throwing %s hook fails that realm only; its shard and neighbours go on', async (hook) => {
    const engine = await startEngine({ shards: 1, mode: 'max', kindModules: kinds });
    await pair(engine);
    await engine.input('f', 'p', { boom: hook });
    await engine.onControlTick(engine.controlTick + 2);
    if (hook === 'view') await expect(engine.entities('f')).rejects.toMatchObject({ code: ErrorCode.REALM_CRASHED });
    if (hook === 'snapshot') await expect(engine.snapshot('f')).rejects.toMatchObject({ code: ErrorCode.REALM_CRASHED });
    if (hook === 'event') engine.publish({ type: 'poke', to: 'f' });
    await untilTick(engine, `${hook} failed the realm`, () => engine.get('f').state === 'error');
    expect(engine.get('f').error).toContain(`${hook === 'event' ? 'onEvent' : hook} exploded`);
    const tick = engine.get('f-neighbour').localTick;
    await engine.onControlTick(engine.controlTick + 3);
    expect(engine.get('f-neighbour').state).toBe('running');
    expect(engine.get('f-neighbour').localTick).toBeGreaterThan(tick);
    expect(engine.stats().shardFailures).toBe(0);
    // Snapshots go on without it (it keeps its last good state).
    const backup = await engine.backup(join(await mkdtemp(join(tmpdir(), 'tv-bk-')), 'b.tvsnap'));
    expect(backup.realms).toBe(2);
  });

  it('bounds the backlog of deliveries to a shard that is far behind: the excess is reported, never silently dropped', async () => {
    // 4 KiB rings: a shard's backlog is capped at 16 × 4 KiB of events.
    const engine = await startEngine({ shards: 1, mode: 'max', ringBytes: 4096, maxPayloadBytes: 256, kindModules: kinds });
    await engine.register({ realm_id: 'sink', game_id: 'h', kind: 'probe', params: { keep: false } });
    const lost: { reason: string; to: string }[] = [];
    engine.on('undeliverable', (u) => lost.push(u));
    const n = 3000; // ~3000 × 60 B ≈ 180 KB in one control tick: more than ring + backlog
    let last = 0;
    for (let i = 0; i < n; i++) last = engine.publish({ type: 'flood', to: 'sink', data: i }).controlTick;
    await engine.onControlTick(last);
    await untilTick(engine, 'the backlog drains', () => engine.get('sink').eventsIn + lost.length === n || undefined, 20_000);
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.every((u) => u.reason === 'overloaded' && u.to === 'sink')).toBe(true);
    expect(engine.stats().eventsUndeliverable).toBe(lost.length);
    // What was accepted arrived, in order.
    const state = (await engine.snapshot('sink')) as { data: { count: number; outOfOrder: number } };
    expect(state.data.count).toBe(n - lost.length);
    expect(state.data.outOfOrder).toBe(0);
  });
});
