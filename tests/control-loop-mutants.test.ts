// The control loop and the catch-up log, pinned down against real shard threads: what the
// catch-up log keeps (and that a snapshot trims it, so memory does not grow with uptime),
// stopping when the shards die during the final snapshot or are all gone for good, state
// hashes in the round a shard dies, and code awaiting a tick getting its turn before the next
// release. Written to kill the mutants StrykerJS finds in engine/control-loop.ts and
// engine/route-log.ts (`npx stryker run stryker.control.json`), but every assertion is
// something a user of the engine (or of the log) can observe.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Engine } from '../engine/index.js';
import type { ControlTickInfo, EngineLogger } from '../engine/index.js';
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
    const grown = heldBytes() - before;
    // Untrimmed, the log would hold every tick's batch: ticks × perTick × perEvent bytes.
    expect(grown).toBeLessThan((ticks * perTick * perEvent) / 4);
  });
});

/** A logger that keeps what it is told. */
function recordingLogger(): { logger: EngineLogger; lines: { level: string; obj: Record<string, unknown>; msg: string | undefined }[] } {
  const lines: { level: string; obj: Record<string, unknown>; msg: string | undefined }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { logger: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') }, lines };
}

/** Fails with `what` unless `p` settles within `ms` (a bound on a hang, not a wait for a state). */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, bound]);
  } finally {
    clearTimeout(timer);
  }
}

