// The realm registry on the main thread: ids, slots, shards, lifecycle and last stats.
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { RealmInfo, RealmState } from '../protocol/realm.js';
import { REALM_STATES } from '../protocol/realm.js';
import { canonicalStat7, stat7Hash } from '../protocol/stat7.js';
import type { ValidRegistration } from './registration.js';
import type { RealmCounters } from './shard-io.js';

export interface RealmRecord {
  reg: ValidRegistration;
  slot: number;
  shard: number;
  /** Row in the shard's stats table (counters are read there, on demand). */
  row: number;
  state: RealmState;
  error: string | null;
  subscriptions: Set<string>;
  registeredAtControlTick: number;
  watchers: number;
  /** Area-of-interest cell size (0: whole-realm streams). */
  cellSize: number;
  canonical: string;
  hash: string;
}

export class Registry {
  private readonly byId = new Map<string, RealmRecord>();
  private readonly bySlot = new Map<number, RealmRecord>();
  private nextSlot = 0;

  constructor(private readonly maxRealms: number) {}

  get size(): number {
    return this.byId.size;
  }

  /** `slot` is given when a realm comes back from a snapshot or the journal, so its slot is stable. */
  add(reg: ValidRegistration, shard: number, row: number, controlTick: number, slot?: number, cellSize = 0): RealmRecord {
    if (this.byId.has(reg.realmId)) {
      throw new TickverseError(ErrorCode.DUPLICATE_REALM, `realm "${reg.realmId}" is already registered`, { realmId: reg.realmId });
    }
    if (this.byId.size >= this.maxRealms) {
      throw new TickverseError(ErrorCode.REALM_LIMIT, `the engine holds its maximum of ${this.maxRealms} realms`);
    }
    if (slot !== undefined && this.bySlot.has(slot)) slot = undefined;
    const rec: RealmRecord = {
      reg,
      slot: slot ?? this.nextSlot,
      shard,
      row,
      state: 'booting',
      error: null,
      subscriptions: new Set(),
      registeredAtControlTick: controlTick,
      watchers: 0,
      cellSize,
      canonical: canonicalStat7(reg.stat7),
      hash: stat7Hash(reg.stat7),
    };
    this.nextSlot = Math.max(this.nextSlot, rec.slot + 1);
    this.byId.set(reg.realmId, rec);
    this.bySlot.set(rec.slot, rec);
    return rec;
  }

  remove(realmId: string): RealmRecord {
    const rec = this.require(realmId);
    this.byId.delete(realmId);
    this.bySlot.delete(rec.slot);
    return rec;
  }

  require(realmId: unknown): RealmRecord {
    const rec = typeof realmId === 'string' ? this.byId.get(realmId) : undefined;
    if (rec === undefined) {
      throw new TickverseError(ErrorCode.UNKNOWN_REALM, `no realm "${String(realmId)}" is registered`, { realmId: String(realmId) });
    }
    return rec;
  }

  find(realmId: string): RealmRecord | undefined {
    return this.byId.get(realmId);
  }

  bySlotId(slot: number): RealmRecord | undefined {
    return this.bySlot.get(slot);
  }

  all(): IterableIterator<RealmRecord> {
    return this.byId.values();
  }

  countByState(): Record<RealmState, number> {
    const out = Object.fromEntries(REALM_STATES.map((s) => [s, 0])) as Record<RealmState, number>;
    for (const r of this.byId.values()) out[r.state]++;
    return out;
  }

  /** Slot the next new realm gets (so its row and shard can be chosen first). */
  peekSlot(slot?: number): number {
    return slot !== undefined && !this.bySlot.has(slot) ? slot : this.nextSlot;
  }

  info(rec: RealmRecord, c: RealmCounters | null): RealmInfo {
    const r = rec.reg;
    return {
      realmId: r.realmId,
      gameId: r.gameId,
      developerName: r.developerName,
      // Registrations saved before display names existed have none.
      displayName: r.displayName ?? '',
      description: r.description,
      kind: r.kind,
      stat7: r.stat7,
      stat7Canonical: rec.canonical,
      stat7Hash: rec.hash,
      shard: rec.shard,
      state: rec.state,
      localTick: c?.localTick ?? 0,
      entities: c?.entities ?? 0,
      eventsIn: c?.eventsIn ?? 0,
      eventsOut: c?.eventsOut ?? 0,
      stateHash: c?.hash ?? null,
      stateBytes: c?.stateBytes ?? null,
      cellSize: rec.cellSize,
      error: rec.error,
      subscriptions: [...rec.subscriptions].sort(),
      registeredAtControlTick: rec.registeredAtControlTick,
    };
  }
}
