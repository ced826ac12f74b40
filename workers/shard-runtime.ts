// A shard: hosts many realm actors, runs K local ticks per released round, applies the
// engine's frames from its in-ring, reports its round into the out-ring and the stats
// table, and arrives at the barrier.
import { performance } from 'node:perf_hooks';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { FrameRing } from '../protocol/ring.js';
import { BarrierSlot, BarrierTime, barrierViews, beatSlot, genSlot, runningSlot } from '../protocol/barrier.js';
import { FrameHeader, FrameKind } from '../protocol/frames.js';
import { RealmRow, ROUND_END_BYTES, RoundEnd, rowOffset } from '../protocol/stats-table.js';
import type { ShardInit } from '../protocol/shard-init.js';
import type { ReloadCommand, ReloadFailure, ReloadReply } from '../protocol/shard-messages.js';
import { Outbox } from './outbox.js';
import { ShardPort } from './shard-port.js';
import { ShardCommands } from './shard-commands.js';
import type { RealmHost } from './realm-host.js';
import type { RealmKind } from './realm.js';

const now = (): number => performance.timeOrigin + performance.now();
/** Slots a realtime local tick is spread over. */
const PHASES = 10;

/** The shard's end of kind reloads: its port, the "message waits" counter, the URL each kind came from, the loader. */
export interface ShardReload {
  readonly port: MessagePort;
  readonly flag: Int32Array;
  readonly urls: Map<string, string>;
  load(url: string): Promise<RealmKind<unknown>>;
}

/** A new kind version loaded here, waiting for its swap; then the code it replaced, kept until commit or revert. */
interface Loaded {
  readonly kind: RealmKind<unknown>;
  readonly url: string;
  prev: RealmKind<unknown> | undefined;
}

export class ShardRuntime {
  private readonly ints: Int32Array;
  private readonly times: Float64Array;
  private readonly inRing: FrameRing;
  private readonly outbox: Outbox;
  private readonly port: ShardPort;
  private readonly commands: ShardCommands;
  private readonly hosts = new Map<number, RealmHost>();
  private readonly stats: Float64Array;
  private readonly roundEnd = new Float64Array(RoundEnd.FIELDS);
  private readonly roundEndBytes = new Uint8Array(this.roundEnd.buffer, 0, ROUND_END_BYTES);
  private readonly dtMs: number;
  private round: number;
  private localTicks = 0;
  private entityUpdates = 0;
  private busyMs = 0;
  private reloadSeen = 0;
  /** Reload commands not applied yet: loads (after the round), swaps and reverts (at the start of their round). */
  private reloadQueue: ReloadCommand[] = [];
  private readonly loaded = new Map<number, Loaded>();
  /** Swaps whose trial is this round: answered at its end. */
  private trials: { token: number; failed: ReloadFailure[]; realms: number }[] = [];

  constructor(
    private readonly init: ShardInit,
    kinds: Map<string, RealmKind<unknown>>,
    private readonly reload: ShardReload | null = null,
  ) {
    const v = barrierViews(init.barrier, init.shards);
    this.ints = v.ints;
    this.times = v.times;
    this.inRing = FrameRing.attach(init.inRing);
    this.outbox = new Outbox(FrameRing.attach(init.outRing), this.ints);
    this.port = new ShardPort(init.shard, this.outbox, this.ints, runningSlot(init.shards, init.shard), beatSlot(init.shards, init.shard));
    this.stats = new Float64Array(init.stats); // length-tracking: sees the engine grow the table
    this.commands = new ShardCommands(this.hosts, kinds, this.port, this.stats, 1 / init.tickHz, init.maxRealmStateBytes);
    this.dtMs = 1000 / init.tickHz;
    this.round = init.startRound;
    this.port.hello([...kinds.values()].map((k) => ({ name: k.name, subscribes: [...(k.subscribes ?? [])], cell: k.schema?.cell ?? 0 })));
    this.outbox.nudge();
  }

  /** Stop asked, or this thread was replaced by a newer incarnation of the shard. */
  private stopped = (): boolean =>
    Atomics.load(this.ints, BarrierSlot.STOP) === 1 || Atomics.load(this.ints, genSlot(this.init.shards, this.init.shard)) !== this.init.generation;

  /** Runs until the engine sets STOP; returns the number of rounds completed. */
  async run(): Promise<number> {
    const first = this.round;
    while (this.awaitRelease()) {
      this.applyReloads();
      this.runRound();
      this.endTrials();
      this.arrive();
      // The one place this thread yields to its event loop: a new kind version's import (the barrier waits for it).
      if (this.pollReloads() && this.reloadQueue.some((c) => c.op === 'load')) await this.loadKinds();
    }
    return this.round - first;
  }

