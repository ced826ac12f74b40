// One realm actor inside a shard: its kind, state, context, counters and state stream.
// Realm code that throws moves the realm to `error`; the shard and its other realms go on.
import { RealmStateCode } from '../protocol/realm.js';
import { ErrorCode, TickverseError, isTickverseError } from '../protocol/errors.js';
import type { Stat7, Stat7Selector } from '../protocol/stat7.js';
import type { AddRealmPayload, TransferOutPayload } from '../protocol/shard-messages.js';
import { fnv1a, fnv1aBytes } from '../protocol/frames.js';
import { SeededRandom } from './random.js';
import { decode, encode } from '../protocol/codec.js';
import { Replica } from './replica.js';
import { realmCellSize } from '../protocol/view-schema.js';
import type { EmitOptions, Json, PlayerInput, RealmContext, RealmEvent, RealmKind } from './realm.js';

/** Where a realm's outgoing traffic goes; implemented by the shard runtime. */
export interface RealmPort {
  emit(host: RealmHost, opts: EmitOptions): void;
  subscribe(host: RealmHost, type: string, on: boolean): void;
  selectorHash(selector: Stat7Selector): number;
  /** The host's lifecycle state changed (boot, pause, resume, failure). */
  stateChanged(host: RealmHost, code: string | null): void;
  /** Realm code of this host starts (slot + 1) or returned (0). */
  running(mark: number): void;
  /** Sends an entity to the realm in `to` (a slot) at the end of the round. */
  transfer(host: RealmHost, id: string, to: number, entity: unknown): void;
}

/** What the shard needs to host a realm: the ADD_REALM payload. */
export type RealmSpec = AddRealmPayload;

/** Snapshot envelope: the kind's snapshot plus what the host needs to resume exactly. */
export interface HostSnapshot {
  v: 1;
  tick: number;
  rng: number[];
  seq: number;
  subs: string[];
  data: Json;
  /** Counters carried across restores (absent in snapshots written before they were kept). */
  eventsIn?: number;
  eventsOut?: number;
  dropped?: number;
  /** Transfers asked for in the current round, which leave at its end (present only when there are some). */
  outgoing?: TransferOutPayload[];
}

type Queued = { event: RealmEvent } | { input: PlayerInput };
/** A local tick, in a reload's trial log. */
const TICK = 0;
/** A reload in progress (docs/realm-kinds.md#hot-reload): the code and state to go back to; while on trial (the swap's
 *  control tick), what the new code did (`log`, replayed into the old code if it throws) and why it was rolled back. */
type Reloading = { readonly kind: RealmKind<unknown>; readonly data: unknown; readonly tick: number; readonly rng: number[]; readonly seq: number; log: (Queued | typeof TICK)[] | null; failed: string | null };

const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** Events and inputs held for a paused realm, at most this many (then counted as dropped). */
const PAUSED_QUEUE_LIMIT = 10_000;
/** Players remembered per realm with cells (the oldest is forgotten first). */
const RECENT_PLAYERS = 4096;

export class RealmHost {
  readonly slot: number;
  /** Row in the shard's stats table. */
  readonly row: number;
  readonly id: string;
  /** Replaced by a hot reload (reload, revert). */
  kind: RealmKind<unknown>;
  readonly stat7: Stat7;
  stateCode: number = RealmStateCode.booting;
  error: string | null = null;
  tick = 0;
  seq = 0;
  eventsIn = 0;
  eventsOut = 0;
  dropped = 0;
  /** Input bytes applied since the state size was last measured, and that size (-1: not yet). */
  grown = 0;
  stateBytes = -1;
  readonly subs = new Set<string>();
  /** The replicated view while the realm is watched (null otherwise: nothing kept). */
  replica: Replica | null = null;
  /** Area-of-interest cell size: the registration's `cell` param, else the kind's schema; 0 = whole-realm streams. */
  readonly cellSize: number;
  /** Players that sent inputs lately (realms with cells), so a new watch knows whose cells to report. */
  private readonly players = new Set<string>();
  /** Transfers asked for during the round; carried out at its end. */
  readonly outgoing: TransferOutPayload[] = [];
  private rng: SeededRandom;
  private data: unknown;
  private readonly queue: Queued[] = [];
  private reloading: Reloading | null = null;
  readonly ctx: RealmContext;

