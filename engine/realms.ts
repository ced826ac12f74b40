// The realms part: registry, placement (per-shard load counters and stats rows), the
// lifecycle state machine, the directory shards use for ids, the kind catalogue, and the
// routing table (subscribers and selector matches) the router reads. Lower parts report
// here through ShardIoHandler calls; changes go up through `onChange`.
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import { FrameKind } from '../protocol/frames.js';
import { decode, encodeBody } from '../protocol/codec.js';
import { REALM_STATES, type RealmInfo, type RealmState } from '../protocol/realm.js';
import { matchesSelector } from '../protocol/stat7.js';
import { realmCellSize } from '../protocol/view-schema.js';
import type { HelloPayload, RealmStatePayload } from '../protocol/shard-messages.js';
import { acceptsDeliveries, canMove } from './lifecycle.js';
import type { Names } from './names.js';
import { Registry, type RealmRecord } from './registry.js';
import type { ValidRegistration } from './registration.js';
import type { RouteTable } from './router.js';
import type { ShardIo } from './shard-io.js';
import type { EngineLogger, RealmChange } from './types.js';
import { Waiters } from './waiters.js';

export interface AddOptions {
  slot?: number;
  /** Host snapshot envelope to restore from; the realm starts in `syncing`. */
  snapshot?: unknown;
  paused?: boolean;
}

export class Realms implements RouteTable {
  readonly registry: Registry;
  readonly boots = new Waiters<number, RealmInfo>();
  private readonly kinds = new Map<string, readonly string[]>();
  private readonly kindCells = new Map<string, number>();
  private readonly realmsOn: number[];
  private readonly entitiesOn: number[];
  private readonly freeRows: number[][];
  private readonly nextRow: number[];
  /** Shards that exhausted their restart budget: nothing is placed there. */
  readonly deadShards = new Set<number>();
  /** Realms other nodes own, by their stub slot here (engine/remote.ts keeps it). */
  readonly remoteStubs = new Map<number, string>();
  private dirAddSlots: number[] = [];
  private dirAddIds: string[] = [];
  private readonly subs = new Map<number, Set<number>>();
  private readonly sortedSubs = new Map<number, number[]>();
  private readonly matches = new Map<number, number[]>();
  private readonly empty: number[] = [];
  /** By slot: the shard to deliver to, -2 known but not accepting, -1 unknown (the router's hot lookup). */
  private routes = new Int32Array(1024).fill(-1);

  constructor(
    maxRealms: number,
    private readonly shards: number,
    private readonly io: ShardIo,
    private readonly names: Names,
    private readonly log: EngineLogger,
    private readonly onChange: (c: RealmChange) => void,
  ) {
    this.registry = new Registry(maxRealms);
    this.realmsOn = new Array<number>(shards).fill(0);
    this.entitiesOn = new Array<number>(shards).fill(0);
    this.freeRows = Array.from({ length: shards }, () => []);
    this.nextRow = new Array<number>(shards).fill(0);
  }

  // ---- catalogue ----

  hello(p: HelloPayload): void {
    for (const k of p.kinds) {
      this.kinds.set(k.name, k.subscribes);
      this.kindCells.set(k.name, k.cell);
    }
  }

  get catalogue(): string[] {
    return [...this.kinds.keys()].sort();
  }

  /** Throws UNKNOWN_KIND at once, before anything is placed. */
  checkKind(kind: string): void {
    if (!this.kinds.has(kind)) {
      throw new TickverseError(ErrorCode.UNKNOWN_KIND, `unknown realm kind "${kind}"; this engine hosts ${this.catalogue.join(', ')}`, { kind });
    }
  }

  // ---- registry ----

  /** Places a realm and queues its ADD_REALM for the barrier. Its subscriptions go straight to the router. */
  add(reg: ValidRegistration, controlTick: number, o: AddOptions = {}): RealmRecord {
    const subscribe = o.snapshot !== undefined ? snapshotSubs(o.snapshot) : [...new Set([...(this.kinds.get(reg.kind) ?? []), ...reg.subscribe])];
    const hashes = subscribe.map((t) => this.names.type(t)); // HASH_COLLISION before anything changes
    const shard = this.place();
    const row = this.freeRows[shard]!.pop() ?? this.nextRow[shard]!++;
    const rec = this.registry.add(reg, shard, row, controlTick, o.slot, realmCellSize(reg.params, this.kindCells.get(reg.kind)));
    try {
      this.io.reserveRow(shard, row);
      const body = { slot: rec.slot, row, id: reg.realmId, kind: reg.kind, params: reg.params, stat7: reg.stat7, seed: reg.seed, subscribe };
      // A restore carries a state the engine accepted before, whatever its size (chunked in the ring).
      if (o.snapshot === undefined) this.io.command(shard, FrameKind.ADD_REALM, rec.slot, body);
      else this.io.command(shard, FrameKind.ADD_REALM, rec.slot, { ...body, snapshot: o.snapshot, paused: o.paused === true }, false, Number.MAX_SAFE_INTEGER);
    } catch (e) {
      this.registry.remove(reg.realmId);
      this.freeRows[shard]!.push(row);
      throw e;
    }
    this.realmsOn[shard]!++;
    this.route(rec);
    subscribe.forEach((t, i) => this.subscription(rec.slot, hashes[i]!, t, true));
    for (const [hash, list] of this.matches) {
      const sel = this.names.selectorOf(hash);
      if (sel !== undefined && matchesSelector(reg.stat7, sel)) insertSorted(list, rec.slot);
    }
    this.dirAddSlots.push(rec.slot);
    this.dirAddIds.push(reg.realmId);
    this.emit(rec, 'registered');
    if (o.snapshot !== undefined) this.move(rec, 'syncing');
    return rec;
  }