describe('control loop: stopping and dead shards', () => {
  it('stop() returns when the only shard dies while handing over its final snapshot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tickverse-loop-'));
    const { logger, lines } = recordingLogger();
    const engine = new Engine({ shards: 1, mode: 'max', snapshotEvery: 0, dataDir: dir, logger, kindModules: [probeKind] });
    try {
      await engine.start();
      await engine.register({ realm_id: 'p', game_id: 'g', kind: 'probe' });
      await engine.onControlTick(engine.controlTick + 2);
      const ticks: number[] = [];
      engine.on('controlTick', (info) => ticks.push(info.controlTick));
      const last = engine.controlTick;
      // Written with the final snapshot's question in the service round: the shard ends before answering.
      engine.input('p', 'pl', { exit: true }).catch(() => undefined);
      await within(engine.stop(), 20_000, 'stop()');
      expect(engine.running).toBe(false);
      // The service round in which the shard died, and no more.
      expect(ticks).toEqual([last + 1]);
      expect(lines.filter((l) => l.msg === 'final snapshot failed')).toEqual([]);
    } finally {
      await engine.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('does not restart a shard that died as stop() began, while the final snapshot is being written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tickverse-loop-'));
    const { logger, lines } = recordingLogger();
    let engine: Engine | null = null;
    let stopped: (stop: { done: Promise<void> }) => void = () => undefined;
    const stopping = new Promise<{ done: Promise<void> }>((resolve) => (stopped = resolve));
    // Stop from inside the death report: the shard is dead and due for a restart at the next round.
    const stopOnDeath: EngineLogger = { ...logger, error: (obj: object, msg?: string) => {
      logger.error(obj, msg);
      if (msg === 'shard died') stopped({ done: engine!.stop() });
    } };
    engine = new Engine({ shards: 2, mode: 'max', snapshotEvery: 0, dataDir: dir, logger: stopOnDeath, kindModules: [probeKind] });
    try {
      await engine.start();
      const p = await engine.register({ realm_id: 'p', game_id: 'g', kind: 'probe', params: { entities: [{ id: 'e' }] } });
      const empty = 1 - p.shard;
      await engine.onControlTick(engine.controlTick + 2);
      engine.killShard(empty);
      const stop = await within(stopping, 20_000, 'the death report');
      await within(stop.done, 20_000, 'stop()');
      expect(engine.running).toBe(false);
      expect(engine.stats()).toMatchObject({ shardFailures: 1, shardRestarts: 0 });
      expect(lines.filter((l) => l.msg === 'shard replaced' || l.msg === 'final snapshot failed')).toEqual([]);
    } finally {
      await engine.stop();
    }
    // The final snapshot went through: the realm comes back from it.
    const again = new Engine({ shards: 2, mode: 'max', snapshotEvery: 0, dataDir: dir, kindModules: [probeKind] });
    try {
      await again.start();
      expect(again.recovery).toMatchObject({ realmsRestored: 1, hashMismatches: 0 });
      expect((await again.entities('p')).map((e) => e.id)).toEqual(['e']);
    } finally {
      await again.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps closing control ticks with every shard dead for good, and stops at once without a final snapshot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tickverse-loop-'));
    const { logger, lines } = recordingLogger();
    const engine = new Engine({ shards: 1, mode: 'max', maxRestarts: 0, snapshotEvery: 0, dataDir: dir, logger, kindModules: [probeKind] });
    try {
      await engine.start();
      await engine.register({ realm_id: 'p', game_id: 'g', kind: 'probe' });
      engine.killShard(0);
      await within(untilTick(engine, 'the shard given up on', () => engine.get('p').state === 'error' && engine.stats().shardsAlive === 0), 20_000, 'control ticks with no shard');
      expect(engine.get('p').error).toContain('SHARD_FAILED');
      // No shard to wait for: ticks still close, and an event to the failed realm is reported, not lost.
      const r = engine.publish({ type: 'hello', to: 'p' });
      const info = await engine.onControlTick(r.controlTick + 3);
      expect(info.controlTick).toBe(r.controlTick + 3);
      expect(engine.stats().eventsUndeliverable).toBe(1);
      const ticks: number[] = [];
      engine.on('controlTick', (i) => ticks.push(i.controlTick));
      await within(engine.stop(), 20_000, 'stop()');
      expect(ticks).toEqual([]); // no service round: nobody is left to hand over a snapshot
      expect(lines.filter((l) => l.msg === 'final snapshot failed')).toEqual([]);
    } finally {
      await engine.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('control loop: the control-tick report', () => {
  it('lists no state hash for the realms of a shard that died in the round (their last one is stale)', async () => {
    const engine = await startEngine({ shards: 2, mode: 'max', hashEvery: 1, maxRestarts: 5, kindModules: [probeKind] });
    const v = await engine.register({ realm_id: 'v', game_id: 'g', kind: 'probe', params: { entities: [{ id: 'e' }] } });
    const h = await engine.register({ realm_id: 'h', game_id: 'g', kind: 'probe' });
    expect(v.shard).not.toBe(h.shard);
    await engine.onControlTick(engine.controlTick + 2);
    const ticks = new Map<number, ControlTickInfo>();
    engine.on('controlTick', (info) => ticks.set(info.controlTick, info));
    const n = engine.controlTick;
    engine.input('v', 'p', { exit: true }).catch(() => undefined); // applied in round n + 2, whose first step ends v's shard
    await untilTick(engine, 'the shard died', () => engine.stats().shardFailures >= 1 && engine.controlTick >= n + 2);
    expect(Object.keys(ticks.get(n + 1)!.hashes).sort()).toEqual(['h', 'v']);
    const died = ticks.get(n + 2)!;
    expect(died.shards[v.shard]!.busyMs).toBe(0);
    expect(died.hashes).toEqual({ h: expect.any(Number) });
    // A shard that died in the round is not a barrier violation: the barrier waits only for the live ones.
    expect(engine.stats().barrierViolations).toBe(0);
  });
});

describe('control loop: code awaiting a tick', () => {
  it('runs before the next round is released, however fast the rounds: stop() called there ends with a service round', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tickverse-loop-'));
    const engine = new Engine({ shards: 1, mode: 'max', snapshotEvery: 0, dataDir: dir, kindModules: [probeKind] });
    try {
      await engine.start();
      await engine.register({ realm_id: 'p', game_id: 'g', kind: 'probe' });
      // Tick after tick, as a script stepping through the simulation would.
      for (let i = 0; i < 40; i++) await engine.onControlTick(engine.controlTick + 1);
      const before = engine.get('p').localTick;
      const last = engine.controlTick;
      const finals: ControlTickInfo[] = [];
      engine.on('controlTick', (info) => finals.push(info));
      await engine.stop();
      expect(finals.length).toBeGreaterThanOrEqual(1);
      expect(finals.map((i) => [i.controlTick, i.localTicks])).toEqual(finals.map((_, k) => [last + 1 + k, 0]));
      expect(engine.get('p').localTick).toBe(before);
    } finally {
      await engine.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