  constructor(
    spec: RealmSpec,
    kind: RealmKind<unknown>,
    private readonly port: RealmPort,
  ) {
    this.slot = spec.slot;
    this.row = spec.row;
    this.id = spec.id;
    this.kind = kind;
    this.stat7 = spec.stat7;
    this.rng = new SeededRandom(spec.seed);
    this.cellSize = realmCellSize(spec.params, kind.schema?.cell);
    const host = this;
    this.ctx = {
      realmId: spec.id,
      stat7: spec.stat7,
      get tick() {
        return host.tick;
      },
      dt: 0,
      random: () => host.rng.next(),
      emit: (opts) => port.emit(host, opts),
      transfer: (entity, to) => {
        if (host.kind.transfers === false) throw new TickverseError(ErrorCode.TRANSFER_UNSUPPORTED, `realm "${spec.id}" cannot transfer "${entity}": its kind "${host.kind.name}" defines no exportEntity/importEntity`);
        host.outgoing.push({ entity, to });
      },
      subscribe: (type) => {
        if (host.subs.has(type)) return;
        port.subscribe(host, type, true); // throws on a bad or colliding type, before the set changes
        host.subs.add(type);
      },
      unsubscribe: (type) => {
        if (host.subs.delete(type)) port.subscribe(host, type, false);
      },
    };
    this.data = undefined;
  }

  /** Creates or restores the state; false when realm code threw (the realm is in `error`).
   *  `spec.subscribe` is what the engine already routes for this realm: taken as is, not reported back. */
  boot(spec: RealmSpec, dt: number): boolean {
    (this.ctx as { dt: number }).dt = dt;
    for (const s of spec.subscribe) this.subs.add(s);
    const ok = this.guard(() => {
      if (spec.snapshot !== undefined) {
        // The envelope's bytes as the engine kept them (older snapshot files: the decoded object).
        const snap = (spec.snapshot instanceof Uint8Array ? decode<HostSnapshot>(spec.snapshot) : spec.snapshot) as HostSnapshot;
        this.tick = snap.tick;
        this.seq = snap.seq;
        this.eventsIn = snap.eventsIn ?? 0;
        this.eventsOut = snap.eventsOut ?? 0;
        this.dropped = snap.dropped ?? 0;
        if (snap.outgoing !== undefined) this.outgoing.push(...snap.outgoing);
        this.rng = new SeededRandom(snap.rng);
        this.data = this.kind.restore(snap.data);
      } else {
        this.data = this.kind.create(spec.params, this.ctx);
      }
    });
    if (!ok) return false;
    this.stateCode = spec.paused === true ? RealmStateCode.paused : RealmStateCode.running;
    this.port.stateChanged(this, null);
    return true;
  }

  get running(): boolean {
    return this.stateCode === RealmStateCode.running;
  }

  step(): void {
    if (!this.running) return;
    this.guard(() => this.kind.tick(this.data, this.ctx));
    this.tick++;
    this.reloading?.log?.push(TICK);
  }

  // ---- hot reload (docs/realm-kinds.md#hot-reload): reload → trial (one control tick) → endTrial → commit | revert ----

  /** Moves the state onto `next`: snapshot with the current code, through the codec as on disk, restored by `next`.
   *  Returns the error when that threw (nothing changed), else null. */
  reload(next: RealmKind<unknown>): string | null {
    const moved = this.migrate(next);
    if (typeof moved === 'string') return moved;
    this.reloading = { kind: this.kind, data: this.data, tick: this.tick, rng: this.rng.state(), seq: this.seq, log: [], failed: null };
    this.kind = next;
    this.data = moved.data;
    this.rewatch();
    return null;
  }

  /** The trial is over: the error that rolled this realm back to the old code, or null (it runs the new code). */
  endTrial(): string | null {
    if (this.reloading !== null) this.reloading.log = null;
    return this.reloading?.failed ?? null;
  }

  /** The reload took on every realm: the old code and state are let go. */
  commit(): void { this.reloading = null; } // prettier-ignore

