// The engine's public face: it checks arguments and delegates to its parts (shard I/O,
// realms, router, supervisor, durability, control loop — docs/engine.md), nothing more.
import { EventEmitter } from 'node:events';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import { FrameHeader, FrameKind } from '../protocol/frames.js';
import { decode } from '../protocol/codec.js';
import { toSelector } from '../protocol/stat7.js';
import type { RealmInfo, RealmRegistration } from '../protocol/realm.js';
import { ControlLoop } from './control-loop.js';
import { externalEventFrame } from './external-event.js';
import { engineStats } from './engine-stats.js';
import { Durability, type Operations } from './durability.js';
import { Names } from './names.js';
import { Reports } from './reports.js';
import { resolveOptions, type ResolvedOptions } from './options.js';
import type { SnapshotRealm } from './persist/records.js';
import { Realms } from './realms.js';
import { KindReloader } from './reload.js';
import { validateRegistration, type ValidRegistration } from './registration.js';
import type { RealmRecord } from './registry.js';
import { Router, type RouteSink } from './router.js';
import { Remote, type RemotePeer } from './remote.js';
import { ShardIo } from './shard-io.js';
import { Supervisor } from './supervisor.js';
import { Waiters } from './waiters.js';
import type {
  BackupReport, ControlTickInfo, EngineEvents, EngineOptions, EngineStats, EntityView, KindReloadReport, PublishReceipt, PublishRequest, RecoveryReport, RestoreReport,
} from './types.js';

type Listener<K extends keyof EngineEvents> = (...args: EngineEvents[K]) => void;
/** Frames for a realm still booting go after its ADD_REALM, at the barrier; later ones may go at once (realtime). */
const booted = (rec: RealmRecord): boolean => rec.state !== 'booting' && rec.state !== 'syncing';
const HISTORY = 256;

