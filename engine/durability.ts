// Durability: the journal of acknowledged operations, multiverse snapshots (in memory for
// shard restores, and in the data directory), backup/restore and recovery at start. It is
// also the catch-up source the supervisor restores a replaced shard's realms from.
import { join } from 'node:path';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import { FrameHeader, FrameKind } from '../protocol/frames.js';
import { backupFileName, DataStore, pruneFiles, readSnapshotFile, SNAP_SUFFIX, writeSnapshotFile, type Recovered } from './persist/store.js';
import type { JournalRecord, MultiverseSnapshot, PendingBatch, SnapshotRealm } from './persist/records.js';
import { Replayer } from './persist/replay.js';
import type { ResolvedOptions } from './options.js';
import type { Realms } from './realms.js';
import type { RealmRecord } from './registry.js';
import type { ValidRegistration } from './registration.js';
import { RouteLog } from './route-log.js';
import type { ShardIo } from './shard-io.js';
import type { BackupReport, RecoveryReport, RestoreReport } from './types.js';

/** What recovery and restores ask of the engine (implemented by the facade). */
export interface Operations {
  addRealm(reg: ValidRegistration, slot?: number, snapshot?: SnapshotRealm): RealmRecord;
  removeRealm(realmId: string): void;
  routeExternal(frame: Uint8Array): void;
  /** The round whose commands are being queued now. */
  round(): number;
  /** The last sequence number of events published through the engine API (`set` after recovery). */
  externalSeq(set?: number): number;
}

export interface LoggedInput {
  tick: number;
  slot: number;
  player: string;
  data: unknown;
}