  /** Re-places a realm on its (replaced) shard: same slot and row, from a snapshot or its params. */
  readd(rec: RealmRecord, snapshot: unknown, paused: boolean): void {
    const reg = rec.reg;
    const subscribe = snapshot !== undefined ? snapshotSubs(snapshot) : [...rec.subscriptions];
    this.setSubscriptions(rec, subscribe);
    const body = { slot: rec.slot, row: rec.row, id: reg.realmId, kind: reg.kind, params: reg.params, stat7: reg.stat7, seed: reg.seed, subscribe };
    if (snapshot === undefined) this.io.command(rec.shard, FrameKind.ADD_REALM, rec.slot, body);
    else this.io.command(rec.shard, FrameKind.ADD_REALM, rec.slot, { ...body, snapshot, paused }, false, Number.MAX_SAFE_INTEGER);
  }

  remove(realmId: string): RealmRecord {
    const rec = this.registry.remove(realmId);
    this.realmsOn[rec.shard]!--;
    this.freeRows[rec.shard]!.push(rec.row);
    this.setSubscriptions(rec, []);
    for (const list of this.matches.values()) removeSorted(list, rec.slot);
    this.io.signal(rec.shard, FrameKind.REMOVE_REALM, rec.slot);
    this.routes[rec.slot] = -1;
    // In order with the other commands: what a realm emits by id before this point still resolves.
    this.io.toAll(FrameKind.DIRECTORY, encodeBody(FrameKind.DIRECTORY, { addSlots: [], addIds: [], remove: [rec.slot] }));
    this.move(rec, 'offline');
    this.emit(rec, 'unregistered');
    this.boots.reject(rec.slot, new TickverseError(ErrorCode.UNKNOWN_REALM, `realm "${realmId}" was unregistered`));
    return rec;
  }

  /** Throws REALM_STATE_LIMIT when `bytes` more could take the realm's last measured state past `budget`. */
  checkGrowth(rec: RealmRecord, bytes: number, budget: number): void {
    const size = this.io.counters(rec.shard, rec.row, rec.slot)?.stateBytes ?? null;
    if (size !== null && size + bytes > budget) {
      throw new TickverseError(ErrorCode.REALM_STATE_LIMIT, `realm "${rec.reg.realmId}" holds ${size} bytes of state; this input could take it past its budget of ${budget}`, { budget });
    }
  }

  info(rec: RealmRecord): RealmInfo {
    return this.registry.info(rec, this.io.counters(rec.shard, rec.row, rec.slot));
  }

  countByState(): Record<RealmState, number> {
    const out = Object.fromEntries(REALM_STATES.map((s) => [s, 0])) as Record<RealmState, number>;
    for (const r of this.registry.all()) out[r.state]++;
    return out;
  }

  /** Least-loaded live shard: 1,000 per realm plus its entities (from the shards' round reports). */
  private place(): number {
    let best = -1;
    let bestLoad = Infinity;
    for (let s = 0; s < this.shards; s++) {
      if (this.deadShards.has(s)) continue;
      const load = this.realmsOn[s]! * 1000 + this.entitiesOn[s]!;
      if (load < bestLoad) {
        best = s;
        bestLoad = load;
      }
    }
    if (best < 0) throw new TickverseError(ErrorCode.SHARD_FAILED, 'no shard is available: every shard exhausted its restart budget');
    return best;
  }

  shardEntities(shard: number, entities: number): void {
    this.entitiesOn[shard] = entities;
  }

  // ---- lifecycle ----

  /** Applies a lifecycle transition; false (logged) when the state machine does not allow it. */
  move(rec: RealmRecord, to: RealmState, error?: string): boolean {
    if (rec.state === to) return true;
    if (!canMove(rec.state, to)) {
      this.log.warn({ realm: rec.reg.realmId, from: rec.state, to }, 'realm state transition refused');
      return false;
    }
    const from = rec.state;
    rec.state = to;
    if (this.registry.bySlotId(rec.slot) === rec) this.route(rec);
    if (error !== undefined) rec.error = error;
    else if (to === 'running') rec.error = null;
    if (to === 'error') this.log.error({ realm: rec.reg.realmId, shard: rec.shard, error: rec.error }, 'realm failed');
    else this.log.debug({ realm: rec.reg.realmId, from, to }, 'realm state');
    if (to !== 'offline') this.emit(rec, 'state');
    // A registration (or a restore) resolves once its realm has booted: running, paused or failed.
    if ((from === 'booting' || from === 'syncing') && to !== 'syncing' && to !== 'offline') this.boots.resolve(rec.slot, this.info(rec));
    return true;
  }

