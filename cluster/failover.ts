// Failover (docs/scale-out.md § Failover). The owner acknowledges an input only once it is in
// the JetStream journal, and writes each realm's snapshot (with the journal sequence it
// includes) every snapshotEveryMs. When a node's lease runs out, the live node placement picks
// for each of its realms moves it to itself by compare-and-set (epoch + 1), adopts the last
// snapshot and replays the journaled inputs after it: nothing acknowledged is lost. Snapshots
// are written by compare-and-set on their KV revision: the adopter rewrites the one it read
// first, so a stale owner's late write fails instead of overwriting the new owner's.
import type { Engine } from '../engine/index.js';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { RealmRegistration } from '../protocol/realm.js';
import type { Directory, DirEntry } from './directory.js';
import type { Membership } from './membership.js';
import { chooseNode, ownedCounts } from './placement.js';
import type { ClusterStore, RealmSnapshot, StoredSnapshot } from './store.js';
import type { RemoteTransfer } from '../protocol/cluster.js';

/** What a realm's snapshot carries besides its state (cluster/transfers.ts provides it). */
export interface SnapshotExtras {
  /** Read before the state is: what the state will hold. */
  before(realmId: string): { landed: string[]; returned: ReadonlySet<string> };
  /** Read after: the transfers out of the realm its state (`host`) no longer holds. */
  outbox(realmId: string, host: Uint8Array, returned: ReadonlySet<string>): Promise<RemoteTransfer[]>;
  /** A snapshot of the realm is stored: what it holds is durable now. */
  written(realmId: string, snap: RealmSnapshot): void;
  /** An adopted realm's in-flight transfers and landed ids. */
  restore(realmId: string, snap: RealmSnapshot | null): void;
}

export interface FailoverLog {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
}

export class Failover {
  /** Per realm owned here: the journal sequence of the last input handed to the engine. */
  private readonly applied = new Map<string, number>();
  /** Per realm, inputs go to the engine in journal order (and after an adoption's replay): one chain each. */
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly adopting = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private snapshotting = false;
  /** Per realm: the KV revision of its stored snapshot (the next write is a compare-and-set on it). */
  private readonly revisions = new Map<string, number>();
  /** Per realm: the snapshot being written, and one queued behind it. */
  private readonly writing = new Map<string, Promise<RealmSnapshot | null>>();
  private readonly queued = new Map<string, Promise<RealmSnapshot | null>>();
  extras: SnapshotExtras | null = null;
  adopted = 0;
  /** Snapshot writes refused because another node had written the realm's snapshot since (a stale owner). */
  fencedWrites = 0;
  /** Adoptions whose restored state did not hash to what the old owner recorded. */
  hashMismatches = 0;

  constructor(
    private readonly engine: Engine,
    private readonly node: string,
    private readonly directory: Directory,
    private readonly membership: Membership,
    private readonly store: ClusterStore,
    private readonly snapshotEveryMs: number,
    private readonly leaseMs: number,
    private readonly log: FailoverLog,
  ) {}

