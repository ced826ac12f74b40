// Failover (docs/scale-out.md § Failover). The owner acknowledges an input only once it is in
// the JetStream journal, and writes each realm's snapshot (with the journal sequence it
// includes) every snapshotEveryMs. When a node's lease runs out, the live node placement picks
// for each of its realms moves it to itself by compare-and-set (epoch + 1), adopts the last
// snapshot and replays the journaled inputs after it: nothing acknowledged is lost.
import type { Engine } from '../engine/index.js';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { RealmRegistration } from '../protocol/realm.js';
import type { Directory, DirEntry } from './directory.js';
import type { Membership } from './membership.js';
import { chooseNode, ownedCounts } from './placement.js';
import type { ClusterStore } from './store.js';

export interface FailoverLog {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
}

export class Failover {
  /** Per realm owned here: the journal sequence of the last input handed to the engine. */
  private readonly applied = new Map<string, number>();
  /** Inputs go to the engine in journal order: one chain. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly adopting = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private snapshotting = false;
  adopted = 0;
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
    const run = this.chain.then(async () => {
      const seq = await this.store.append(realmId, { player, data, epoch: entry.rec.epoch });
      this.applied.set(realmId, seq);
      await this.engine.input(realmId, player, data);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  forget(realmId: string): Promise<void> {
    this.applied.delete(realmId);
    return this.store.forget(realmId);
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
      for (const r of this.engine.list()) {
        const e = this.directory.get(r.realmId);
        if (e === undefined || e.rec.owner !== this.node || r.state !== 'running') continue;
        // Read before the query: every input given to the engine before it is in the snapshot.
        const journalSeq = this.applied.get(r.realmId) ?? 0;
        try {
          const { host, hash } = await this.engine.exportRealm(r.realmId);
          await this.store.putSnapshot(r.realmId, { epoch: e.rec.epoch, journalSeq, host, hash });
        } catch (err) {
          this.log.warn({ realm: r.realmId, error: (err as Error).message }, 'cluster snapshot failed');
        }
      }
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

  private async adopt(realmId: string, from: DirEntry): Promise<void> {
    const started = performance.now();
    const won = await this.directory.takeOver(realmId, from, this.node);
    if (won === null) return; // another node moved it first
    const reg = won.rec.registration as unknown as RealmRegistration;
    try {
      const snap = await this.store.snapshot(realmId);
      if (this.engine.list().some((r) => r.realmId === realmId)) await this.engine.unregister(realmId);
      const restored = snap === null ? null : await this.engine.adopt(reg, snap.host, snap.hash);
      if (snap === null) await this.engine.register(reg);
      if (restored !== null && !restored.hashMatches) this.hashMismatches++;
      const replay = await this.store.inputsAfter(realmId, snap?.journalSeq ?? 0);
      for (const { seq, rec } of replay) {
        await this.engine.input(realmId, rec.player, rec.data);
        this.applied.set(realmId, seq);
      }
      this.adopted++;
      this.log.info({ realm: realmId, from: from.rec.owner, epoch: won.rec.epoch, snapshotSeq: snap?.journalSeq ?? null, hashMatches: restored?.hashMatches ?? null, replayed: replay.length, ms: Math.round(performance.now() - started) }, 'realm taken over from a dead node');
    } catch (err) {
      this.log.warn({ realm: realmId, error: (err as Error).message }, 'realm takeover failed');
    }
  }
}