export class Engine {
  readonly options: ResolvedOptions;
  private readonly emitter = new EventEmitter();
  private readonly names = new Names();
  private readonly io: ShardIo;
  private readonly realms: Realms;
  private readonly router: Router;
  private remote: Remote | null = null;
  /** The route sinks: a broadcast's fanout hook is set only once a cluster attaches (none on one node). */
  private readonly sinks: RouteSink[];
  private readonly durability: Durability;
  private readonly supervisor: Supervisor;
  private readonly loop: ControlLoop;
  private readonly reports: Reports;
  private readonly reloader: KindReloader;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private starting: Promise<void> | null = null;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly history: ControlTickInfo[] = [];
  private readonly tickWaiters = new Waiters<number, ControlTickInfo>();
  private readonly hellos = new Set<number>();
  private catalogueReady: () => void = () => undefined;
  private externalSeq = 0;
  private started = 0;
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(options?: EngineOptions) {
    this.options = resolveOptions(options);
    const o = this.options;
    this.emitter.setMaxListeners(0);
    this.io = new ShardIo(o, {
      routeFrame: (bytes, offset, length) => {
        const blocked = this.reports.blocked;
        if (blocked.size === 0 || !blocked.has(new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset + FrameHeader.SOURCE, true))) this.router.add(bytes, offset, length);
      },
      state: (slot, frame) => {
        const rec = this.realms.registry.bySlotId(slot);
        if (rec !== undefined && rec.watchers > 0) this.emitter.emit('state', rec.reg.realmId, frame);
      },
      subscription: (slot, hash, type, on) => (this.names.defineType(hash, type) ? this.realms.subscription(slot, hash, type, on) : this.reports.collision(slot, `event type "${type}"`)),
      typeDef: (slot, hash, type) => void (this.names.defineType(hash, type) || this.reports.collision(slot, `event type "${type}"`)),
      selectorDef: (slot, hash, selector) => void (this.names.defineSelector(hash, toSelector(selector)) || this.reports.collision(slot, 'a STAT7 selector')),
      roundEnd: (shard, round, view, at) => this.loop.roundEnd(shard, round, view, at),
      realmState: (slot, p) => this.realms.realmState(slot, p),
      hello: (shard, p) => {
        this.realms.hello(p);
        this.hellos.add(shard);
        if (this.hellos.size === o.shards) this.catalogueReady();
      },
    });
    this.realms = new Realms(o.maxRealms, o.shards, this.io, this.names, o.logger, (c) => this.emitter.emit('realm', c));
    this.router = new Router(this.realms);
    this.reports = new Reports(this.realms.registry, this.io, o.logger, this.emitter, this.realms.remoteStubs);
    this.io.beforeWrite = () => this.realms.flushDirectory();
    const ops: Operations = {
      addRealm: (reg, slot, snap) => this.addRealm(reg, slot, snap),
      removeRealm: (id) => void this.realms.remove(id),
      routeExternal: (frame) => this.router.add(frame, 0, frame.length),
      round: () => this.loop.round,
      externalSeq: (set) => (this.externalSeq = set ?? this.externalSeq),
    };
    this.durability = new Durability(o, this.io, this.realms, ops, () => this.supervisor.settled());
    this.supervisor = new Supervisor(o, this.io, this.realms, this.router, this.durability, () => this.state === 'running');
    const sink: RouteSink = {
      deliver: (shard, src, offset, length, kind, flags, target, aux) => this.io.deliver(shard, src, offset, length, kind, flags, target, aux),
      away: (frame, dest, bounced) => this.remote?.transferOut(frame, dest, bounced) === true,
      undeliverable: (frame, reason, tick) => void (this.remote?.unicast(frame) === true || this.reports.lost(frame, reason, tick)),
    };
    const observed: RouteSink = { ...sink, routed: (frame, targets, tick) => this.reports.routed(frame, targets, tick) };
    this.sinks = [sink, observed];
    this.loop = new ControlLoop(o, this.io, this.router, this.realms, {
      beforeRound: (round) => this.supervisor.restartShards(round),
      stalled: (round, at) => this.supervisor.stalled(round, at),
      finalRound: () => this.durability.finalSnapshot(),
      sink: () => (this.emitter.listenerCount('routed') > 0 ? observed : sink),
      beforeRoute: () => this.remote?.beforeRoute(),
      log: () => (this.durability.catchUp ? this.durability.log : null),
      gate: (round) => this.durability.gate(round),
      closed: (info) => this.closeTick(info),
    });
    this.reloader = new KindReloader(this.io, this.realms, () => this.loop.round, o.logger);
  }

  // ---- lifecycle ----

  get running(): boolean { return this.state === 'running'; } // prettier-ignore

  /** The last closed control tick. */
  get controlTick(): number {
    return this.history.length === 0 ? 0 : this.history[this.history.length - 1]!.controlTick;
  }

  get startedAt(): number { return this.started; } // prettier-ignore
  /** Entity transfers read from the shards and not routed yet (they are at the next control tick's close). */
  get transfersPending(): number { return this.router.pendingTransfers; } // prettier-ignore
  get shardCount(): number { return this.options.shards; } // prettier-ignore

  /** What the last start recovered from the data directory (null: nothing to recover). */
  get recovery(): RecoveryReport | null {
    return this.durability.recovery;
  }

  /** Starts the shards and recovers the data directory; resolves once every shard reported its kinds. Idempotent while running. */
  start(): Promise<void> {
    if (this.starting !== null && this.state === 'running') return this.starting;
    if (this.state !== 'new') return Promise.reject(new TickverseError(ErrorCode.ENGINE_STOPPED, `engine cannot start: it is ${this.state}; create a new Engine`));
    this.state = 'running';
    this.starting = this.boot();
    return this.starting;
  }

  private async boot(): Promise<void> {
    const { recovered, startRound } = await this.durability.open();
    this.loop.round = startRound + 1;
    const catalogue = new Promise<void>((resolve) => (this.catalogueReady = resolve));
    this.io.start(startRound, (shard, error) => this.supervisor.shardDied(shard, error));
    this.started = Date.now();
    // Atomics.waitAsync holds no event-loop handle and piscina unrefs its threads: keep the process alive while running.
    this.keepAlive = setInterval(() => undefined, 1 << 30);
    const o = this.options;
    o.logger.info({ shards: o.shards, mode: o.mode, tickHz: o.tickHz, k: o.ticksPerControl, dataDir: o.dataDir }, 'engine started');
    this.loopDone = this.loop.run();
    await catalogue;
    if (recovered !== null) await this.durability.recover(recovered);
  }

  /** Finishes the current control tick, writes a final snapshot (with a data directory), stops the shards. */
  async stop(): Promise<void> {
    if (this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    if (this.state !== 'running') return this.loopDone;
    await this.starting?.catch(() => undefined);
    this.state = 'stopping';
    this.loop.stopping = true;
    this.io.pool.barrier.nudge();
    await this.loopDone;
    const err = new TickverseError(ErrorCode.ENGINE_STOPPED, 'the engine stopped');
    this.io.failReplies(null, err); // no more rounds: questions still queued will not be answered
    this.reloader.close(err);
    await this.durability.settle();
    await this.io.pool.stop();
    await this.durability.close();
    clearInterval(this.keepAlive);
    this.tickWaiters.rejectAll(err);
    this.realms.boots.rejectAll(err);
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
    if (this.state === 'stopped' || this.state === 'stopping') return Promise.reject(new TickverseError(ErrorCode.ENGINE_STOPPED, 'the engine stopped'));
    return this.tickWaiters.wait(n);
  }

  private closeTick(info: ControlTickInfo): boolean {
    this.history.push(info);
    if (this.history.length > HISTORY) this.history.shift();
    const log = this.options.logger;
    if (info.controlTick % 100 === 0) log.info({ controlTick: info.controlTick, durationMs: +info.durationMs.toFixed(3), events: info.eventsRouted, realms: this.realms.registry.size }, 'control tick');
    if (this.state === 'running') this.durability.maybeSnapshot(info.controlTick, info.hashes);
    this.emitter.emit('controlTick', info);
    return this.tickWaiters.resolveWhere((n) => n <= info.controlTick, info) > 0;
  }

  /** A replay engine (option `replay`): releases the next control tick; resolves with its report once it closes. */
  step(): Promise<ControlTickInfo> {
    this.requireRunning();
    if (this.durability.replayer === null) throw new TickverseError(ErrorCode.INVALID_ARGUMENT, 'step() needs an engine started with the `replay` option');
    this.durability.replayer.permit();
    return this.onControlTick(this.loop.round);
  }

  // ---- realms ----

  /** Registers a realm; resolves once it has booted on its shard and its registration is durable (journaled). */
  async register(input: RealmRegistration): Promise<RealmInfo> {
    this.requireRunning();
    await this.starting;
    const reg = validateRegistration(input);
    this.realms.checkKind(reg.kind);
    const rec = this.addRealm(reg);
    const booted = this.realms.boots.wait(rec.slot);
    this.options.logger.info({ realm: reg.realmId, game: reg.gameId, kind: reg.kind, shard: rec.shard, stat7: rec.canonical }, 'realm registered');
    const [info] = await Promise.all([booted, this.durability.journal({ t: 'reg', tick: this.loop.round, slot: rec.slot, reg })]);
    return info;
  }

  private addRealm(reg: ValidRegistration, slot?: number, snap?: SnapshotRealm): RealmRecord {
    const restore = snap !== undefined && snap.host !== null && snap.host !== undefined;
    const rec = this.realms.add(reg, this.loop.round, { slot, snapshot: restore ? snap.host : undefined, paused: snap?.state === 'paused' });
    if (snap?.state === 'error') this.io.command(rec.shard, FrameKind.FAIL_REALM, rec.slot, { code: ErrorCode.REALM_CRASHED, message: snap.error ?? 'failed before the snapshot' });
    return rec;
  }

  async unregister(realmId: string): Promise<void> {
    this.requireRunning();
    this.realms.remove(realmId);
    this.options.logger.info({ realm: realmId }, 'realm unregistered');
    await Promise.all([this.onControlTick(this.loop.round), this.durability.journal({ t: 'unreg', tick: this.loop.round, realm: realmId })]);
  }

  list(): RealmInfo[] {
    return [...this.realms.registry.all()].map((r) => this.realms.info(r));
  }

  get(realmId: string): RealmInfo {
    return this.realms.info(this.realms.registry.require(realmId));
  }

  /** The realm's info, or undefined when this engine has no such realm (get() throws). */
  find(realmId: string): RealmInfo | undefined {
    const rec = this.realms.registry.find(realmId);
    return rec === undefined ? undefined : this.realms.info(rec);
  }

  pause(realmId: string): Promise<RealmInfo> {
    return this.lifecycle(realmId, 'pause');
  }

  resume(realmId: string): Promise<RealmInfo> {
    return this.lifecycle(realmId, 'resume');
  }

  private async lifecycle(realmId: string, t: 'pause' | 'resume'): Promise<RealmInfo> {
    this.requireRunning();
    const rec = this.realms.registry.require(realmId);
    if (rec.state === 'error' || rec.state === 'offline') throw new TickverseError(ErrorCode.REALM_NOT_RUNNING, `realm "${realmId}" is ${rec.state}`);
    this.io.signal(rec.shard, t === 'pause' ? FrameKind.PAUSE : FrameKind.RESUME, rec.slot);
    const target = this.loop.round;
    await Promise.all([this.onControlTick(target), this.durability.journal({ t, tick: target, realm: realmId })]);
    const want = t === 'pause' ? 'paused' : 'running';
    const now = this.realms.info(rec).state;
    if (now !== want && now !== 'error') await this.onControlTick(target + 1);
    return this.realms.info(rec);
  }

  // ---- traffic ----

  /** Injects an event from outside the realms; it is routed when the current control tick closes. */
  publish(req: PublishRequest): PublishReceipt {
    this.requireRunning();
    const tick = this.loop.round;
    // The sequence is taken only once the request passed its checks.
    const frame = externalEventFrame(req, this.names, this.realms.registry, this.io, this.options.maxPayloadBytes, this.externalSeq + 1, tick);
    const seq = ++this.externalSeq;
    this.router.add(frame, 0, frame.length);
    return { controlTick: tick, seq, durable: this.durability.journal({ t: 'pub', tick, frame }) };
  }

  /** A player's input, applied at the realm's next local tick (next control tick in max mode); resolves when durable. */
  input(realmId: string, player: string, data: unknown): Promise<void> {
    this.requireRunning();
    const rec = this.realms.registry.require(realmId);
    if (typeof player !== 'string' || player.length === 0 || player.length > 128) throw new TickverseError(ErrorCode.INVALID_ARGUMENT, 'player must be a string of 1-128 characters');
    const body = { player, data: data ?? null };
    const bytes = this.io.encodeBounded(FrameKind.INPUT, body, this.options.maxInputBytes);
    this.realms.checkGrowth(rec, bytes.length, this.options.maxRealmStateBytes);
    this.io.send(rec.shard, FrameKind.INPUT, rec.slot, bytes, booted(rec));
    this.durability.logInput({ tick: this.loop.round, slot: rec.slot, ...body });
    return this.durability.journal({ t: 'input', tick: this.loop.round, realm: realmId, ...body });
  }

  /** A realm's state for another engine to adopt (scale-out failover): its snapshot envelope as the shard made it, and its state hash. */
  async exportRealm(realmId: string): Promise<{ host: Uint8Array; hash: number }> {
    const rec = this.requireRealm(realmId);
    const r = await this.io.query(rec.shard, rec.slot, 'snapshot', booted(rec), realmId);
    return { host: r.snapshot, hash: r.hash };
  }

  /** Registers a realm at a state exported by another engine (exportRealm); resolves once it runs, saying whether its restored state hash is `hash`. */
  async adopt(input: RealmRegistration, host: Uint8Array, hash: number): Promise<{ info: RealmInfo; hashMatches: boolean }> {
    this.requireRunning();
    await this.starting;
    const reg = validateRegistration(input);
    this.realms.checkKind(reg.kind);
    const rec = this.addRealm(reg, undefined, { slot: -1, reg, state: 'running', host, hash });
    const booted = this.realms.boots.wait(rec.slot);
    // Queued right after ADD_REALM: the restored state is hashed before its first tick.
    const hashed = this.io.query(rec.shard, rec.slot, 'hash', false, reg.realmId);
    const [info, h] = await Promise.all([booted, hashed, this.durability.journal({ t: 'reg', tick: this.loop.round, slot: rec.slot, reg })]);
    this.options.logger.info({ realm: reg.realmId, shard: rec.shard, hashMatches: h === hash }, 'realm adopted from another node');
    return { info, hashMatches: h === hash };
  }

  /** Joins a multi-node multiverse (cluster/ calls it once): remote realms, outbound and inbound events. */
  attachRemote(peer: RemotePeer): Remote {
    if (this.remote !== null) throw new TickverseError(ErrorCode.INVALID_ARGUMENT, 'this engine is already attached to a cluster');
    const remote = (this.remote = new Remote(peer, this.realms, this.names, this.router, this.io));
    for (const s of this.sinks) s.fanout = (frame) => remote.fanout(frame);
    return remote;
  }

  /** Asks a realm to hand one of its entities to another realm at the end of the current control tick. */
  transfer(entityId: string, fromRealm: string, toRealm: string): void {
    this.requireRunning();
    const from = this.realms.registry.require(fromRealm);
    // Another node's realm (scale-out) is addressed like a local one.
    if (this.remote?.isRemote(toRealm) !== true) this.realms.registry.require(toRealm);
    if (typeof entityId !== 'string' || entityId.length === 0) throw new TickverseError(ErrorCode.INVALID_ARGUMENT, 'entityId must be a non-empty string');
    this.io.command(from.shard, FrameKind.TRANSFER_OUT, from.slot, { entity: entityId, to: toRealm });
  }

  async entities(realmId: string): Promise<EntityView[]> {
    const rec = this.requireRealm(realmId);
    return this.io.query(rec.shard, rec.slot, 'entities', booted(rec), realmId);
  }

  /** The realm's snapshot envelope as its shard holds it now ({v, tick, rng, seq, subs, data, counters}). */
  async snapshot(realmId: string): Promise<unknown> {
    const rec = this.requireRealm(realmId);
    return decode((await this.io.query(rec.shard, rec.slot, 'snapshot', booted(rec), realmId)).snapshot);
  }

  /** Starts a realm's state stream (refcounted); returns the function that stops watching. */
  watch(realmId: string): () => void {
    const rec = this.requireRealm(realmId);
    this.io.signal(rec.shard, rec.watchers++ === 0 ? FrameKind.WATCH : FrameKind.KEYFRAME, rec.slot, booted(rec));
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--rec.watchers === 0 && this.realms.registry.find(realmId) === rec && this.running) this.io.signal(rec.shard, FrameKind.UNWATCH, rec.slot, booted(rec));
    };
  }

  requestKeyframe(realmId: string): void {
    const rec = this.requireRealm(realmId);
    this.io.signal(rec.shard, FrameKind.KEYFRAME, rec.slot, booted(rec));
  }

  /** Replaces a realm kind's code at run time; every realm of it keeps its state (docs/realm-kinds.md#hot-reload). */
  async reloadKind(module: string): Promise<KindReloadReport> {
    this.requireRunning();
    await this.starting;
    return this.reloader.reload(module);
  }

  stats(): EngineStats {
    const { durability, supervisor, realms, io, loop, reports } = this;
    const last = this.history[this.history.length - 1] ?? null;
    return engineStats({ durability, supervisor, realms, io, loop, reports, shards: this.options.shards, started: this.started, last, controlTick: this.controlTick });
  }

  /** Fault injection for operators and tests: terminates a shard's thread now, mid-tick; it is replaced as if it had crashed. */
  killShard(shard: number): void {
    this.requireRunning();
    if (!Number.isInteger(shard) || shard < 0 || shard >= this.options.shards) {
      throw new TickverseError(ErrorCode.INVALID_ARGUMENT, `shard must be an integer from 0 to ${this.options.shards - 1}; received ${shard}`);
    }
    this.supervisor.kill(shard);
  }

  /** Writes a consistent backup of the whole multiverse to `path` (default: <dataDir>/backups/). */
  backup(path?: string): Promise<BackupReport> {
    this.requireRunning();
    return this.durability.backup(path);
  }

  /** Replaces the whole multiverse with a backup; every current realm is unregistered. */
  restoreBackup(path: string): Promise<RestoreReport> {
    this.requireRunning();
    return this.durability.restore(path);
  }

  private requireRealm(realmId: string): RealmRecord {
    this.requireRunning();
    return this.realms.registry.require(realmId);
  }

  private requireRunning(): void {
    if (this.state !== 'running') throw new TickverseError(ErrorCode.ENGINE_NOT_RUNNING, `the engine is ${this.state}`);
  }
}
