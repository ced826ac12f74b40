// One realm actor inside a shard: its kind, state, context, counters and state stream.
// Realm code that throws moves the realm to `error`; the shard and its other realms go on.
import { RealmStateCode } from '../protocol/realm.js';
import type { Stat7, Stat7Selector } from '../protocol/stat7.js';
import type { AddRealmPayload } from '../protocol/shard-messages.js';
import { fnv1a, fnv1aBytes } from '../protocol/frames.js';
import { SeededRandom } from './random.js';
import { encode } from './codec.js';
import { ViewTracker } from './view-tracker.js';
import type { EmitOptions, Json, PlayerInput, RealmContext, RealmEvent, RealmKind } from './realm.js';

/** Where a realm's outgoing traffic goes; implemented by the shard runtime. */
export interface RealmPort {
  emit(host: RealmHost, opts: EmitOptions): void;
  subscribe(host: RealmHost, type: string, on: boolean): void;
  selectorHash(selector: Stat7Selector): number;
  /** Realm code threw; the host is now in `error`. */
  failed(host: RealmHost): void;
}

/** What the shard needs to host a realm: the ADD_REALM payload, with the snapshot typed. */
export type RealmSpec = Omit<AddRealmPayload, 'snapshot'> & { snapshot?: Json };

/** Snapshot envelope: the kind's snapshot plus what the host needs to resume exactly. */
export interface HostSnapshot {
  v: 1;
  tick: number;
  rng: number[];
  seq: number;
  subs: string[];
  data: Json;
}

type Queued = { event: RealmEvent } | { input: PlayerInput };

/** Events and inputs held for a paused realm, at most this many (then counted as dropped). */
const PAUSED_QUEUE_LIMIT = 10_000;

export class RealmHost {
  readonly slot: number;
  readonly id: string;
  readonly kind: RealmKind<unknown>;
  readonly stat7: Stat7;
  stateCode: number = RealmStateCode.booting;
  error: string | null = null;
  tick = 0;
  seq = 0;
  eventsIn = 0;
  eventsOut = 0;
  dropped = 0;
  readonly subs = new Set<string>();
  readonly view = new ViewTracker();
  watched = false;
  /** Transfers asked for during the round; carried out at its end. */
  readonly outgoing: { entity: string; to: string }[] = [];
  private rng: SeededRandom;
  private data: unknown;
  private readonly queue: Queued[] = [];
  readonly ctx: RealmContext;

  constructor(
    spec: RealmSpec,
    kind: RealmKind<unknown>,
    private readonly port: RealmPort,
  ) {
    this.slot = spec.slot;
    this.id = spec.id;
    this.kind = kind;
    this.stat7 = spec.stat7;
    this.rng = new SeededRandom(spec.seed);
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
        host.outgoing.push({ entity, to });
      },
      subscribe: (type) => {
        if (!host.subs.has(type)) {
          host.subs.add(type);
          port.subscribe(host, type, true);
        }
      },
      unsubscribe: (type) => {
        if (host.subs.delete(type)) port.subscribe(host, type, false);
      },
    };
    this.data = undefined;
  }

  /** Creates or restores the state; false when realm code threw (the realm is in `error`). */
  boot(spec: RealmSpec, dt: number): boolean {
    (this.ctx as { dt: number }).dt = dt;
    return this.guard(() => {
      if (spec.snapshot !== undefined) {
        const snap = spec.snapshot as unknown as HostSnapshot;
        this.tick = snap.tick;
        this.seq = snap.seq;
        this.rng = new SeededRandom(snap.rng);
        this.data = this.kind.restore(snap.data);
        for (const s of snap.subs) this.ctx.subscribe(s);
      } else {
        this.data = this.kind.create(spec.params, this.ctx);
        for (const s of [...(this.kind.subscribes ?? []), ...spec.subscribe]) this.ctx.subscribe(s);
      }
      this.stateCode = RealmStateCode.running;
    });
  }

  get running(): boolean {
    return this.stateCode === RealmStateCode.running;
  }

  step(): void {
    if (!this.running) return;
    this.guard(() => this.kind.tick(this.data, this.ctx));
    this.tick++;
  }

  deliver(event: RealmEvent): void {
    this.eventsIn++;
    this.accept({ event });
  }

  input(input: PlayerInput): void {
    this.accept({ input });
  }

  pause(): void {
    if (this.running) this.stateCode = RealmStateCode.paused;
  }

  resume(): void {
    if (this.stateCode !== RealmStateCode.paused) return;
    this.stateCode = RealmStateCode.running;
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

  views(): ReturnType<RealmKind['view']> {
    return this.data === undefined ? [] : this.kind.view(this.data);
  }

  snapshot(): HostSnapshot {
    return {
      v: 1,
      tick: this.tick,
      rng: this.rng.state(),
      seq: this.seq,
      subs: [...this.subs].sort(),
      data: this.data === undefined ? null : this.kind.snapshot(this.data),
    };
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
    let out: Json | undefined;
    this.guard(() => {
      out = this.kind.exportEntity(this.data, id);
    });
    return out;
  }

  importEntity(entity: Json): void {
    this.guard(() => this.kind.importEntity(this.data, entity, this.ctx));
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
    this.guard(() => {
      if ('event' in q) this.kind.onEvent(this.data, q.event, this.ctx);
      else this.kind.onInput(this.data, q.input, this.ctx);
    });
  }

  private guard(fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (e) {
      this.stateCode = RealmStateCode.error;
      this.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      this.port.failed(this);
      return false;
    }
  }
}
