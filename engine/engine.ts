// The engine: registry, placement, the control loop (barrier → drain → route → release),
// commands to shards, and the reports the gateway and tests consume.
import { EventEmitter } from 'node:events';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import { EXTERNAL_SOURCE, FrameHeader, FrameKind, TargetKind, fnv1a, readHeader, type FrameFields } from '../protocol/frames.js';
import { realmStateFromCode, type RealmInfo, type RealmRegistration, type RealmState } from '../protocol/realm.js';
import { ReplyFlag, type RealmErrorPayload, type ReplyError, type RoundEndPayload, type EventPayload } from '../protocol/shard-messages.js';
import { selectorHash, toSelector, type Stat7Selector } from '../protocol/stat7.js';
import { nowMs } from './barrier.js';
import { decode, encode } from './codec.js';
import { resolveOptions, type ResolvedOptions } from './options.js';
import { isEventType, validateRegistration } from './registration.js';
import { Registry, type RealmRecord } from './registry.js';
import { Router } from './router.js';
import { ShardPool } from './shard-pool.js';
import { Waiters } from './waiters.js';
import { BarrierQueue, buildFrame } from './barrier-queue.js';
import { RestartBudget } from './restart-budget.js';
import { DataStore, pruneFiles, readSnapshotFile, writeSnapshotFile, type Recovered } from './persist/store.js';
import type { JournalRecord, MultiverseSnapshot, SnapshotRealm } from './persist/records.js';
import type { ValidRegistration } from './registration.js';
import { join } from 'node:path';
import type {
  ControlTickInfo,
  EngineEvents,
  EngineOptions,
  EngineStats,
  EntityView,
  PublishReceipt,
  PublishRequest,
  BackupReport,
  RecoveryReport,
  RestoreReport,
  ShardTickStats,
} from './types.js';

type Listener<K extends keyof EngineEvents> = (...args: EngineEvents[K]) => void;

interface RoundShard {
  stats: RoundEndPayload | null;
  round: number;
}

const HISTORY = 256;
const QUERY_TIMEOUT_MS = 10_000;

export class Engine {
  readonly options: ResolvedOptions;
  private readonly emitter = new EventEmitter();
  private readonly registry: Registry;
  private readonly router: Router;
  private pool: ShardPool | null = null;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private round = 0;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly roundShards: RoundShard[];
  private hashes: Record<string, number> = {};
  private readonly history: ControlTickInfo[] = [];
  private readonly tickWaiters = new Waiters<number, ControlTickInfo>();
  private readonly bootWaiters = new Waiters<number, RealmInfo>();
  private readonly booted: RealmRecord[] = [];
  private readonly replies = new Map<number, { resolve(b: Uint8Array): void; reject(e: unknown): void; timer: NodeJS.Timeout; shard: number }>();
  private readonly atBarrier: BarrierQueue;
  private store: DataStore | null = null;
  private lastSnapshot: MultiverseSnapshot | null = null;
  private snapshotting: Promise<unknown> | null = null;
  /** Routed batches and inputs since the last snapshot: a replaced shard's realms catch up on them. */
  private sinceSnapshot: { tick: number; frames: Uint8Array[] }[] = [];
  private inputsSinceSnapshot: { tick: number; slot: number; player: string; data: unknown }[] = [];
  private readonly restartBudget: RestartBudget;
  private readonly pendingRestarts = new Set<number>();
  private readonly deadShards = new Set<number>();
  private restarts = 0;
  private shardFailures = 0;
  private stalls = 0;
  private backupTimer: NodeJS.Timeout | undefined;
  /** What the last start recovered from the data directory (null: nothing to recover). */
  recovery: RecoveryReport | null = null;
  private nextRequest = 1;
  private externalSeq = 0;
  private totalRouted = 0;
  private barrierViolations = 0;
  private started = 0;
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(options?: EngineOptions) {
    this.options = resolveOptions(options);
    this.registry = new Registry(this.options.maxRealms);
    this.router = new Router(this.registry);
    this.roundShards = Array.from({ length: this.options.shards }, () => ({ stats: null, round: 0 }));
    this.atBarrier = new BarrierQueue(this.options.shards);
    this.restartBudget = new RestartBudget(this.options.maxRestarts, this.options.restartPeriodMs);
    this.emitter.setMaxListeners(0);
  }

  // ---- lifecycle ----

  get running(): boolean {
    return this.state === 'running';
  }

  /** The last closed control tick. */
  get controlTick(): number {
    return this.history.length === 0 ? 0 : this.history[this.history.length - 1]!.controlTick;
  }

  get startedAt(): number {
    return this.started;
  }

  get shardCount(): number {
    return this.options.shards;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new TickverseError(ErrorCode.ENGINE_STOPPED, `engine cannot start: it is ${this.state}`);
    this.state = 'running';
    let recovered: Recovered | null = null;
    let startRound = 0;
    if (this.options.dataDir !== null) {
      this.store = new DataStore(this.options.dataDir, this.options.snapshotRetain);
      recovered = await this.store.recover();
      // Round numbers continue after everything on disk, so new journal records never collide with old ones.
      startRound = Math.max(recovered.snapshot?.controlTick ?? 0, ...recovered.records.map((r) => r.tick));
      await this.store.startJournal(startRound);
    }
    this.round = startRound + 1;
    this.pool = new ShardPool(this.options);
    this.pool.start(startRound, (shard, error) => this.shardDied(shard, error));
    this.started = Date.now();
    // Atomics.waitAsync holds no event-loop handle and piscina unrefs its threads: keep the process alive while running.
    this.keepAlive = setInterval(() => undefined, 1 << 30);
    this.options.logger.info(
      { shards: this.options.shards, mode: this.options.mode, tickHz: this.options.tickHz, k: this.options.ticksPerControl, dataDir: this.options.dataDir },
      'engine started',
    );
    const restored = recovered === null ? null : this.recover(recovered);
    this.loopDone = this.loop();
    if (restored !== null) this.recovery = await restored;
    if (this.options.backupEveryMs > 0 && this.store !== null) {
      this.backupTimer = setInterval(() => void this.scheduledBackup(), this.options.backupEveryMs);
      this.backupTimer.unref();
    }
  }