  realmState(slot: number, p: RealmStatePayload): void {
    const rec = this.registry.bySlotId(slot);
    if (rec === undefined) return;
    const to = REALM_STATES[p.state] ?? 'error';
    this.move(rec, to, to === 'error' ? `${p.code ?? ErrorCode.REALM_CRASHED}: ${p.message ?? 'unknown error'}` : undefined);
  }

  private emit(rec: RealmRecord, change: RealmChange['change']): void {
    this.onChange({ realmId: rec.reg.realmId, change, state: rec.state, info: this.info(rec) });
  }

  // ---- directory ----

  /** One DIRECTORY frame per shard for the realms added since the last barrier, ahead of the commands (boots may emit by id). */
  flushDirectory(): void {
    if (this.dirAddSlots.length === 0) return;
    this.io.toAll(FrameKind.DIRECTORY, encodeBody(FrameKind.DIRECTORY, { addSlots: this.dirAddSlots, addIds: this.dirAddIds, remove: [] }), true);
    this.dirAddSlots = [];
    this.dirAddIds = [];
  }

  /** The whole directory, for a replaced shard. */
  fullDirectory(shard: number): Uint8Array {
    const recs = [...this.registry.all()];
    const stubs = [...this.remoteStubs];
    return encodeBody(FrameKind.DIRECTORY, { addSlots: [...recs.map((r) => r.slot), ...stubs.map((s) => s[0])], addIds: [...recs.map((r) => r.reg.realmId), ...stubs.map((s) => s[1])], remove: [] });
  }

  // ---- routing table ----

  shardOf(slot: number): number {
    return slot < this.routes.length ? this.routes[slot]! : -1;
  }

  private route(rec: RealmRecord): void {
    if (rec.slot >= this.routes.length) {
      let n = this.routes.length * 2;
      while (n <= rec.slot) n *= 2;
      const next = new Int32Array(n).fill(-1);
      next.set(this.routes);
      this.routes = next;
    }
    this.routes[rec.slot] = acceptsDeliveries(rec.state) ? rec.shard : -2;
  }

  subscription(slot: number, hash: number, type: string, on: boolean): void {
    let set = this.subs.get(hash);
    if (on) {
      if (set === undefined) this.subs.set(hash, (set = new Set()));
      set.add(slot);
    } else set?.delete(slot);
    this.sortedSubs.delete(hash);
    const rec = this.registry.bySlotId(slot);
    if (rec === undefined) return;
    if (on) rec.subscriptions.add(type);
    else rec.subscriptions.delete(type);
  }

  private setSubscriptions(rec: RealmRecord, types: readonly string[]): void {
    for (const t of [...rec.subscriptions]) this.subscription(rec.slot, this.names.type(t), t, false);
    for (const t of types) this.subscription(rec.slot, this.names.type(t), t, true);
  }

  subscribers(typeHash: number): readonly number[] {
    let sorted = this.sortedSubs.get(typeHash);
    if (sorted === undefined) {
      sorted = [...(this.subs.get(typeHash) ?? [])].sort((a, b) => a - b);
      this.sortedSubs.set(typeHash, sorted);
    }
    return sorted;
  }

  selectorMatches(hash: number): readonly number[] {
    let list = this.matches.get(hash);
    if (list !== undefined) return list;
    const sel = this.names.selectorOf(hash);
    if (sel === undefined) return this.empty;
    list = [];
    for (const rec of this.registry.all()) if (matchesSelector(rec.reg.stat7, sel)) list.push(rec.slot);
    list.sort((a, b) => a - b);
    this.matches.set(hash, list);
    return list;
  }
}

function snapshotSubs(snapshot: unknown): string[] {
  // Snapshots hold the host envelope as the shard's MessagePack bytes (older files: the object).
  const env = snapshot instanceof Uint8Array ? decode<{ subs?: unknown }>(snapshot) : (snapshot as { subs?: unknown } | null);
  const subs = env?.subs;
  return Array.isArray(subs) ? subs.filter((s): s is string => typeof s === 'string') : [];
}

function insertSorted(list: number[], slot: number): void {
  let i = list.length;
  while (i > 0 && list[i - 1]! > slot) i--;
  if (list[i - 1] !== slot) list.splice(i, 0, slot);
}

function removeSorted(list: number[], slot: number): void {
  const i = list.indexOf(slot);
  if (i >= 0) list.splice(i, 1);
}