export class Durability {
  store: DataStore | null = null;
  lastSnapshot: MultiverseSnapshot | null = null;
  private bySlot = new Map<number, SnapshotRealm>();
  /** Routed batches and inputs since the last snapshot: a replaced shard's realms catch up on them. */
  readonly log = new RouteLog();
  inputs: LoggedInput[] = [];
  private snapshotting: Promise<unknown> | null = null;
  private backupTimer: NodeJS.Timeout | undefined;
  recovery: RecoveryReport | null = null;
  /** The last control tick on disk at open: a recovery's records go up to it (the boot record says so). */
  private upTo = 0;
  /** A replay engine's stepped rounds (option `replay`), else null. */
  readonly replayer: Replayer | null;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly io: ShardIo,
    private readonly realms: Realms,
    private readonly ops: Operations,
    /** No shard is down and no realm is being restored. */
    private readonly settled: () => boolean,
  ) {
    const plan = opts.replay;
    const boot = async (snap: MultiverseSnapshot): Promise<{ checked: number; mismatched: string[] }> => {
      const c = await this.boot(snap, true);
      // The replay's restore check, reported as a recovery's (engine.recovery).
      this.recovery = { snapshotTick: snap.controlTick, realmsRestored: snap.realms.length, journalReplayed: 0, hashesChecked: c.checked, hashMismatches: c.mismatches, skippedFiles: [] };
      return c;
    };
    this.replayer = plan === null ? null : new Replayer(plan, { boot, apply: (rec) => this.replay(rec), routeExternal: (f) => this.ops.routeExternal(f) }, opts.ticksPerControl);
  }

  /** The control loop's gate: a replay engine's rounds wait for a step (null: no gate). */
  gate(round: number): Promise<number> | null {
    return this.replayer === null ? null : this.replayer.gate(round);
  }

  /** Snapshots are on: shard restores bring realms back at their state, with what they missed. */
  get catchUp(): boolean {
    return this.opts.snapshotEvery > 0;
  }

  snapshotOf(slot: number): SnapshotRealm | undefined {
    return this.bySlot.get(slot);
  }

  /** Opens the data directory; returns what it holds and the round to continue after. */
  async open(): Promise<{ recovered: Recovered | null; startRound: number }> {
    // A replay starts on its plan's first control tick (the recorded data directory is not opened here).
    if (this.opts.replay !== null) return { recovered: null, startRound: this.opts.replay.first - 1 };
    if (this.opts.dataDir === null) return { recovered: null, startRound: 0 };
    this.store = new DataStore(this.opts.dataDir, this.opts.snapshotRetain);
    const recovered = await this.store.recover();
    // Round numbers continue after everything on disk, so new journal records never collide with old ones.
    const startRound = Math.max(recovered.snapshot?.controlTick ?? 0, ...recovered.records.map((r) => r.tick));
    this.upTo = startRound;
    await this.store.startJournal(startRound);
    if (this.opts.backupEveryMs > 0) {
      this.backupTimer = setInterval(() => void this.scheduledBackup(), this.opts.backupEveryMs);
      this.backupTimer.unref();
    }
    return { recovered, startRound };
  }

  journal(rec: JournalRecord): Promise<void> {
    if (this.store === null) return Promise.resolve();
    const p = this.store.append(rec);
    p.catch((e: unknown) => this.opts.logger.error({ error: String(e), record: rec.t }, 'journal append failed'));
    return p;
  }

  logInput(input: LoggedInput): void {
    if (this.catchUp) this.inputs.push(input);
  }

  /** At a closed control tick: its state hashes as a checkpoint (journalHashes), and a periodic snapshot when one is due and the multiverse is settled. */
  maybeSnapshot(tick: number, hashes?: Record<string, number>): void {
    if (this.opts.journalHashes && this.store !== null && hashes !== undefined && Object.keys(hashes).length > 0) void this.journal({ t: 'hash', tick, hashes });
    const every = this.opts.snapshotEvery;
    if (every === 0 || tick % every !== 0 || this.snapshotting !== null || !this.settled()) return;
    this.snapshotting = this.take(this.store === null ? 'memory' : 'persist')
      .catch((e: unknown) => this.opts.logger.warn({ error: String(e) }, 'snapshot abandoned; the previous one and the catch-up log stay'))
      .finally(() => {
        this.snapshotting = null;
      });
  }

  /**
   * A consistent snapshot of every realm at the current barrier: the queries are queued with
   * the barrier frames, so each shard answers before its next local tick. All or nothing: if
   * any realm cannot answer (its shard died meanwhile), the snapshot is abandoned, and the
   * previous snapshot and the catch-up log stay as they were. 'persist' writes it to the data
   * directory (rotating the journal), 'memory' keeps it for shard restores, 'backup' returns it.
   */
  async take(mode: 'persist' | 'memory' | 'backup', final = false): Promise<MultiverseSnapshot> {
    const tick = this.ops.round() - 1;
    for (const rec of this.realms.registry.all()) {
      if (rec.state !== 'error' && (rec.state === 'syncing' || !this.io.alive(rec.shard))) {
        throw new TickverseError(ErrorCode.SHARD_FAILED, `realm "${rec.reg.realmId}" is being restored on shard ${rec.shard}; try again`);
      }
    }
    const realms: Promise<SnapshotRealm>[] = [];
    for (const rec of this.realms.registry.all()) {
      if (rec.state === 'error') {
        // A failed realm keeps its last good state (or none), and the reason.
        const prev = this.bySlot.get(rec.slot);
        realms.push(Promise.resolve({ slot: rec.slot, reg: rec.reg, state: 'error', host: prev?.host ?? null, hash: prev?.hash ?? 0, error: rec.error }));
        continue;
      }
      const state = rec.state;
      realms.push(this.io.query(rec.shard, rec.slot, 'snapshot', false, rec.reg.realmId).then((r) => ({ slot: rec.slot, reg: rec.reg, state, host: r.snapshot, hash: r.hash })));
    }
    const rotated = mode === 'persist' ? this.store!.startJournal(tick) : Promise.resolve();
    rotated.catch(() => undefined); // awaited below; a failure surfaces there
    const snap: MultiverseSnapshot = { v: 1, controlTick: tick, createdAt: Date.now(), externalSeq: this.ops.externalSeq(), realms: await Promise.all(realms) };
    // The final snapshot's queries go in with its service round (after the last deliveries, no local
    // tick); the others' at the next barrier, so they hold round tick + 1 without its deliveries.
    snap.phase = final ? 'closed' : 'next';
    snap.clock = { tickHz: this.opts.tickHz, ticksPerControl: this.opts.ticksPerControl };
    if (!final && this.catchUp) snap.pending = this.pendingAfter(tick);
    await rotated;
    if (mode === 'backup') return snap;
    if (mode === 'persist') await this.store!.writeSnapshot(snap);
    this.keep(snap);
    return snap;
  }

  /** The batch routed at round tick + 1, which a 'next' snapshot does not hold yet (time travel routes it again). */
  private pendingAfter(tick: number): PendingBatch | null {
    const t = this.log.after(tick).find((l) => l.tick === tick + 1);
    return t === undefined ? null : { tick: t.tick, frames: t.frames, starts: [...t.starts], lengths: [...t.lengths] };
  }

  private keep(snap: MultiverseSnapshot): void {
    this.lastSnapshot = snap;
    this.bySlot = new Map(snap.realms.map((r) => [r.slot, r]));
    this.log.trim(snap.controlTick);
    this.inputs = this.inputs.filter((i) => i.tick > snap.controlTick);
  }

  /** Stopping: the final snapshot of the service round. */
  finalSnapshot(): Promise<unknown> | null {
    return this.store === null ? null : this.take('persist', true);
  }

  async settle(): Promise<void> {
    clearInterval(this.backupTimer);
    await this.snapshotting?.catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.store?.close();
  }

  async backup(path?: string): Promise<BackupReport> {
    const target = path ?? (this.store === null ? null : join(this.store.backupDir, backupFileName(this.ops.round() - 1, Date.now())));
    if (target === null) throw new TickverseError(ErrorCode.INVALID_ARGUMENT, 'backup needs a path when the engine has no data directory');
    const snap = await this.take('backup');
    const bytes = await writeSnapshotFile(target, snap);
    this.opts.logger.info({ path: target, controlTick: snap.controlTick, realms: snap.realms.length }, 'backup written');
    return { path: target, controlTick: snap.controlTick, realms: snap.realms.length, bytes };
  }

  private async scheduledBackup(): Promise<void> {
    if (this.store === null) return;
    try {
      await this.backup();
      await pruneFiles(this.store.backupDir, SNAP_SUFFIX, this.opts.backupRetain);
    } catch (e) {
      this.opts.logger.error({ error: String(e) }, 'scheduled backup failed');
    }
  }

  /** Replaces the whole multiverse with a backup; with a data directory a new snapshot makes it durable. */
  async restore(path: string): Promise<RestoreReport> {
    let snap: MultiverseSnapshot;
    try {
      snap = await readSnapshotFile(path);
    } catch (e) {
      throw new TickverseError(ErrorCode.INVALID_ARGUMENT, `cannot read backup ${path}: ${(e as Error).message}`);
    }
    for (const rec of [...this.realms.registry.all()]) {
      this.ops.removeRealm(rec.reg.realmId);
      await this.journal({ t: 'unreg', tick: this.ops.round(), realm: rec.reg.realmId });
    }
    const checked = await this.boot(snap, false);
    if (this.store !== null) await this.take('persist');
    this.opts.logger.info({ path, controlTick: snap.controlTick, realms: snap.realms.length, hashMismatches: checked.mismatches }, 'backup restored');
    return { path, controlTick: snap.controlTick, realms: snap.realms.length, hashesChecked: checked.checked, hashMismatches: checked.mismatches };
  }

  /** Adds every realm of a snapshot at its snapshot state and checks its state hash before it ticks. */
  private async boot(snap: MultiverseSnapshot, keepSlots: boolean): Promise<{ checked: number; mismatches: number; mismatched: string[] }> {
    const checks: Promise<string | null>[] = [];
    const boots: Promise<unknown>[] = [];
    for (const r of snap.realms) {
      let rec: RealmRecord;
      const slot = keepSlots ? r.slot : undefined;
      try {
        rec = this.ops.addRealm(r.reg, slot, r);
      } catch (e) {
        // This realm alone: it comes back failed, with the reason; the rest of the multiverse starts.
        const error = `${ErrorCode.SHARD_FAILED}: realm "${r.reg.realmId}" could not be restored: ${(e as Error).message}`;
        this.opts.logger.error({ realm: r.reg.realmId, error }, 'realm not restored');
        try {
          rec = this.ops.addRealm(r.reg, slot, { ...r, state: 'error', host: null, error });
        } catch {
          continue;
        }
      }
      boots.push(this.realms.boots.wait(rec.slot).catch(() => undefined));
      if (r.state === 'error') continue;
      // Queued right after ADD_REALM, so the shard hashes the restored state before any local tick.
      const id = rec.reg.realmId;
      checks.push(this.io.query(rec.shard, rec.slot, 'hash', false, id).then((h) => (h === r.hash ? null : id), () => id));
    }
    const results = await Promise.all(checks);
    await Promise.all(boots);
    const mismatched = results.filter((id): id is string => id !== null);
    return { checked: results.length, mismatches: mismatched.length, mismatched };
  }

  /** Brings back what the data directory holds: the newest snapshot, then the journal after it. */
  async recover(r: Recovered): Promise<RecoveryReport> {
    const snap = r.snapshot;
    // Time travel replays from here as the recovery did it: this round, this snapshot, these records.
    void this.journal({ t: 'boot', tick: this.ops.round(), snapshot: snap?.controlTick ?? null, upTo: this.upTo });
    this.ops.externalSeq(snap?.externalSeq ?? 0);
    const checked = snap === null ? Promise.resolve({ checked: 0, mismatches: 0 }) : this.boot(snap, true);
    if (snap !== null) this.keep(snap);
    let replayed = 0;
    for (const rec of r.records) {
      if (rec.t === 'hash' || rec.t === 'boot') continue;
      try {
        this.replay(rec);
        replayed++;
      } catch (e) {
        this.opts.logger.warn({ record: rec.t, error: String(e) }, 'journal record not replayed');
      }
    }
    const c = await checked;
    this.recovery = {
      snapshotTick: snap?.controlTick ?? null,
      realmsRestored: snap?.realms.length ?? 0,
      journalReplayed: replayed,
      hashesChecked: c.checked,
      hashMismatches: c.mismatches,
      skippedFiles: r.skipped,
    };
    this.opts.logger.info(this.recovery, 'recovered from the data directory');
    return this.recovery;
  }

  /** Re-applies one acknowledged operation from the journal (without journaling it again). */
  replay(rec: JournalRecord): void {
    const reg = this.realms.registry;
    switch (rec.t) {
      case 'reg':
        this.ops.addRealm(rec.reg, rec.slot);
        return;
      case 'unreg':
        this.ops.removeRealm(rec.realm);
        return;
      case 'pause':
      case 'resume': {
        const r = reg.require(rec.realm);
        this.io.signal(r.shard, rec.t === 'pause' ? FrameKind.PAUSE : FrameKind.RESUME, r.slot);
        return;
      }
      case 'pub': {
        const frame = new Uint8Array(rec.frame);
        this.ops.externalSeq(Math.max(this.ops.externalSeq(), new DataView(frame.buffer).getUint32(FrameHeader.SEQ, true)));
        this.ops.routeExternal(frame);
        return;
      }
      case 'input': {
        const r = reg.require(rec.realm);
        this.io.command(r.shard, FrameKind.INPUT, r.slot, { player: rec.player, data: rec.data });
        this.logInput({ tick: this.ops.round(), slot: r.slot, player: rec.player, data: rec.data });
        return;
      }
      case 'hash':
      case 'boot':
        return; // checkpoints and markers for time travel, not operations
      default:
        return assertNever(rec);
    }
  }
}

function assertNever(x: never): never {
  throw new Error(`unknown journal record ${JSON.stringify(x)}`);
}