  /** The reload failed elsewhere: back to the old code (`prev` for a realm placed on the new one) with the state reached
   *  on the new code, or, when the old code cannot restore that, the state at the reload. */
  revert(prev: RealmKind<unknown> | undefined): void {
    const r = this.reloading;
    this.reloading = null;
    const to = r?.kind ?? prev;
    if (to === undefined || this.kind === to || this.stateCode === RealmStateCode.error) return;
    const moved = this.migrate(to);
    if (typeof moved !== 'string') this.data = moved.data;
    else if (r !== null) this.restoreSaved(r);
    else return; // placed on the new code, which the old cannot read: it stays there
    this.kind = to;
    this.rewatch();
  }

  private migrate(to: RealmKind<unknown>): { data: unknown } | string {
    this.port.running(this.slot + 1);
    try {
      return { data: to.restore(decode<Json>(encode(this.kind.snapshot(this.data)))) };
    } catch (e) {
      return describe(e);
    } finally {
      this.port.running(0);
    }
  }

  /** New code threw during its trial: the saved state, and what happened since replayed into the old code. */
  private rollback(r: Reloading, message: string): void {
    const log = r.log ?? [];
    r.log = null;
    r.failed = message;
    this.kind = r.kind;
    this.restoreSaved(r);
    for (const q of log) {
      if (q === TICK) this.step();
      else this.apply(q);
    }
    this.rewatch();
  }

  private restoreSaved(r: Reloading): void {
    [this.data, this.tick, this.rng, this.seq] = [r.data, r.tick, new SeededRandom(r.rng), r.seq];
  }

  /** A watched realm's stream starts over with the kind's (maybe new) schema: clients get keyframes. */
  private rewatch(): void {
    if (this.replica === null) return;
    this.replica = null;
    this.watch();
  }

  deliver(event: RealmEvent): void {
    this.eventsIn++;
    this.accept({ event });
  }

  input(input: PlayerInput): void {
    this.notePlayer(input.player);
    this.accept({ input });
  }

  pause(): void {
    if (!this.running) return;
    this.stateCode = RealmStateCode.paused;
    this.port.stateChanged(this, null);
  }

  resume(): void {
    if (this.stateCode !== RealmStateCode.paused) return;
    this.stateCode = RealmStateCode.running;
    this.port.stateChanged(this, null);
    const held = this.queue.splice(0);
    for (const q of held) this.accept(q);
  }

  entityCount(): number {
    if (this.data === undefined) return 0;
    try {
      return this.kind.entityCount(this.data);
    } catch {
      return 0;
    }
  }

  get watched(): boolean {
    return this.replica !== null;
  }

  /** Starts (or restarts with keyframes) the state stream; false when the kind's schema is invalid (the realm is now in `error`). */
  watch(): boolean {
    if (this.replica !== null) {
      this.replica.invalidate();
      return true;
    }
    return this.guard(() => {
      const rep = new Replica(this.id, this.kind.schema ?? null, this.cellSize);
      for (const p of this.players) rep.track(p);
      this.replica = rep;
    });
  }

  /** A player that sent inputs: its entity's cell is reported while the realm is watched. */
  private notePlayer(player: string): void {
    if (this.cellSize <= 0) return;
    if (!this.players.delete(player) && this.players.size >= RECENT_PLAYERS) {
      const oldest = this.players.values().next();
      if (oldest.done !== true) this.players.delete(oldest.value);
    }
    this.players.add(player); // most recent last
    this.replica?.track(player);
  }

  unwatch(): void {
    this.replica = null;
  }

  /** Writes this tick's entities into the replica; false when realm code threw (the realm is now in `error`). */
  replicate(rep: Replica): boolean {
    rep.begin();
    if (this.data === undefined) return true;
    return this.guard(() => {
      const kind = this.kind; // read inside: a reload's trial may roll the code back and run this again
      if (kind.replicate !== undefined) kind.replicate(this.data, rep);
      else rep.fillViews(kind.view(this.data));
    });
  }

  /** The client view, or null when the kind's view() threw (the realm is now in `error`). */
  views(): ReturnType<RealmKind['view']> | null {
    if (this.data === undefined) return [];
    let out: ReturnType<RealmKind['view']> | null = null;
    return this.guard(() => {
      out = this.kind.view(this.data);
    })
      ? out
      : null;
  }

