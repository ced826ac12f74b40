// @ts-nocheck
// Supervision: shard deaths and stalls, the restart budget, and the replacement of a dead
// shard — a new thread, the directory, every realm it hosted from the last snapshot (or from
// its params if it was registered after it), then the events, transfers and inputs those
// realms missed since. With snapshots off there is nothing to restore from: its realms fail.
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import { FrameHeader, FrameKind, patchHeader } from '../protocol/frames.js';
import { decodeBody } from '../protocol/codec.js';
import { nowMs } from './barrier.js';
import type { Durability } from './durability.js';
import type { ResolvedOptions } from './options.js';
import type { Realms } from './realms.js';
import type { RealmRecord } from './registry.js';
import { RestartBudget } from './restart-budget.js';
import type { Router, RouteSink } from './router.js';
import type { ShardIo } from './shard-io.js';

export class Supervisor {
  private readonly pending = new Set<number>();
  /** Per shard: the realm whose code it was running when it last died (-1: none, or an operator kill). */
  private readonly suspects = new Map<number, number>();
  /** Shards terminated by killShard(): their death blames no realm. */
  private readonly killed = new Set<number>();
  private readonly budget: RestartBudget;
  restarts = 0;
  failures = 0;
  stalls = 0;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly io: ShardIo,
    private readonly realms: Realms,
    private readonly router: Router,
    private readonly durability: Durability,
    private readonly running: () => boolean,
  ) {
    this.budget = new RestartBudget(opts.maxRestarts, opts.restartPeriodMs);
  }

  /** No shard is down and no realm is being restored (a snapshot now would be consistent). */
  settled(): boolean {
    if (this.pending.size > 0) return false;
    for (const r of this.realms.registry.all()) if (r.state === 'syncing') return false;
    return true;
  }

  /** killShard(): fault injection by an operator, not a realm's doing. */
  kill(shard: number): void {
    this.killed.add(shard);
    this.io.pool.kill(shard);
  }

  shardDied(shard: number, error: unknown): void {
    if (!this.running()) return;
    const message = error instanceof Error ? error.message : String(error);
    this.failures++;
    const suspect = this.killed.delete(shard) ? -1 : this.io.pool.barrier.suspect(shard);
    this.opts.logger.error({ shard, error: message, runningRealm: this.realms.registry.bySlotId(suspect)?.reg.realmId ?? null }, 'shard died');
    // Twice in a row in the same realm's code: that realm is the cause (a replayed poison input, a
    // deterministic loop or leak). It is quarantined — failed, and left out of the replacement.
    const rec = suspect >= 0 && this.suspects.get(shard) === suspect ? this.realms.registry.bySlotId(suspect) : undefined;
    this.suspects.set(shard, suspect);
    if (rec !== undefined && rec.shard === shard) {
      this.opts.logger.error({ shard, realm: rec.reg.realmId }, 'realm quarantined');
      this.realms.move(rec, 'error', `${ErrorCode.REALM_QUARANTINED}: shard ${shard} died twice while running realm "${rec.reg.realmId}" (${message}); it was restarted without it`);
    }
    this.io.clearQueue(shard);
    this.io.failReplies(shard, new TickverseError(ErrorCode.SHARD_FAILED, `shard ${shard} died before answering`));
    for (const rec of this.realms.registry.all()) {
      if (rec.shard === shard && rec.state !== 'error') this.realms.move(rec, 'syncing', `${ErrorCode.SHARD_FAILED}: shard ${shard} died: ${message}`);
    }
    this.pending.add(shard);
  }

  /** Shards that have not reached the barrier within stallMs are terminated; they are replaced next round. */
  stalled(round: number, releasedAt: number): void {
    const pool = this.io.pool;
    const late = pool.links.filter((l) => l.alive && pool.barrier.doneRound(l.shard) < round).map((l) => l.shard);
    this.opts.logger.error({ controlTick: round, shards: late, waitedMs: Math.round(nowMs() - releasedAt) }, 'shard stalled at the barrier; terminating it');
    for (const shard of late) {
      this.stalls++;
      pool.kill(shard); // not kill(): the realm it is stuck in is the suspect
      // The abort also rejects its task (and reports the death); mark it now so the barrier stops waiting.
      const link = pool.links[shard]!;
      if (link.alive) {
        link.alive = false;
        this.shardDied(shard, new Error(`stalled: no barrier arrival within ${this.opts.stallMs} ms`));
      }
    }
  }

  /** Before a round: replaces dead shards within the restart budget. */
  restartShards(round: number): void {
    if (this.pending.size === 0) return;
    for (const shard of [...this.pending].sort((a, b) => a - b)) {
      this.pending.delete(shard);
      const realms = [...this.realms.registry.all()].filter((r) => r.shard === shard).sort((a, b) => a.slot - b.slot);
      if (!this.budget.take(shard, Date.now())) {
        this.realms.deadShards.add(shard);
        this.opts.logger.error({ shard, maxRestarts: this.opts.maxRestarts, periodMs: this.opts.restartPeriodMs }, 'shard restart budget exhausted; its realms are failed');
        const why = `${ErrorCode.SHARD_FAILED}: shard ${shard} exceeded ${this.opts.maxRestarts} restarts in ${this.opts.restartPeriodMs} ms`;
        for (const rec of realms) this.realms.move(rec, 'error', why);
        continue;
      }
      this.restarts++;
      this.replace(shard, realms, round);
    }
  }

  private replace(shard: number, realms: RealmRecord[], round: number): void {
    this.io.failReplies(shard, new TickverseError(ErrorCode.SHARD_FAILED, `shard ${shard} was replaced before answering`));
    this.io.clearQueue(shard);
    this.io.pool.restart(shard, round - 1);
    this.io.send(shard, FrameKind.DIRECTORY, 0, this.realms.fullDirectory(shard));
    const d = this.durability;
    const since = d.lastSnapshot?.controlTick ?? -1;
    const mine = new Map<number, number>(); // slot → first control tick it must catch up from
    for (const rec of realms) {
      if (rec.state !== 'syncing') continue; // failed realms stay failed
      try {
        if (this.restore(rec, shard, since, mine) && rec.watchers > 0) this.io.signal(shard, FrameKind.WATCH, rec.slot);
      } catch (e) {
        this.realms.move(rec, 'error', `${ErrorCode.SHARD_FAILED}: realm "${rec.reg.realmId}" could not be restored: ${(e as Error).message}`);
      }
    }
    this.catchUp(shard, since, mine);
  }

  /** Re-adds one realm of a replaced shard; false when it has nothing to come back from (it fails). */
  private restore(rec: RealmRecord, shard: number, since: number, mine: Map<number, number>): boolean {
    const d = this.durability;
    const snap = d.snapshotOf(rec.slot);
    if (snap !== undefined && snap.state !== 'error') {
      this.realms.readd(rec, snap.host, snap.state === 'paused');
      mine.set(rec.slot, since + 1);
    } else if (d.catchUp && rec.registeredAtControlTick > since) {
      // Registered after the snapshot: its params plus the log are its whole history.
      this.realms.readd(rec, undefined, false);
      mine.set(rec.slot, rec.registeredAtControlTick);
    } else {
      this.realms.move(rec, 'error', `${ErrorCode.SHARD_FAILED}: shard ${shard} died and realm "${rec.reg.realmId}" has no snapshot to restore from (snapshotEvery is ${this.opts.snapshotEvery})`);
      return false;
    }
    return true;
  }

  /** The log and the inputs since the snapshot, for the realms being restored on `shard`. */
  private catchUp(shard: number, since: number, mine: Map<number, number>): void {
    const d = this.durability;
    const sink: RouteSink = {
      deliver: (sh, src, offset, length, kind, flags, target, aux) => {
        const frame = src.slice(offset, offset + length);
        patchHeader(frame, 0, kind, flags, target, aux);
        this.io.queueFrame(sh, frame);
        return true;
      },
      undeliverable: () => undefined,
    };
    let replayed = 0;
    for (const t of d.log.after(since)) {
      const only = (slot: number): boolean => (mine.get(slot) ?? Infinity) <= t.tick;
      replayed += this.router.redeliver(t, only, sink, (slot, frame) => {
        const rec = this.realms.registry.bySlotId(slot);
        if (rec !== undefined) this.io.command(shard, FrameKind.DROP_ENTITY, slot, { id: decodeBody(FrameKind.TRANSFER, frame.subarray(FrameHeader.SIZE)).id });
      });
    }
    for (const inp of d.inputs) {
      if ((mine.get(inp.slot) ?? Infinity) <= inp.tick) this.io.command(shard, FrameKind.INPUT, inp.slot, { player: inp.player, data: inp.data });
    }
    this.opts.logger.warn({ shard, realms: mine.size, fromSnapshot: d.lastSnapshot?.controlTick ?? null, eventsReplayed: replayed }, 'shard replaced');
  }
}