  /** Finishes the current control tick, writes a final snapshot (with a data directory), stops the shards. */
  async stop(): Promise<void> {
    if (this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    if (this.state !== 'running') return this.loopDone;
    this.state = 'stopping';
    clearInterval(this.backupTimer);
    this.pool?.barrier.nudge();
    await this.loopDone;
    // No more rounds: questions still queued for the shards will not be answered.
    const err = new TickverseError(ErrorCode.ENGINE_STOPPED, 'the engine stopped');
    for (const [id, r] of this.replies) {
      clearTimeout(r.timer);
      r.reject(err);
      this.replies.delete(id);
    }
    await this.snapshotting?.catch(() => undefined);
    await this.pool?.stop();
    await this.store?.close();
    clearInterval(this.keepAlive);
    this.tickWaiters.rejectAll(err);
    this.bootWaiters.rejectAll(err);
    this.state = 'stopped';
    this.options.logger.info({ controlTick: this.controlTick }, 'engine stopped');
  }

  // ---- events ----

  on<K extends keyof EngineEvents>(event: K, listener: Listener<K>): this {
    this.emitter.on(event, listener as (...a: unknown[]) => void);
    return this;
  }

  off<K extends keyof EngineEvents>(event: K, listener: Listener<K>): this {
    this.emitter.off(event, listener as (...a: unknown[]) => void);
    return this;
  }

  listenerCount(event: keyof EngineEvents): number {
    return this.emitter.listenerCount(event);
  }

  /** Resolves with the report of control tick `n` once it closes (at once if it is in recent history). */
  onControlTick(n: number): Promise<ControlTickInfo> {
    const past = this.history.find((h) => h.controlTick === n);
    if (past !== undefined) return Promise.resolve(past);
    if (n <= this.controlTick) return Promise.resolve(this.history[this.history.length - 1]!);
    if (this.state === 'stopped' || this.state === 'stopping') {
      return Promise.reject(new TickverseError(ErrorCode.ENGINE_STOPPED, 'the engine stopped'));
    }
    return this.tickWaiters.wait(n);
  }

  // ---- registry ----

  /** Registers a realm; resolves once it runs and its registration is durable (journaled). */
  async register(input: RealmRegistration): Promise<RealmInfo> {
    this.requireRunning();
    const reg = validateRegistration(input);
    const rec = this.addRealm(reg);
    const booted = this.bootWaiters.wait(rec.slot);
    this.options.logger.info({ realm: reg.realmId, game: reg.gameId, kind: reg.kind, shard: rec.shard, stat7: rec.canonical }, 'realm registered');
    const [info] = await Promise.all([booted, this.journal({ t: 'reg', tick: this.round, slot: rec.slot, reg })]);
    return info;
  }

  async unregister(realmId: string): Promise<void> {
    this.requireRunning();
    this.removeRealm(realmId);
    await Promise.all([this.onControlTick(this.round), this.journal({ t: 'unreg', tick: this.round, realm: realmId })]);
  }

  private addRealm(reg: ValidRegistration, slot?: number, host?: unknown): RealmRecord {
    const rec = this.registry.add(reg, this.placeShard(), this.round, slot);
    if (host !== undefined) rec.state = 'syncing';
    try {
      this.command(rec, FrameKind.ADD_REALM, this.addPayload(rec, host));
    } catch (e) {
      this.registry.remove(reg.realmId);
      throw e;
    }
    this.broadcastDirectory({ add: [[rec.slot, reg.realmId]], remove: [] });
    this.router.invalidate();
    return rec;
  }

  private addPayload(rec: RealmRecord, host: unknown): unknown {
    const reg = rec.reg;
    return { slot: rec.slot, id: reg.realmId, kind: reg.kind, params: reg.params, stat7: reg.stat7, seed: reg.seed, subscribe: reg.subscribe, snapshot: host };
  }

  private removeRealm(realmId: string): void {
    const rec = this.registry.remove(realmId);
    this.router.forget(rec.slot);
    this.command(rec, FrameKind.REMOVE_REALM, null);
    this.broadcastDirectory({ add: [], remove: [rec.slot] });
    rec.state = 'offline';
    this.emitChange(rec, 'unregistered');
    this.bootWaiters.reject(rec.slot, new TickverseError(ErrorCode.UNKNOWN_REALM, `realm "${realmId}" was unregistered`));
    this.options.logger.info({ realm: realmId }, 'realm unregistered');
  }

  list(): RealmInfo[] {
    return [...this.registry.all()].map((r) => this.registry.info(r));
  }

  get(realmId: string): RealmInfo {
    return this.registry.info(this.registry.require(realmId));
  }

  async pause(realmId: string): Promise<RealmInfo> {
    const done = this.lifecycle(realmId, FrameKind.PAUSE, 'paused');
    const [info] = await Promise.all([done, this.journal({ t: 'pause', tick: this.round, realm: realmId })]);
    return info;
  }

  async resume(realmId: string): Promise<RealmInfo> {
    const done = this.lifecycle(realmId, FrameKind.RESUME, 'running');
    const [info] = await Promise.all([done, this.journal({ t: 'resume', tick: this.round, realm: realmId })]);
    return info;
  }

  // ---- traffic ----

  /** Injects an event from outside the realms; it is routed when the current control tick closes. */
  publish(req: PublishRequest): PublishReceipt {
    this.requireRunning();
    if (typeof req !== 'object' || req === null) throw new TickverseError(ErrorCode.INVALID_ARGUMENT, 'publish needs an object {type, data?, to? | selector?}');
    if (!isEventType(req.type)) throw new TickverseError(ErrorCode.INVALID_ARGUMENT, `event type must be 1-64 [A-Za-z0-9_.:/-]; received ${JSON.stringify(req.type)}`);
    if (req.to !== undefined && req.selector !== undefined) throw new TickverseError(ErrorCode.INVALID_ARGUMENT, 'publish takes `to` or `selector`, not both');
    let flags: number;
    let target: number;
    if (req.to !== undefined) {
      flags = TargetKind.UNICAST;
      target = this.registry.require(req.to).slot;
    } else if (req.selector !== undefined) {
      const selector = toSelector(req.selector);
      flags = TargetKind.SELECTOR;
      target = selectorHash(selector);
      this.router.defineSelector(target, selector);
    } else {
      flags = TargetKind.BROADCAST;
      target = fnv1a(req.type);
    }
    const payload = this.encodeBounded({ type: req.type, data: req.data ?? null } satisfies EventPayload);
    const seq = ++this.externalSeq;
    const frame = buildFrame({ kind: FrameKind.EVENT, flags, shard: 0, source: EXTERNAL_SOURCE, target, seq, tick: this.round, aux: 0 }, payload);
    this.routeExternal(frame);
    return { controlTick: this.round, seq, durable: this.journal({ t: 'pub', tick: this.round, frame }) };
  }

  private routeExternal(frame: Uint8Array): void {
    this.router.add(frame, 0, frame.length, new DataView(frame.buffer, frame.byteOffset, frame.byteLength));
  }

  /**
   * A player's input for a realm: applied at the realm's next local tick (next control tick in
   * max mode). Throws on bad input; the returned promise resolves when the input is durable.
   */
  input(realmId: string, player: string, data: unknown): Promise<void> {
    this.requireRunning();
    const rec = this.registry.require(realmId);
    if (typeof player !== 'string' || player.length === 0 || player.length > 128) {
      throw new TickverseError(ErrorCode.INVALID_ARGUMENT, 'player must be a string of 1-128 characters');
    }
    this.command(rec, FrameKind.INPUT, { player, data: data ?? null }, true);
    if (this.options.snapshotEvery > 0) this.inputsSinceSnapshot.push({ tick: this.round, slot: rec.slot, player, data: data ?? null });
    return this.journal({ t: 'input', tick: this.round, realm: realmId, player, data: data ?? null });
  }

  /** Asks a realm to hand one of its entities to another realm at the end of the current control tick. */
  transfer(entityId: string, fromRealm: string, toRealm: string): void {
    this.requireRunning();
    const from = this.registry.require(fromRealm);
    this.registry.require(toRealm);
    if (typeof entityId !== 'string' || entityId.length === 0) throw new TickverseError(ErrorCode.INVALID_ARGUMENT, 'entityId must be a non-empty string');
    this.command(from, FrameKind.TRANSFER_OUT, { entity: entityId, to: toRealm });
  }

  async entities(realmId: string): Promise<EntityView[]> {
    return decode<EntityView[]>(await this.query(realmId, 'entities'));
  }

  /** The realm's snapshot envelope as its shard holds it now ({v, tick, rng, seq, subs, data}). */
  async snapshot(realmId: string): Promise<unknown> {
    return decode<{ snapshot: unknown }>(await this.query(realmId, 'snapshot')).snapshot;
  }

  /** Starts a realm's state stream (refcounted); returns the function that stops watching. */
  watch(realmId: string): () => void {
    this.requireRunning();
    const rec = this.registry.require(realmId);
    if (rec.watchers++ === 0) this.command(rec, FrameKind.WATCH, null, true);
    else this.command(rec, FrameKind.KEYFRAME, null, true);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--rec.watchers === 0 && this.registry.find(realmId) === rec && this.running) this.command(rec, FrameKind.UNWATCH, null, true);
    };
  }

  requestKeyframe(realmId: string): void {
    this.requireRunning();
    this.command(this.registry.require(realmId), FrameKind.KEYFRAME, null, true);
  }

  stats(): EngineStats {
    const snapAt = this.store?.lastSnapshotAt ?? this.lastSnapshot?.createdAt ?? 0;
    const snapTick = this.store?.lastSnapshotTick ?? this.lastSnapshot?.controlTick ?? -1;
    return {
      controlTick: this.controlTick,
      realms: this.registry.size,
      shards: this.options.shards,
      shardsAlive: this.pool?.aliveCount ?? 0,
      uptimeMs: this.started === 0 ? 0 : Date.now() - this.started,
      last: this.history[this.history.length - 1] ?? null,
      realmsByState: this.registry.countByState(),
      eventsRouted: this.totalRouted,
      barrierViolations: this.barrierViolations,
      shardRestarts: this.restarts,
      shardFailures: this.shardFailures,
      shardStalls: this.stalls,
      lastSnapshot: snapTick < 0 ? null : { controlTick: snapTick, ageMs: Date.now() - snapAt },
      recovery: this.recovery,
    };
  }

  /** Fault injection for operators and tests: terminates a shard's thread now, mid-tick; it is replaced as if it had crashed. */
  killShard(shard: number): void {
    this.requireRunning();
    if (!Number.isInteger(shard) || shard < 0 || shard >= this.options.shards) {
      throw new TickverseError(ErrorCode.INVALID_ARGUMENT, `shard must be an integer from 0 to ${this.options.shards - 1}; received ${shard}`);
    }
    this.pool!.kill(shard);
  }

  // ---- control loop ----

  private async loop(): Promise<void> {
    const pool = this.pool!;
    const period = (this.options.ticksPerControl * 1000) / this.options.tickHz;
    const realtime = this.options.mode === 'realtime';
    let scheduled = nowMs();
    for (;;) {
      // Stopping: one service round (no local ticks) in which every realm hands over its final snapshot.
      const service = this.state !== 'running';
      let finalSnapshot: Promise<unknown> | null = null;
      if (service) {
        if (this.store === null || pool.aliveCount === 0) break;
        finalSnapshot = this.takeSnapshot('persist');
      } else this.restartShards();
      // Drift-corrected: rounds start on an absolute schedule; if we fell more than a round behind, re-anchor.
      if (realtime && nowMs() - scheduled > period) scheduled = nowMs();
      const startMs = realtime ? scheduled : nowMs();
      this.writeBarrierFrames();
      const releasedAt = nowMs();
      pool.barrier.release(this.round, startMs, service ? 0 : this.options.ticksPerControl);
      const round = this.round;
      const arrived = (): boolean => pool.links.every((l) => !l.alive || pool.barrier.doneRound(l.shard) >= round);
      while ((await pool.barrier.waitAll(arrived, () => this.drainAll(), this.options.stallMs)) === 'stalled') {
        this.onStall(releasedAt);
      }
      const noticed = nowMs();
      this.drainAll();
      // Barrier invariant: every live shard finished exactly this round, and reported it.
      for (const l of pool.links) {
        if (l.alive && (pool.barrier.doneRound(l.shard) !== this.round || this.roundShards[l.shard]!.round !== this.round)) this.barrierViolations++;
      }
      let lastArrival = 0;
      for (const l of pool.links) if (l.alive) lastArrival = Math.max(lastArrival, pool.barrier.arrivalMs(l.shard));
      // Commands queued during the round go in before this round's deliveries (a realm registered now exists when its events arrive).
      this.writeBarrierFrames();
      const routeStart = nowMs();
      const routed = this.router.route(this.round, {
        deliver: (shard, frame) => this.pool!.links[shard]!.writer.sendFrame(frame),
        routed: this.emitter.listenerCount('routed') > 0 ? (frame, targets, tick) => this.emitRouted(frame, targets, tick) : undefined,
      });
      const routeEnd = nowMs();
      this.totalRouted += routed.events;
      if (this.options.snapshotEvery > 0 && routed.frames.length > 0) this.sinceSnapshot.push({ tick: this.round, frames: routed.frames });
      const info = this.report(routed, {
        barrierMs: Math.max(0, noticed - lastArrival),
        routeMs: routeEnd - routeStart,
        roundMs: Math.max(0, lastArrival - releasedAt),
        durationMs: Math.max(0, routeEnd - lastArrival),
      });
      scheduled += period;
      this.closeTick(info);
      if (finalSnapshot !== null) {
        await finalSnapshot.catch((e: unknown) => this.options.logger.error({ error: String(e) }, 'final snapshot failed'));
        break;
      }
      if (!realtime) await yieldToLoop();
    }
  }

  /**
   * Periodic snapshots wait until no shard is down and no realm is being restored: a snapshot
   * must hold every realm at one barrier, and a restored realm's catch-up log must stay intact.
   */
  private settled(): boolean {
    if (this.pendingRestarts.size > 0) return false;
    for (const r of this.registry.all()) if (r.state === 'syncing') return false;
    return true;
  }

  /** A shard has not reached the barrier within stallMs: terminate it; it is replaced next round. */
  private onStall(releasedAt: number): void {
    const pool = this.pool!;
    const late = pool.links.filter((l) => l.alive && pool.barrier.doneRound(l.shard) < this.round).map((l) => l.shard);
    this.options.logger.error({ controlTick: this.round, shards: late, waitedMs: Math.round(nowMs() - releasedAt) }, 'shard stalled at the barrier; terminating it');
    for (const shard of late) {
      this.stalls++;
      pool.kill(shard);
      // The abort also rejects its task (and reports the death); mark it now so the barrier stops waiting.
      const link = pool.links[shard]!;
      if (link.alive) {
        link.alive = false;
        this.shardDied(shard, new Error(`stalled: no barrier arrival within ${this.options.stallMs} ms`));
      }
    }
  }

  private closeTick(info: ControlTickInfo): void {
    this.history.push(info);
    if (this.history.length > HISTORY) this.history.shift();
    const log = this.options.logger;
    if (this.options.mode === 'realtime' || info.controlTick % 100 === 0) {
      log.info(
        { controlTick: info.controlTick, durationMs: +info.durationMs.toFixed(3), barrierMs: +info.barrierMs.toFixed(3), events: info.eventsRouted, realms: this.registry.size },
        'control tick',
      );
    }
    // From here on, commands belong to the next round (and journal records carry its tick).
    this.round++;
    const every = this.options.snapshotEvery;
    if (every > 0 && info.controlTick % every === 0 && this.snapshotting === null && this.state === 'running' && this.settled()) {
      this.snapshotting = this.takeSnapshot(this.store === null ? 'memory' : 'persist')
        .catch((e: unknown) => log.error({ error: String(e) }, 'snapshot failed'))
        .finally(() => {
          this.snapshotting = null;
        });
    }
    this.emitter.emit('controlTick', info);
    this.tickWaiters.resolveWhere((n) => n <= info.controlTick, info);
    // Registrations resolve once the control tick in which their realm booted has closed.
    for (const rec of this.booted.splice(0)) {
      if (this.registry.bySlotId(rec.slot) !== rec || !this.bootWaiters.has(rec.slot)) continue;
      this.bootWaiters.resolve(rec.slot, this.registry.info(rec));
      this.emitChange(rec, 'registered');
    }
  }

  private report(
    routed: { events: number; deliveries: number; transfers: number },
    t: { barrierMs: number; routeMs: number; roundMs: number; durationMs: number },
  ): ControlTickInfo {
    const shards: ShardTickStats[] = [];
    let localTicks = 0;
    let entityUpdates = 0;
    for (const l of this.pool!.links) {
      const s = this.roundShards[l.shard]!.stats;
      let realms = 0;
      let entities = 0;
      if (s !== null) {
        realms = s.realms.length;
        for (const r of s.realms) entities += r[3];
        localTicks += s.localTicks;
        entityUpdates += s.entityUpdates;
      }
      shards.push({
        shard: l.shard,
        realms,
        entities,
        busyMs: s?.busyMs ?? 0,
        outRingUsed: l.outRing.usedBytes(),
        inRingUsed: l.inRing.usedBytes(),
        outRingOverflows: l.outRing.overflows(),
        inRingOverflows: l.inRing.overflows(),
        outBacklog: s?.backlog ?? 0,
        stateFramesDropped: s?.stateDropped ?? 0,
      });
    }
    const hashes = this.hashes;
    this.hashes = {};
    return {
      controlTick: this.round,
      ...t,
      eventsRouted: routed.events,
      deliveries: routed.deliveries,
      transfers: routed.transfers,
      localTicks,
      entityUpdates,
      shards,
      hashes,
    };
  }

  // ---- out-rings ----

  private drainAll(): void {
    const pool = this.pool;
    if (pool === null) return;
    for (const link of pool.links) {
      const ring = link.outRing;
      ring.drain((bytes, offset, length) => this.onFrame(readHeader(ring.view, offset), bytes, offset, length, ring.view));
    }
  }

  private onFrame(h: FrameFields, bytes: Uint8Array, offset: number, length: number, view: DataView): void {
    const payload = (): Uint8Array => bytes.subarray(offset + FrameHeader.SIZE, offset + length);
    switch (h.kind) {
      case FrameKind.EVENT:
      case FrameKind.TRANSFER:
        this.router.add(bytes, offset, length, view);
        return;
      case FrameKind.STATE: {
        const rec = this.registry.bySlotId(h.source);
        if (rec !== undefined && rec.watchers > 0) this.emitter.emit('state', rec.reg.realmId, bytes.slice(offset + FrameHeader.SIZE, offset + length));
        return;
      }
      case FrameKind.SUBSCRIBE:
      case FrameKind.UNSUBSCRIBE: {
        const on = h.kind === FrameKind.SUBSCRIBE;
        this.router.subscribe(h.source, h.target, on);
        const rec = this.registry.bySlotId(h.source);
        if (rec !== undefined) {
          const type = decode<string>(payload());
          if (on) rec.subscriptions.add(type);
          else rec.subscriptions.delete(type);
        }
        return;
      }
      case FrameKind.SELECTOR_DEF:
        this.router.defineSelector(h.target, toSelector(Object.fromEntries(decode<[string, unknown][]>(payload())) as Stat7Selector));
        return;
      case FrameKind.ROUND_END:
        this.onRoundEnd(h.shard, h.aux, decode<RoundEndPayload>(payload()));
        return;
      case FrameKind.REPLY: {
        const r = this.replies.get(h.seq);
        if (r === undefined) return;
        this.replies.delete(h.seq);
        clearTimeout(r.timer);
        if (h.flags === ReplyFlag.ERROR) {
          const e = decode<ReplyError>(payload());
          r.reject(new TickverseError((e.code as ErrorCode) ?? ErrorCode.INTERNAL, e.message));
        } else r.resolve(payload().slice());
        return;
      }
      case FrameKind.REALM_ERROR:
        this.onRealmError(h.source, decode<RealmErrorPayload>(payload()));
        return;
      default:
        this.options.logger.warn({ kind: h.kind, shard: h.shard }, 'unexpected frame from shard');
    }
  }

  private onRoundEnd(shard: number, round: number, stats: RoundEndPayload): void {
    const slot = this.roundShards[shard];
    if (slot !== undefined) {
      slot.stats = stats;
      slot.round = round;
    }
    this.barrierViolations += stats.violations;
    for (const [s, code, tick, entities, evIn, evOut, hash, dropped] of stats.realms) {
      const rec = this.registry.bySlotId(s);
      if (rec === undefined) continue;
      rec.localTick = tick;
      rec.entities = entities;
      rec.eventsIn = evIn;
      rec.eventsOut = evOut;
      rec.dropped = dropped;
      if (hash >= 0) {
        rec.stateHash = hash;
        this.hashes[rec.reg.realmId] = hash;
      }
      const state = realmStateFromCode(code);
      if (state !== rec.state) {
        rec.state = state;
        this.emitChange(rec, 'state');
      }
      if (state !== 'booting' && this.bootWaiters.has(s)) this.booted.push(rec);
    }
  }

  private onRealmError(slot: number, err: RealmErrorPayload): void {
    const rec = this.registry.bySlotId(slot);
    if (rec === undefined) return;
    if (err.code === ErrorCode.UNKNOWN_KIND && rec.state === 'booting') {
      this.registry.remove(rec.reg.realmId);
      this.broadcastDirectory({ add: [], remove: [slot] });
      this.router.forget(slot);
      this.bootWaiters.reject(slot, new TickverseError(ErrorCode.UNKNOWN_KIND, err.message, { kind: rec.reg.kind }));
      return;
    }
    rec.error = err.message;
    rec.state = 'error';
    this.options.logger.error({ realm: rec.reg.realmId, shard: rec.shard, error: err.message }, 'realm failed');
    this.emitChange(rec, 'state');
    if (this.bootWaiters.has(slot)) this.booted.push(rec);
  }

  private shardDied(shard: number, error: unknown): void {
    if (this.state !== 'running') return;
    const message = error instanceof Error ? error.message : String(error);
    this.shardFailures++;
    this.options.logger.error({ shard, error: message }, 'shard died');
    this.atBarrier.clear(shard);
    // Questions the dead shard will never answer fail now rather than at their timeout.
    for (const [id, r] of this.replies) {
      if (r.shard !== shard) continue;
      this.replies.delete(id);
      clearTimeout(r.timer);
      r.reject(new TickverseError(ErrorCode.SHARD_FAILED, `shard ${shard} died before answering`));
    }
    for (const rec of this.registry.all()) {
      if (rec.shard !== shard) continue;
      rec.state = 'syncing';
      rec.error = `${ErrorCode.SHARD_FAILED}: shard ${shard} died: ${message}`;
      this.emitChange(rec, 'state');
    }
    this.pendingRestarts.add(shard);
  }

  /**
   * Replaces dead shards (within the restart budget) before the next round: new thread, new
   * rings, the directory, then every realm it hosted from the last snapshot, then the events
   * and inputs those realms missed since that snapshot.
   */
  private restartShards(): void {
    if (this.pendingRestarts.size === 0) return;
    const pool = this.pool!;
    for (const shard of [...this.pendingRestarts].sort((a, b) => a - b)) {
      this.pendingRestarts.delete(shard);
      const realms = [...this.registry.all()].filter((r) => r.shard === shard).sort((a, b) => a.slot - b.slot);
      if (!this.restartBudget.take(shard, Date.now())) {
        this.deadShards.add(shard);
        this.options.logger.error({ shard, maxRestarts: this.options.maxRestarts, periodMs: this.options.restartPeriodMs }, 'shard restart budget exhausted; its realms are failed');
        for (const rec of realms) {
          rec.state = 'error';
          rec.error = `${ErrorCode.SHARD_FAILED}: shard ${shard} exceeded ${this.options.maxRestarts} restarts in ${this.options.restartPeriodMs} ms`;
          this.emitChange(rec, 'state');
        }
        continue;
      }
      this.restarts++;
      pool.restart(shard, this.round - 1);
      const all = [...this.registry.all()].map((r): [number, string] => [r.slot, r.reg.realmId]);
      this.atBarrier.push(shard, buildFrame(this.fields(FrameKind.DIRECTORY, shard, 0), encode({ add: all, remove: [] })));
      const snapshots = new Map((this.lastSnapshot?.realms ?? []).map((r) => [r.slot, r.host]));
      const mine = new Set<number>();
      for (const rec of realms) {
        mine.add(rec.slot);
        this.command(rec, FrameKind.ADD_REALM, this.addPayload(rec, snapshots.get(rec.slot)));
        if (rec.watchers > 0) this.command(rec, FrameKind.WATCH, null);
      }
      let replayed = 0;
      for (const batch of this.sinceSnapshot) {
        replayed += this.router.redeliver(batch.frames, batch.tick, (slot) => mine.has(slot), { deliver: (sh, frame) => this.atBarrier.push(sh, frame) });
      }
      for (const inp of this.inputsSinceSnapshot) {
        const rec = this.registry.bySlotId(inp.slot);
        if (rec !== undefined && mine.has(inp.slot)) this.command(rec, FrameKind.INPUT, { player: inp.player, data: inp.data });
      }
      this.options.logger.warn({ shard, realms: realms.length, fromSnapshot: this.lastSnapshot?.controlTick ?? null, eventsReplayed: replayed }, 'shard replaced');
    }
  }

  private emitRouted(frame: Uint8Array, targets: readonly number[], controlTick: number): void {
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const source = view.getUint32(FrameHeader.SOURCE, true);
    const flags = view.getUint8(FrameHeader.FLAGS);
    const payload = frame.subarray(FrameHeader.SIZE);
    const p = decode<EventPayload>(payload);
    this.emitter.emit('routed', {
      controlTick,
      from: source === EXTERNAL_SOURCE ? 'external' : (this.registry.bySlotId(source)?.reg.realmId ?? `#${source}`),
      type: p.type,
      via: flags === TargetKind.UNICAST ? 'unicast' : flags === TargetKind.BROADCAST ? 'broadcast' : 'selector',
      to: targets.map((s) => this.registry.bySlotId(s)?.reg.realmId ?? `#${s}`),
      seq: view.getUint32(FrameHeader.SEQ, true),
      payload,
    });
  }

  // ---- in-rings ----

  private fields(kind: FrameFields['kind'], shard: number, slot: number, seq = 0): FrameFields {
    return { kind, flags: 0, shard, source: slot, target: slot, seq, tick: 0, aux: 0 };
  }

  /**
   * Frames for a realm's shard. `immediate` frames (inputs, watch, keyframes, queries) go into
   * the in-ring now in realtime mode; everything else — and everything in max mode, so runs
   * are deterministic — is written while the shards wait at the barrier.
   */
  private command(rec: RealmRecord, kind: FrameFields['kind'], body: unknown, immediate = false, seq = 0): void {
    const limit = kind === FrameKind.INPUT ? this.options.maxPayloadBytes : this.maxCommandBytes;
    const payload = body === null ? new Uint8Array(0) : this.encodeBounded(body, limit);
    const fields = this.fields(kind, rec.shard, rec.slot, seq);
    const link = this.pool!.links[rec.shard]!;
    if (immediate && this.options.mode === 'realtime' && link.alive) link.writer.send(fields, payload);
    else this.atBarrier.push(rec.shard, buildFrame(fields, payload));
  }

  private broadcastDirectory(d: { add: [number, string][]; remove: number[] }): void {
    const payload = encode(d);
    for (let s = 0; s < this.options.shards; s++) this.atBarrier.push(s, buildFrame(this.fields(FrameKind.DIRECTORY, s, 0), payload));
  }

  /** Called while every shard waits at the barrier: backlog first, then queued commands, in order. */
  private writeBarrierFrames(): void {
    for (const link of this.pool!.links) {
      if (!link.alive) continue;
      link.writer.flush();
      this.atBarrier.flush(link.shard, (frame) => link.writer.sendFrame(frame));
    }
  }

  private async query(realmId: string, what: 'entities' | 'snapshot' | 'hash', immediate = true): Promise<Uint8Array> {
    this.requireRunning();
    return this.queryRecord(this.registry.require(realmId), what, immediate);
  }

  private queryRecord(rec: RealmRecord, what: 'entities' | 'snapshot' | 'hash', immediate: boolean): Promise<Uint8Array> {
    const id = this.nextRequest++ >>> 0;
    const reply = new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        reject(new TickverseError(ErrorCode.TIMEOUT, `realm "${rec.reg.realmId}" did not answer within ${QUERY_TIMEOUT_MS} ms`));
      }, QUERY_TIMEOUT_MS);
      this.replies.set(id, { resolve, reject, timer, shard: rec.shard });
    });
    this.command(rec, FrameKind.QUERY, { what }, immediate, id);
    return reply;
  }

  // ---- durability ----

  private journal(rec: JournalRecord): Promise<void> {
    if (this.store === null) return Promise.resolve();
    const p = this.store.append(rec);
    p.catch((e: unknown) => this.options.logger.error({ error: String(e), record: rec.t }, 'journal append failed'));
    return p;
  }

  /**
   * A consistent snapshot of every realm at the current barrier: the queries are queued with
   * the barrier frames, so each shard answers before its next local tick. 'persist' writes it
   * to the data directory (rotating the journal), 'memory' only keeps it for shard restarts,
   * 'backup' just returns it.
   */
  private async takeSnapshot(mode: 'persist' | 'memory' | 'backup'): Promise<MultiverseSnapshot> {
    const tick = this.round - 1;
    const pool = this.pool!;
    const recs = [...this.registry.all()].filter((r) => pool.links[r.shard]!.alive && r.state !== 'syncing');
    const rotated = mode === 'persist' ? this.store!.startJournal(tick) : Promise.resolve();
    rotated.catch(() => undefined); // awaited below; a failure surfaces there, not as an unhandled rejection
    const previous = new Map((this.lastSnapshot?.realms ?? []).map((r) => [r.slot, r]));
    const realms = await Promise.all(
      recs.map(async (rec): Promise<SnapshotRealm | undefined> => {
        try {
          const r = decode<{ snapshot: unknown; hash: number }>(await this.queryRecord(rec, 'snapshot', false));
          return { slot: rec.slot, reg: rec.reg, state: rec.state, host: r.snapshot, hash: r.hash };
        } catch {
          return previous.get(rec.slot);
        }
      }),
    );
    const snap: MultiverseSnapshot = {
      v: 1,
      controlTick: tick,
      createdAt: Date.now(),
      externalSeq: this.externalSeq,
      realms: realms.filter((r): r is SnapshotRealm => r !== undefined),
    };
    await rotated;
    if (mode === 'backup') return snap;
    if (mode === 'persist') await this.store!.writeSnapshot(snap);
    this.lastSnapshot = snap;
    this.sinceSnapshot = this.sinceSnapshot.filter((b) => b.tick > tick);
    this.inputsSinceSnapshot = this.inputsSinceSnapshot.filter((i) => i.tick > tick);
    return snap;
  }

  /** Writes a consistent backup of the whole multiverse to `path` (default: <dataDir>/backups/). */
  async backup(path?: string): Promise<BackupReport> {
    this.requireRunning();
    const target = path ?? (this.store === null ? null : join(this.store.backupDir, `backup-${String(this.round - 1).padStart(12, '0')}-${Date.now()}.tvsnap`));
    if (target === null) throw new TickverseError(ErrorCode.INVALID_ARGUMENT, 'backup needs a path when the engine has no data directory');
    const snap = await this.takeSnapshot('backup');
    const bytes = await writeSnapshotFile(target, snap);
    this.options.logger.info({ path: target, controlTick: snap.controlTick, realms: snap.realms.length }, 'backup written');
    return { path: target, controlTick: snap.controlTick, realms: snap.realms.length, bytes };
  }

  private async scheduledBackup(): Promise<void> {
    if (this.state !== 'running' || this.store === null) return;
    try {
      await this.backup();
      await pruneFiles(this.store.backupDir, '.tvsnap', this.options.backupRetain);
    } catch (e) {
      this.options.logger.error({ error: String(e) }, 'scheduled backup failed');
    }
  }

  /**
   * Replaces the whole multiverse with a backup: every current realm is unregistered, every
   * realm of the backup comes back at its backed-up state, and (with a data directory) a new
   * snapshot makes the restore durable.
   */
  async restoreBackup(path: string): Promise<RestoreReport> {
    this.requireRunning();
    let snap: MultiverseSnapshot;
    try {
      snap = await readSnapshotFile(path);
    } catch (e) {
      throw new TickverseError(ErrorCode.INVALID_ARGUMENT, `cannot read backup ${path}: ${(e as Error).message}`);
    }
    for (const rec of [...this.registry.all()]) {
      this.removeRealm(rec.reg.realmId);
      await this.journal({ t: 'unreg', tick: this.round, realm: rec.reg.realmId });
    }
    const checked = await this.bootFromSnapshot(snap, false);
    if (this.store !== null) await this.takeSnapshot('persist');
    this.options.logger.info({ path, controlTick: snap.controlTick, realms: snap.realms.length, hashMismatches: checked.mismatches }, 'backup restored');
    return { path, controlTick: snap.controlTick, realms: snap.realms.length, hashesChecked: checked.checked, hashMismatches: checked.mismatches };
  }

  /** Adds every realm of a snapshot at its snapshot state and checks its state hash before it ticks. */
  private async bootFromSnapshot(snap: MultiverseSnapshot, keepSlots: boolean): Promise<{ checked: number; mismatches: number }> {
    const checks: Promise<boolean>[] = [];
    const boots: Promise<unknown>[] = [];
    for (const r of snap.realms) {
      const rec = this.addRealm(r.reg, keepSlots ? r.slot : undefined, r.host);
      boots.push(this.bootWaiters.wait(rec.slot).catch(() => undefined));
      // Queued right after ADD_REALM, so the shard hashes the restored state before any local tick.
      checks.push(this.queryRecord(rec, 'hash', false).then((b) => decode<number>(b) === r.hash, () => false));
      if (r.state === 'paused') this.command(rec, FrameKind.PAUSE, null);
    }
    const results = await Promise.all(checks);
    await Promise.all(boots);
    return { checked: results.length, mismatches: results.filter((ok) => !ok).length };
  }

  /** Brings back what the data directory holds: the newest snapshot, then the journal after it. */
  private async recover(r: Recovered): Promise<RecoveryReport> {
    const snap = r.snapshot;
    this.externalSeq = snap?.externalSeq ?? 0;
    const checked = snap === null ? { checked: 0, mismatches: 0 } : this.bootFromSnapshot(snap, true);
    if (snap !== null) this.lastSnapshot = snap;
    let replayed = 0;
    for (const rec of r.records) {
      try {
        this.replay(rec);
        replayed++;
      } catch (e) {
        this.options.logger.warn({ record: rec.t, error: String(e) }, 'journal record not replayed');
      }
    }
    const c = await checked;
    const report: RecoveryReport = {
      snapshotTick: snap?.controlTick ?? null,
      realmsRestored: snap?.realms.length ?? 0,
      journalReplayed: replayed,
      hashesChecked: c.checked,
      hashMismatches: c.mismatches,
      skippedFiles: r.skipped,
    };
    this.options.logger.info(report, 'recovered from the data directory');
    return report;
  }

  /** Re-applies one acknowledged operation from the journal (without journaling it again). */
  private replay(rec: JournalRecord): void {
    switch (rec.t) {
      case 'reg':
        this.addRealm(rec.reg, rec.slot);
        return;
      case 'unreg':
        this.removeRealm(rec.realm);
        return;
      case 'pause':
      case 'resume':
        this.command(this.registry.require(rec.realm), rec.t === 'pause' ? FrameKind.PAUSE : FrameKind.RESUME, null);
        return;
      case 'pub': {
        const frame = new Uint8Array(rec.frame);
        this.externalSeq = Math.max(this.externalSeq, new DataView(frame.buffer).getUint32(FrameHeader.SEQ, true));
        this.routeExternal(frame);
        return;
      }
      case 'input':
        this.command(this.registry.require(rec.realm), FrameKind.INPUT, { player: rec.player, data: rec.data });
        return;
    }
  }

  private async lifecycle(realmId: string, kind: FrameFields['kind'], want: RealmState): Promise<RealmInfo> {
    this.requireRunning();
    const rec = this.registry.require(realmId);
    if (rec.state === 'error' || rec.state === 'offline') {
      throw new TickverseError(ErrorCode.REALM_NOT_RUNNING, `realm "${realmId}" is ${rec.state}`);
    }
    this.command(rec, kind, null);
    const target = this.round;
    await this.onControlTick(target);
    const now = this.registry.info(rec).state;
    if (now !== want && now !== 'error') await this.onControlTick(target + 1);
    return this.registry.info(rec);
  }

  // ---- helpers ----

  private placeShard(): number {
    // Least-loaded live shard by entities, then realms; ties to the lowest shard.
    const load = new Array<number>(this.options.shards).fill(0);
    for (const r of this.registry.all()) load[r.shard]! += 1000 + r.entities;
    let best = -1;
    for (let s = 0; s < load.length; s++) {
      if (this.deadShards.has(s)) continue;
      if (best < 0 || load[s]! < load[best]!) best = s;
    }
    if (best < 0) throw new TickverseError(ErrorCode.SHARD_FAILED, 'no shard is available: every shard exhausted its restart budget');
    return best;
  }

  /** Commands (e.g. a registration's params) must fit one ring frame. */
  private get maxCommandBytes(): number {
    return Math.floor(this.options.ringBytes / 4);
  }

  private encodeBounded(value: unknown, limit = this.options.maxPayloadBytes): Uint8Array {
    let bytes: Uint8Array;
    try {
      bytes = encode(value);
    } catch (e) {
      throw new TickverseError(ErrorCode.INVALID_ARGUMENT, `payload cannot be encoded: ${(e as Error).message}`);
    }
    if (bytes.length > limit) {
      throw new TickverseError(ErrorCode.PAYLOAD_TOO_LARGE, `payload is ${bytes.length} bytes; the limit is ${limit}`, { limit });
    }
    return bytes;
  }

  private emitChange(rec: RealmRecord, change: 'registered' | 'unregistered' | 'state'): void {
    this.emitter.emit('realm', { realmId: rec.reg.realmId, change, state: rec.state, info: this.registry.info(rec) });
  }

  private requireRunning(): void {
    if (this.state !== 'running') throw new TickverseError(ErrorCode.ENGINE_NOT_RUNNING, `the engine is ${this.state}`);
  }
}