  /** The snapshot envelope, or null when the kind's snapshot() threw (the realm is now in `error`). */
  snapshot(): HostSnapshot | null {
    let data: Json = null;
    if (this.data !== undefined && !this.guard(() => (data = this.kind.snapshot(this.data)))) return null;
    return {
      v: 1,
      tick: this.tick,
      rng: this.rng.state(),
      seq: this.seq,
      subs: [...this.subs].sort(),
      data,
      eventsIn: this.eventsIn,
      eventsOut: this.eventsOut,
      dropped: this.dropped,
      // Taken mid-round, the state still holds entities asked to leave at the round's end.
      ...(this.outgoing.length > 0 ? { outgoing: this.outgoing.map((o) => ({ ...o })) } : {}),
    };
  }

  /** The engine failed this realm (e.g. a hash collision it detected). */
  fail(code: string, message: string): void {
    if (this.stateCode === RealmStateCode.error) return;
    this.stateCode = RealmStateCode.error;
    this.error = message;
    this.port.stateChanged(this, code);
  }

  /** Measures the encoded size of the kind's state (after inputs grew it); -1 if it cannot be encoded. */
  measure(): number {
    this.grown = 0;
    if (this.data === undefined) return (this.stateBytes = 0);
    try {
      this.stateBytes = encode(this.kind.snapshot(this.data)).length;
    } catch {
      this.stateBytes = -1;
    }
    return this.stateBytes;
  }

  /** Stable hash of the realm's full state (tick, generator and the kind's snapshot). */
  hash(): number {
    if (this.data === undefined) return 0;
    let bytes: Uint8Array;
    try {
      bytes = encode([this.tick, this.rng.state(), this.kind.snapshot(this.data)]);
    } catch {
      return 0;
    }
    return fnv1aBytes(bytes, fnv1a(this.id));
  }

  exportEntity(id: string): Json | undefined {
    if (this.kind.transfers === false) return undefined; // asked by the engine API: the entity stays
    let out: Json | undefined;
    this.guard(() => {
      out = this.kind.exportEntity(this.data, id);
    });
    return out;
  }

  /** An entity arrived from the realm in slot `from`. A kind without transfers sends it back (never in none) and fails. */
  importEntity(entity: Json, from: number, id: string): void {
    if (this.kind.transfers !== false) {
      this.guard(() => this.kind.importEntity(this.data, entity, this.ctx));
      return;
    }
    if (from !== this.slot) this.port.transfer(this, id, from, entity);
    const msg = `realm "${this.id}" received entity "${id}", but its kind "${this.kind.name}" defines no importEntity; the entity went back to its source`;
    this.fail(ErrorCode.TRANSFER_UNSUPPORTED, msg);
  }

  private accept(q: Queued): void {
    if (this.stateCode === RealmStateCode.paused) {
      if (this.queue.length < PAUSED_QUEUE_LIMIT) this.queue.push(q);
      else this.dropped++;
      return;
    }
    if (!this.running) {
      this.dropped++;
      return;
    }
    if (this.apply(q)) this.reloading?.log?.push(q);
  }

  private apply(q: Queued): boolean {
    return this.guard(() => {
      if ('event' in q) this.kind.onEvent(this.data, q.event, this.ctx);
      else this.kind.onInput(this.data, q.input, this.ctx);
    });
  }

  /** Runs realm code; if it throws, only this realm goes to `error`. */
  private guard(fn: () => void): boolean {
    if (this.stateCode === RealmStateCode.error) return false;
    this.port.running(this.slot + 1);
    try {
      fn();
      this.port.running(0);
      return true;
    } catch (e) {
      this.port.running(0);
      // New code on trial threw: back to the old code, and this call runs again on it.
      const r = this.reloading;
      if (r !== null && r.log !== null) {
        this.rollback(r, describe(e));
        return this.guard(fn);
      }
      this.stateCode = RealmStateCode.error;
      this.error = describe(e);
      // A coded engine error thrown into realm code (e.g. TRANSFER_UNSUPPORTED) keeps its code.
      this.port.stateChanged(this, isTickverseError(e) ? e.code : ErrorCode.REALM_CRASHED);
      return false;
    }
  }
}
