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
import type { ControlTickInfo, EngineEvents, EngineOptions, EntityView, PublishReceipt, PublishRequest, ShardTickStats } from './types.js';

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
  private readonly replies = new Map<number, { resolve(b: Uint8Array): void; reject(e: unknown): void; timer: NodeJS.Timeout }>();
  private readonly atBarrier: FrameFields[][] = [];
  private readonly atBarrierPayload: Uint8Array[][] = [];
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
    for (let s = 0; s < this.options.shards; s++) {
      this.atBarrier.push([]);
      this.atBarrierPayload.push([]);
    }
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
    this.pool = new ShardPool(this.options);
    this.pool.start(this.round, (shard, error) => this.shardDied(shard, error));
    this.state = 'running';
    this.started = Date.now();
    // Atomics.waitAsync holds no event-loop handle and piscina unrefs its threads: keep the process alive while running.
    this.keepAlive = setInterval(() => undefined, 1 << 30);
    this.options.logger.info({ shards: this.options.shards, mode: this.options.mode, tickHz: this.options.tickHz, k: this.options.ticksPerControl }, 'engine started');
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    if (this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    if (this.state !== 'running') return this.loopDone;
    this.state = 'stopping';
    this.pool?.barrier.nudge();
    await this.loopDone;
    await this.pool?.stop();
    clearInterval(this.keepAlive);
    const err = new TickverseError(ErrorCode.ENGINE_STOPPED, 'the engine stopped');
    this.tickWaiters.rejectAll(err);
    this.bootWaiters.rejectAll(err);
    for (const [id, r] of this.replies) {
      clearTimeout(r.timer);
      r.reject(err);
      this.replies.delete(id);
    }
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

  async register(input: RealmRegistration): Promise<RealmInfo> {
    this.requireRunning();
    const reg = validateRegistration(input);
    const rec = this.registry.add(reg, this.placeShard(), this.round);
    try {
      this.command(rec, FrameKind.ADD_REALM, {
        slot: rec.slot,
        id: reg.realmId,
        kind: reg.kind,
        params: reg.params,
        stat7: reg.stat7,
        seed: reg.seed,
        subscribe: reg.subscribe,
      });
    } catch (e) {
      this.registry.remove(reg.realmId);
      throw e;
    }
    const booted = this.bootWaiters.wait(rec.slot);
    this.broadcastDirectory({ add: [[rec.slot, reg.realmId]], remove: [] });
    this.router.invalidate();
    this.options.logger.info({ realm: reg.realmId, game: reg.gameId, kind: reg.kind, shard: rec.shard, stat7: rec.canonical }, 'realm registered');
    return booted;
  }

  async unregister(realmId: string): Promise<void> {
    this.requireRunning();
    const rec = this.registry.remove(realmId);
    this.router.forget(rec.slot);
    this.command(rec, FrameKind.REMOVE_REALM, null);
    this.broadcastDirectory({ add: [], remove: [rec.slot] });
    rec.state = 'offline';
    this.emitChange(rec, 'unregistered');
    this.bootWaiters.reject(rec.slot, new TickverseError(ErrorCode.UNKNOWN_REALM, `realm "${realmId}" was unregistered`));
    this.options.logger.info({ realm: realmId }, 'realm unregistered');
    await this.onControlTick(this.round);
  }

  list(): RealmInfo[] {
    return [...this.registry.all()].map((r) => this.registry.info(r));
  }

  get(realmId: string): RealmInfo {
    return this.registry.info(this.registry.require(realmId));
  }

  async pause(realmId: string): Promise<RealmInfo> {
    return this.lifecycle(realmId, FrameKind.PAUSE, 'paused');
  }

  async resume(realmId: string): Promise<RealmInfo> {
    return this.lifecycle(realmId, FrameKind.RESUME, 'running');
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
    const frame = new Uint8Array(FrameHeader.SIZE + payload.length);
    const view = new DataView(frame.buffer);
    view.setUint8(FrameHeader.KIND, FrameKind.EVENT);
    view.setUint8(FrameHeader.FLAGS, flags);
    view.setUint32(FrameHeader.SOURCE, EXTERNAL_SOURCE, true);
    view.setUint32(FrameHeader.TARGET, target, true);
    view.setUint32(FrameHeader.SEQ, seq, true);
    view.setUint32(FrameHeader.TICK, this.round, true);
    frame.set(payload, FrameHeader.SIZE);
    this.router.add(frame, 0, frame.length, view);
    return { controlTick: this.round, seq };
  }

  /** A player's input for a realm: applied at the realm's next local tick (next control tick in max mode). */
  input(realmId: string, player: string, data: unknown): void {
    this.requireRunning();
    const rec = this.registry.require(realmId);
    if (typeof player !== 'string' || player.length === 0 || player.length > 128) {
      throw new TickverseError(ErrorCode.INVALID_ARGUMENT, 'player must be a string of 1-128 characters');
    }
    this.command(rec, FrameKind.INPUT, { player, data: data ?? null }, true);
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

  async snapshot(realmId: string): Promise<unknown> {
    return decode<unknown>(await this.query(realmId, 'snapshot'));
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

  stats(): {
    controlTick: number;
    realms: number;
    shards: number;
    shardsAlive: number;
    uptimeMs: number;
    last: ControlTickInfo | null;
    realmsByState: Record<RealmState, number>;
    eventsRouted: number;
    barrierViolations: number;
  } {
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
    };
  }

  // ---- control loop ----

  private async loop(): Promise<void> {
    const pool = this.pool!;
    const period = (this.options.ticksPerControl * 1000) / this.options.tickHz;
    const realtime = this.options.mode === 'realtime';
    const stallMs = Math.max(5_000, this.options.stallControlTicks * period);
    let scheduled = nowMs();
    while (this.state === 'running') {
      this.round++;
      // Drift-corrected: rounds start on an absolute schedule; if we fell more than a round behind, re-anchor.
      if (realtime && nowMs() - scheduled > period) scheduled = nowMs();
      const startMs = realtime ? scheduled : nowMs();
      this.writeBarrierFrames();
      const releasedAt = nowMs();
      pool.barrier.release(this.round, startMs);
      let outcome = await pool.barrier.waitAll(() => pool.aliveCount, () => this.drainAll(), stallMs);
      while (outcome === 'stalled' && this.state === 'running') {
        const late = pool.links.filter((l) => l.alive && pool.barrier.doneRound(l.shard) < this.round).map((l) => l.shard);
        this.options.logger.warn({ controlTick: this.round, shards: late, waitedMs: Math.round(nowMs() - releasedAt) }, 'shard stalled at the barrier');
        outcome = await pool.barrier.waitAll(() => pool.aliveCount, () => this.drainAll(), stallMs);
      }
      if (outcome === 'stalled') break;
      const noticed = nowMs();
      this.drainAll();
      // Barrier invariant: every live shard finished exactly this round, and reported it.
      for (const l of pool.links) {
        if (l.alive && (pool.barrier.doneRound(l.shard) !== this.round || this.roundShards[l.shard]!.round !== this.round)) this.barrierViolations++;
      }
      let lastArrival = 0;
      for (const l of pool.links) if (l.alive) lastArrival = Math.max(lastArrival, pool.barrier.arrivalMs(l.shard));
      const routeStart = nowMs();
      const routed = this.router.route(this.round, {
        deliver: (shard, frame) => this.atBarrierFrame(shard, frame),
        routed: this.emitter.listenerCount('routed') > 0 ? (frame, targets, tick) => this.emitRouted(frame, targets, tick) : undefined,
      });
      const routeEnd = nowMs();
      this.totalRouted += routed.events;
      const info = this.report(routed, {
        barrierMs: Math.max(0, noticed - lastArrival),
        routeMs: routeEnd - routeStart,
        roundMs: Math.max(0, lastArrival - releasedAt),
        durationMs: Math.max(0, routeEnd - lastArrival),
      });
      scheduled += period;
      this.closeTick(info);
      if (!realtime) await yieldToLoop();
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
    this.options.logger.error({ shard, error: message }, 'shard died');
    for (const rec of this.registry.all()) {
      if (rec.shard !== shard) continue;
      rec.state = 'error';
      rec.error = `${ErrorCode.SHARD_FAILED}: shard ${shard} died: ${message}`;
      this.emitChange(rec, 'state');
      if (this.bootWaiters.has(rec.slot)) this.bootWaiters.resolve(rec.slot, this.registry.info(rec));
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

  /**
   * Frames for a realm's shard. `immediate` frames (inputs, watch, keyframes, queries) go into
   * the in-ring now in realtime mode; everything else — and everything in max mode, so runs
   * are deterministic — is written while the shards wait at the barrier.
   */
  private command(rec: RealmRecord, kind: FrameFields['kind'], body: unknown, immediate = false, seq = 0): void {
    const limit = kind === FrameKind.INPUT ? this.options.maxPayloadBytes : this.maxCommandBytes;
    const payload = body === null ? new Uint8Array(0) : this.encodeBounded(body, limit);
    const fields: FrameFields = { kind, flags: 0, shard: rec.shard, source: rec.slot, target: rec.slot, seq, tick: 0, aux: 0 };
    if (immediate && this.options.mode === 'realtime') this.pool!.links[rec.shard]!.writer.send(fields, payload);
    else {
      this.atBarrier[rec.shard]!.push(fields);
      this.atBarrierPayload[rec.shard]!.push(payload);
    }
  }

  private atBarrierFrame(shard: number, frame: Uint8Array): void {
    this.pool!.links[shard]!.writer.sendFrame(frame);
  }

  private broadcastDirectory(d: { add: [number, string][]; remove: number[] }): void {
    const payload = encode(d);
    for (let s = 0; s < this.options.shards; s++) {
      this.atBarrier[s]!.push({ kind: FrameKind.DIRECTORY, flags: 0, shard: s, source: 0, target: 0, seq: 0, tick: 0, aux: 0 });
      this.atBarrierPayload[s]!.push(payload);
    }
  }

  /** Called while every shard waits at the barrier: backlog first, then queued commands, in order. */
  private writeBarrierFrames(): void {
    for (const link of this.pool!.links) {
      const fields = this.atBarrier[link.shard]!;
      const payloads = this.atBarrierPayload[link.shard]!;
      for (let i = 0; i < fields.length; i++) link.writer.send(fields[i]!, payloads[i]!);
      fields.length = 0;
      payloads.length = 0;
      link.writer.flush();
    }
  }

  private async query(realmId: string, what: 'entities' | 'snapshot'): Promise<Uint8Array> {
    this.requireRunning();
    const rec = this.registry.require(realmId);
    const id = this.nextRequest++ >>> 0;
    const reply = new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        reject(new TickverseError(ErrorCode.TIMEOUT, `realm "${realmId}" did not answer within ${QUERY_TIMEOUT_MS} ms`));
      }, QUERY_TIMEOUT_MS);
      this.replies.set(id, { resolve, reject, timer });
    });
    this.command(rec, FrameKind.QUERY, { what }, true, id);
    return reply;
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
    // Least-loaded shard by entities, then realms; ties to the lowest shard.
    const load = new Array<number>(this.options.shards).fill(0);
    for (const r of this.registry.all()) load[r.shard]! += 1000 + r.entities;
    let best = 0;
    for (let s = 1; s < load.length; s++) if (load[s]! < load[best]!) best = s;
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