  // ---- kind reloads (engine/reload.ts) ----

  /** Takes the commands the engine posted; true when there are any to apply. */
  private pollReloads(): boolean {
    const r = this.reload;
    if (r === null) return false;
    const n = Atomics.load(r.flag, 0);
    if (n !== this.reloadSeen) {
      this.reloadSeen = n;
      for (let m = receiveMessageOnPort(r.port); m !== undefined; m = receiveMessageOnPort(r.port)) this.reloadQueue.push(m.message as ReloadCommand);
    }
    return this.reloadQueue.length > 0;
  }

  private answer(reply: ReloadReply): void {
    this.reload?.port.postMessage(reply);
  }

  private async loadKinds(): Promise<void> {
    const r = this.reload!;
    const shard = this.init.shard;
    for (const c of this.reloadQueue.splice(0)) {
      if (c.op !== 'load') {
        this.reloadQueue.push(c);
        continue;
      }
      try {
        const kind = await r.load(c.url);
        this.loaded.set(c.token, { kind, url: c.url, prev: undefined });
        const cell = kind.schema?.cell ?? 0;
        this.answer({ op: 'loaded', token: c.token, shard, ok: true, name: kind.name, subscribes: [...(kind.subscribes ?? [])], cell, replaces: r.urls.get(kind.name) ?? null });
      } catch (e) {
        this.answer({ op: 'loaded', token: c.token, shard, ok: false, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
      }
    }
  }

  /** At the start of a round, before its frames: the swaps and reverts due, and commits. */
  private applyReloads(): void {
    if (!this.pollReloads()) return;
    const shard = this.init.shard;
    this.reloadQueue = this.reloadQueue.filter((c) => {
      if (c.op === 'load' || ((c.op === 'swap' || c.op === 'revert') && c.round > this.round)) return true;
      const l = this.loaded.get(c.token);
      if (c.op === 'swap') {
        if (l === undefined) this.answer({ op: 'swapped', token: c.token, shard, round: this.round, realms: 0, failed: [{ realm: '*', message: `shard ${shard} did not load the module (it was restarted)` }] });
        else {
          const s = this.commands.swapKind(l.kind);
          l.prev = s.prev;
          this.trials.push({ token: c.token, failed: s.failed, realms: s.realms });
        }
        return false;
      }
      this.loaded.delete(c.token);
      if (c.op === 'drop') return false;
      if (l !== undefined) this.commands.settleKind(l.kind.name, c.op === 'revert' ? { prev: l.prev } : null);
      if (c.op === 'commit' && l !== undefined) this.reload!.urls.set(l.kind.name, l.url);
      if (c.op === 'revert') this.answer({ op: 'reverted', token: c.token, shard, round: this.round });
      return false;
    });
  }

  private endTrials(): void {
    if (this.trials.length === 0) return;
    for (const t of this.trials.splice(0)) {
      const name = this.loaded.get(t.token)!.kind.name;
      const failed = [...t.failed, ...this.commands.endTrials(name)];
      this.answer({ op: 'swapped', token: t.token, shard: this.init.shard, round: this.round, realms: t.realms, failed });
    }
  }

  private awaitRelease(): boolean {
    const next = this.round + 1;
    let spins = this.init.spin;
    for (;;) {
      if (this.stopped()) return false;
      const released = Atomics.load(this.ints, BarrierSlot.RELEASE);
      if (released >= next) {
        this.round = next;
        return true;
      }
      if (spins > 0) spins--;
      else Atomics.wait(this.ints, BarrierSlot.RELEASE, released, 1000);
    }
  }

  private runRound(): void {
    const start = this.times[BarrierTime.ROUND_START]!;
    const realtime = this.init.mode === 'realtime';
    this.localTicks = 0;
    this.entityUpdates = 0;
    this.busyMs = 0;
    const ticks = Atomics.load(this.ints, BarrierSlot.TICKS);
    // What the barrier wrote (deliveries, registrations, commands) is applied at release, not at
    // the round's first due time: an event reaches its realm as soon as it is routed. Realms see
    // it before their next step either way, so the state is the same.
    const t0 = now();
    const written = this.outbox.framesWritten();
    this.drainIn();
    this.outbox.flush();
    // Boot reports and replies go to the engine now, not at the end of the round (a registration is acknowledged at boot).
    if (this.outbox.framesWritten() !== written) this.outbox.nudge();
    this.busyMs += now() - t0;
    if (ticks === 0) return; // service round (e.g. the final snapshot at shutdown): no simulation
    // Realtime: a local tick's realms are spread over up to PHASES slots of the tick, so their
    // state frames leave in small bursts rather than one (client-observed p99 at 5,000 clients
    // fell from ~95 ms to ~8–20 ms). Realms do not see each other within a tick, so the
    // spreading changes no state; max mode runs the phases back to back.
    const phases = realtime ? Math.max(1, Math.min(PHASES, this.hosts.size)) : 1;
    for (let i = 0; i < ticks; i++) {
      const due = start + i * this.dtMs;
      for (let g = 0; g < phases; g++) {
        if (realtime && !this.waitUntil(due + (g * this.dtMs) / phases)) return;
        const t1 = now();
        if (g === 0 && i > 0) {
          this.drainIn();
          this.outbox.flush();
        }
        let wrote = false;
        let j = 0;
        for (const host of this.hosts.values()) {
          if (j++ % phases !== g || !host.running) continue;
          host.step();
          this.localTicks++;
          this.entityUpdates += host.entityCount();
          if (host.watched && this.commands.sendState(host)) wrote = true;
        }
        this.busyMs += now() - t1;
        if (wrote) this.outbox.nudge();
      }
    }
  }

  /** Sleeps until `due` (ms since epoch); false if the engine stopped meanwhile. */
  private waitUntil(due: number): boolean {
    for (let wait = due - now(); wait > 0.2 && !this.stopped(); wait = due - now()) {
      Atomics.wait(this.ints, BarrierSlot.SLEEP, 0, wait);
    }
    return !this.stopped();
  }

  private arrive(): void {
    const t0 = now();
    this.commands.finishTransfers();
    const hashed = this.init.hashEvery > 0 && this.round % this.init.hashEvery === 0;
    let entities = 0;
    const st = this.stats;
    for (const h of this.hosts.values()) {
      const n = h.entityCount();
      entities += n;
      const at = rowOffset(h.row, this.round);
      if (at + RealmRow.FIELDS > st.length) continue; // the engine grows the table before it places a realm there
      st[at + RealmRow.OWNER] = h.slot + 1;
      st[at + RealmRow.LOCAL_TICK] = h.tick;
      st[at + RealmRow.ENTITIES] = n;
      st[at + RealmRow.EVENTS_IN] = h.eventsIn;
      st[at + RealmRow.EVENTS_OUT] = h.eventsOut;
      st[at + RealmRow.DROPPED] = h.dropped;
      if (hashed) st[at + RealmRow.HASH] = h.hash();
      // Inputs grew the state by a good part of the budget since it was last measured: measure it
      // again, so the engine refuses the input that would take it past (cost follows the growth).
      if (h.grown > 0 && (h.stateBytes < 0 || h.grown * 16 > this.init.maxRealmStateBytes || h.grown > h.stateBytes)) h.measure();
      st[at + RealmRow.STATE_BYTES] = h.stateBytes;
    }
    this.outbox.flush();
    this.busyMs += now() - t0;
    const r = this.roundEnd;
    r[RoundEnd.BUSY_MS] = this.busyMs;
    r[RoundEnd.LOCAL_TICKS] = this.localTicks;
    r[RoundEnd.ENTITY_UPDATES] = this.entityUpdates;
    r[RoundEnd.STATE_DROPPED] = this.outbox.lossyDropped;
    r[RoundEnd.BACKLOG] = this.outbox.backlogLength;
    r[RoundEnd.VIOLATIONS] = Atomics.load(this.ints, BarrierSlot.RELEASE) === this.round ? 0 : 1;
    r[RoundEnd.REALMS] = this.hosts.size;
    r[RoundEnd.ENTITIES] = entities;
    r[RoundEnd.HASHED] = hashed ? 1 : 0;
    this.outbox.sendNow(this.port.fields(FrameKind.ROUND_END, 0, 0, 0, 0, 0, this.round), this.roundEndBytes, this.stopped);
    if (this.stopped()) return;
    const shard = this.init.shard;
    Atomics.store(this.ints, BarrierSlot.DONE_BASE + shard, this.round);
    this.times[BarrierTime.ARRIVAL_BASE + shard] = now();
    Atomics.add(this.ints, BarrierSlot.ARRIVED, 1);
    this.outbox.nudge();
  }

  private drainIn(): void {
    const ring = this.inRing;
    ring.drain((bytes, offset, length) => {
      const body = bytes.subarray(offset + FrameHeader.SIZE, offset + length);
      this.commands.apply(ring.view, offset, body);
    });
  }
}