  start(): void {
    this.timers.push(setInterval(() => void this.snapshotAll(), this.snapshotEveryMs));
    this.timers.push(setInterval(() => this.reclaim(), Math.max(50, Math.floor(this.leaseMs / 4))));
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** An input to a realm this node owns: journaled first, then given to the engine; resolves when both are done. */
  input(realmId: string, player: string, data: unknown): Promise<void> {
    const entry = this.ownEntry(realmId);
    this.engine.get(realmId); // UNKNOWN_REALM before anything is journaled
    return this.inOrder(realmId, async () => {
      const seq = await this.store.append(realmId, { player, data, epoch: entry.rec.epoch });
      this.applied.set(realmId, seq);
      await this.engine.input(realmId, player, data);
    });
  }

  /** Runs `fn` after everything queued for the realm before it. Realms do not wait for each other. */
  private inOrder<T>(realmId: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(realmId) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    this.chains.set(realmId, tail);
    void tail.then(() => {
      if (this.chains.get(realmId) === tail) this.chains.delete(realmId);
    });
    return run;
  }

  forget(realmId: string): Promise<void> {
    this.applied.delete(realmId);
    this.revisions.delete(realmId);
    this.writing.delete(realmId);
    return this.store.forget(realmId);
  }

  /** Writes a snapshot of an owned realm now (after the one being written, if any); resolves with what was stored, or null. */
  snapshotRealm(realmId: string): Promise<RealmSnapshot | null> {
    const q = this.queued.get(realmId);
    if (q !== undefined) return q;
    const prev = this.writing.get(realmId) ?? Promise.resolve(null);
    const next = prev.then(() => {
      this.queued.delete(realmId);
      const run = this.writeSnapshot(realmId).catch((err: unknown) => {
        this.log.warn({ realm: realmId, error: (err as Error).message }, 'cluster snapshot failed');
        return null;
      });
      this.writing.set(realmId, run);
      return run;
    });
    this.queued.set(realmId, next);
    return next;
  }

  private async writeSnapshot(realmId: string): Promise<RealmSnapshot | null> {
    const e = this.directory.get(realmId);
    if (e === undefined || e.rec.owner !== this.node || this.membership.isFenced) return null;
    if (this.engine.find(realmId)?.state !== 'running') return null;
    // Read before the query: every input given to the engine (and every transfer routed in) before it is in the snapshot.
    const journalSeq = this.applied.get(realmId) ?? 0;
    const pre = this.extras?.before(realmId) ?? { landed: [], returned: new Set<string>() };
    const { host, hash } = await this.engine.exportRealm(realmId);
    const outbox = (await this.extras?.outbox(realmId, host, pre.returned)) ?? [];
    const snap: RealmSnapshot = { epoch: e.rec.epoch, journalSeq, host, hash, outbox, landed: pre.landed };
    const rev = await this.store.putSnapshot(realmId, snap, this.revisions.get(realmId) ?? 0);
    if (rev === null) {
      this.fencedWrites++;
      this.log.warn({ realm: realmId, epoch: e.rec.epoch }, 'cluster snapshot refused: another node wrote this realm since (this node is a stale owner)');
      return null;
    }
    this.revisions.set(realmId, rev);
    this.extras?.written(realmId, snap);
    return snap;
  }

  private ownEntry(realmId: string): DirEntry {
    const e = this.directory.get(realmId);
    if (e === undefined || e.rec.owner !== this.node || this.membership.isFenced) {
      throw new TickverseError(ErrorCode.NODE_UNAVAILABLE, `node ${this.node} does not own realm "${realmId}" now`);
    }
    return e;
  }

  /** Every owned realm's snapshot, with the journal position it includes. */
  private async snapshotAll(): Promise<void> {
    if (this.snapshotting || this.membership.isFenced) return;
    this.snapshotting = true;
    try {
      for (const r of this.engine.list()) await this.snapshotRealm(r.realmId);
    } finally {
      this.snapshotting = false;
    }
  }

  /** Realms of dead nodes that placement gives to this node: taken over and restored. */
  private reclaim(): void {
    if (this.membership.isFenced) return;
    const alive = this.membership.alive();
    const owned = ownedCounts(this.directory.entries());
    for (const [realmId, e] of [...this.directory.entries()]) {
      if (e.rec.owner === this.node || this.adopting.has(realmId) || !this.membership.isDead(e.rec.owner)) continue;
      if (chooseNode(alive, owned) !== this.node) continue;
      owned.set(this.node, (owned.get(this.node) ?? 0) + 1);
      this.adopting.add(realmId);
      void this.adopt(realmId, e).finally(() => this.adopting.delete(realmId));
    }
  }

  /** The realm's last snapshot, rewritten at once under this node's name: a late write from the old owner fails from here on. */
  private async claimSnapshot(realmId: string): Promise<StoredSnapshot | null> {
    for (;;) {
      const stored = await this.store.snapshot(realmId);
      if (stored === null) {
        this.revisions.delete(realmId);
        return null;
      }
      const rev = await this.store.putSnapshot(realmId, stored.snap, stored.revision);
      if (rev === null) continue; // it moved on between the read and the write: read the newer one
      this.revisions.set(realmId, rev);
      return { snap: stored.snap, revision: rev };
    }
  }

  private async adopt(realmId: string, from: DirEntry): Promise<void> {
    const started = performance.now();
    const won = await this.directory.takeOver(realmId, from, this.node);
    if (won === null) return; // another node moved it first
    const reg = won.rec.registration as unknown as RealmRegistration;
    // Inputs acknowledged here from now on wait for the restore and the replay.
    await this.inOrder(realmId, () => this.restore(realmId, reg, from, won, started)).catch((err: unknown) => {
      this.log.warn({ realm: realmId, error: (err as Error).message }, 'realm takeover failed');
    });
  }

  private async restore(realmId: string, reg: RealmRegistration, from: DirEntry, won: DirEntry, started: number): Promise<void> {
    const stored = await this.claimSnapshot(realmId);
    const snap = stored?.snap ?? null;
    if (this.engine.find(realmId) !== undefined) await this.engine.unregister(realmId);
    this.extras?.restore(realmId, snap);
    const restored = snap === null ? null : await this.engine.adopt(reg, snap.host, snap.hash);
    if (snap === null) await this.engine.register(reg);
    if (restored !== null && !restored.hashMatches) this.hashMismatches++;
    const replay = await this.store.inputsAfter(realmId, snap?.journalSeq ?? 0);
    for (const { seq, rec } of replay) {
      // Set before the input goes in, as for live inputs: a snapshot asked for meanwhile includes it.
      this.applied.set(realmId, seq);
      await this.engine.input(realmId, rec.player, rec.data);
    }
    this.adopted++;
    this.log.info({ realm: realmId, from: from.rec.owner, epoch: won.rec.epoch, snapshotSeq: snap?.journalSeq ?? null, hashMatches: restored?.hashMatches ?? null, replayed: replay.length, ms: Math.round(performance.now() - started) }, 'realm taken over from a dead node');
  }
}
