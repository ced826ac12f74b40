// Entity transfers between nodes (docs/scale-out.md § Transfers). An entity that leaves a realm
// for a realm another node owns is held by the source's owner until the destination's owner
// says it landed:
//   1. the source realm's cluster snapshot is written with the entity in its outbox (its state
//      no longer holds it); only then is it sent;
//   2. the destination's owner routes it into the realm at a control tick, writes that realm's
//      snapshot with the transfer's id among those landed, and only then answers `landed`;
//   3. the source drops it from the outbox. No answer: it is sent again, under the same id.
// A node that dies anywhere in between leaves a snapshot that holds the entity either in a
// realm's state or in an outbox, never both and never neither; a repeat of a landed id is
// answered, not applied again. Refused (no such realm, or it would not take it): it goes back.
import { randomBytes } from 'node:crypto';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Engine } from '../engine/index.js';
import type { Remote } from '../engine/remote.js';
import { decode, encode } from '../protocol/codec.js';
import type { RemoteTransfer, TransferOut, TransferReply } from '../protocol/cluster.js';
import type { Directory } from './directory.js';
import type { Failover, SnapshotExtras } from './failover.js';
import { fault } from './faults.js';
import type { Membership } from './membership.js';
import type { RealmSnapshot } from './store.js';

const RETRY_MS = 500;
const REQUEST_TIMEOUT_MS = 3000;
/** Landed ids a realm remembers: a retry comes within seconds, long before this many later transfers. */
const LANDED_KEEP = 1024;

interface Outgoing {
  t: RemoteTransfer;
  /** new: only in memory; stored: in the source's snapshot, sent until answered; returning/returned: refused, on its way back / back in the source. */
  state: 'new' | 'stored' | 'returning' | 'returned';
  inFlight: boolean;
}

interface Arrival {
  t: RemoteTransfer;
  routed: boolean;
  answer: ((r: TransferReply) => void)[];
}

export interface TransferCounters {
  /** Transfers out of this node's realms that landed elsewhere. */
  sent: number;
  /** Transfers into this node's realms. */
  landed: number;
  refused: number;
  retries: number;
  duplicates: number;
}

export class Transfers implements SnapshotExtras {
  private readonly out = new Map<string, Outgoing>();
  private readonly landedIds = new Map<string, string[]>();
  private readonly arriving = new Map<string, Arrival>();
  private readonly fresh = new Set<string>();
  private readonly nonce = randomBytes(4).toString('hex');
  private n = 0;
  private sub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  readonly counters: TransferCounters = { sent: 0, landed: 0, refused: 0, retries: 0, duplicates: 0 };

  constructor(
    private readonly nc: NatsConnection,
    private readonly prefix: string,
    private readonly node: string,
    private readonly engine: Engine,
    private readonly directory: Directory,
    private readonly membership: Membership,
    private readonly failover: Failover,
    private readonly remote: () => Remote,
  ) {}

  /** An unregistered realm: its landed ids go (transfers still on their way to it will be refused). */
  forget(realmId: string): void {
    this.landedIds.delete(realmId);
  }

  /** Transfers out of this node's realms not yet confirmed. */
  get inFlight(): number {
    return this.out.size;
  }

  start(): void {
    this.sub = this.nc.subscribe(`${this.prefix}.transfer.${this.node}`, {
      callback: (err, msg) => {
        if (err !== null) return;
        const t = parse(msg.data);
        if (t !== null) void this.arrive(t).then((r) => msg.respond(encode(r)));
      },
    });
    this.timer = setInterval(() => this.retry(), RETRY_MS);
  }

  stop(): void {
    this.sub?.unsubscribe();
    if (this.timer !== null) clearInterval(this.timer);
    for (const a of this.arriving.values()) answer(a, { r: 'elsewhere' });
    this.arriving.clear();
  }

  /** The engine routed a transfer to another node's realm (`bounced`: one from there that could not land here). True: held here now. */
  take(t: TransferOut, bounced: boolean): boolean {
    if (bounced) {
      for (const [id, a] of this.arriving) {
        if (a.routed || a.t.from !== t.from || a.t.entityId !== t.entityId) continue;
        this.arriving.delete(id);
        answer(a, { r: 'refused', reason: `realm "${a.t.to}" did not accept it` });
        return true;
      }
      return false;
    }
    // The realm it just came into sends it straight back (a kind without importEntity does): a refusal.
    for (const [id, a] of this.arriving) {
      if (!a.routed || a.t.to !== t.from || a.t.from !== t.to || a.t.entityId !== t.entityId) continue;
      this.arriving.delete(id);
      const list = this.landedIds.get(t.from);
      if (list !== undefined) this.landedIds.set(t.from, list.filter((x) => x !== id));
      answer(a, { r: 'refused', reason: `realm "${t.from}" sent it back`, entity: t.entity });
      return true;
    }
    const src = this.directory.get(t.from);
    if (src === undefined || src.rec.owner !== this.node) return false;
    const id = `${t.from}@${src.rec.epoch}.${this.nonce}.${++this.n}`;
    this.out.set(id, { t: { ...t, id, epoch: src.rec.epoch }, state: 'new', inFlight: false });
    this.fresh.add(t.from);
    return true;
  }

  /** A control tick closed: what it routed is in the realms now; their snapshots make it durable. */
  afterTick(): void {
    if (this.fresh.size + this.arriving.size + this.out.size === 0) return;
    const snap = new Set(this.fresh);
    if (this.fresh.size > 0) fault('transfer-left');
    this.fresh.clear();
    for (const a of this.arriving.values()) {
      if (a.routed) continue;
      a.routed = true;
      const list = this.landedIds.get(a.t.to) ?? [];
      list.push(a.t.id);
      if (list.length > LANDED_KEEP) list.splice(0, list.length - LANDED_KEEP);
      this.landedIds.set(a.t.to, list);
      snap.add(a.t.to);
    }
    for (const o of this.out.values()) {
      if (o.state !== 'returning') continue;
      o.state = 'returned';
      snap.add(o.t.from);
    }
    for (const realmId of snap) void this.failover.snapshotRealm(realmId);
  }

  // ---- what a realm's snapshot carries (SnapshotExtras) ----

  before(realmId: string): { landed: string[]; returned: ReadonlySet<string> } {
    const returned = new Set<string>();
    for (const [id, o] of this.out) if (o.t.from === realmId && o.state === 'returned') returned.add(id);
    return { landed: [...(this.landedIds.get(realmId) ?? [])], returned };
  }

  async outbox(realmId: string, host: Uint8Array, returned: ReadonlySet<string>): Promise<RemoteTransfer[]> {
    // Entities that left before the state was taken came through the ring before its reply, so
    // they are in `out` or in the router's batch: in that case, after the next close they are in `out`.
    if (this.engine.transfersPending > 0) await this.nextTick();
    for (const a of this.arriving.values()) if (a.routed && a.t.to === realmId) fault('transfer-routed');
    const mine = [...this.out.values()].filter((o) => o.t.from === realmId && !returned.has(o.t.id));
    if (mine.length === 0) return [];
    // The state holds an entity that left at a later local tick than its own.
    const tick = decode<{ tick: number }>(host).tick;
    return mine.filter((o) => o.t.tick <= tick).map((o) => o.t);
  }

  written(realmId: string, snap: RealmSnapshot): void {
    const kept = new Set((snap.outbox ?? []).map((t) => t.id));
    for (const [id, o] of this.out) {
      if (o.t.from !== realmId) continue;
      if (kept.has(id) && o.state === 'new') {
        o.state = 'stored';
        fault('transfer-stored');
        this.send(o);
      } else if (!kept.has(id) && o.state === 'returned') this.out.delete(id);
    }
    const landed = new Set(snap.landed);
    for (const [id, a] of this.arriving) {
      if (a.t.to !== realmId || !a.routed || !landed.has(id)) continue;
      this.arriving.delete(id);
      fault('transfer-landed');
      this.counters.landed++;
      answer(a, { r: 'landed' });
    }
  }

  /** Called before the adopted realm runs: a repeat of a landed id is known from its first tick; the outbox goes out with the next retry. */
  restore(realmId: string, snap: RealmSnapshot | null): void {
    this.landedIds.set(realmId, [...(snap?.landed ?? [])]);
    for (const t of snap?.outbox ?? []) if (!this.out.has(t.id)) this.out.set(t.id, { t, state: 'stored', inFlight: false });
  }

  // ---- source side ----

  private send(o: Outgoing): void {
    if (o.inFlight || o.state !== 'stored') return;
    const dest = this.directory.get(o.t.to);
    if (dest === undefined) return this.giveBack(o, o.t.entity);
    o.inFlight = true;
    const reply = dest.rec.owner === this.node ? this.arrive(o.t) : this.request(dest.rec.owner, o.t);
    void reply.then((r) => {
      o.inFlight = false;
      if (this.out.get(o.t.id) !== o) return;
      if (r.r === 'landed') {
        this.out.delete(o.t.id);
        this.counters.sent++;
      } else if (r.r === 'refused') this.giveBack(o, 'entity' in r ? r.entity : o.t.entity);
      // elsewhere, or no answer: sent again by the retry timer
    });
  }

  private async request(node: string, t: RemoteTransfer): Promise<TransferReply> {
    try {
      return parseReply((await this.nc.request(`${this.prefix}.transfer.${node}`, encode(t), { timeout: REQUEST_TIMEOUT_MS })).data);
    } catch {
      return { r: 'elsewhere' };
    }
  }

  /** Refused: the entity goes back into its source realm (kept in the outbox until a snapshot holds it there). */
  private giveBack(o: Outgoing, entity: unknown): void {
    if (!this.remote().transferIn(o.t.from, o.t.from, o.t.entityId, entity)) return; // its realm moved: its new owner has the outbox
    o.state = 'returning';
    this.counters.refused++;
  }

  private retry(): void {
    // Arrivals for a realm another node owns now: its new owner restored it from a snapshot
    // without them, and the source's retry goes there.
    for (const [id, a] of this.arriving) {
      if (this.directory.get(a.t.to)?.rec.owner === this.node) continue;
      this.arriving.delete(id);
      answer(a, { r: 'elsewhere' });
    }
    for (const [id, o] of this.out) {
      // Moved to another node by failover: that node restored this outbox from the snapshot.
      if (this.directory.get(o.t.from)?.rec.owner !== this.node) {
        this.out.delete(id);
        continue;
      }
      if (o.state !== 'stored' || o.inFlight) continue;
      this.counters.retries++;
      this.send(o);
    }
  }

  // ---- destination side ----

  private arrive(t: RemoteTransfer): Promise<TransferReply> {
    if ((this.landedIds.get(t.to) ?? []).includes(t.id)) {
      this.counters.duplicates++;
      return Promise.resolve({ r: 'landed' });
    }
    const pending = this.arriving.get(t.id);
    if (pending !== undefined) {
      // A retry while the first copy is landing: answered with it (and its snapshot asked for again).
      if (pending.routed) void this.failover.snapshotRealm(t.to);
      return new Promise((res) => pending.answer.push(res));
    }
    const dest = this.directory.get(t.to);
    if (dest === undefined) return Promise.resolve({ r: 'refused', reason: `unknown realm "${t.to}"` });
    if (dest.rec.owner !== this.node || this.membership.isFenced) return Promise.resolve({ r: 'elsewhere' });
    const state = this.engine.find(t.to)?.state;
    if (state === undefined) return Promise.resolve({ r: 'elsewhere' }); // being adopted here
    if (state !== 'running' && state !== 'paused') return Promise.resolve({ r: 'refused', reason: `realm "${t.to}" is ${state}` });
    if (!this.remote().transferIn(t.from, t.to, t.entityId, t.entity)) return Promise.resolve({ r: 'elsewhere' });
    return new Promise((res) => this.arriving.set(t.id, { t, routed: false, answer: [res] }));
  }

  private nextTick(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.engine.off('controlTick', done);
        resolve();
      };
      // No control tick within a second: nothing is ticking, so nothing can have left.
      const timer = setTimeout(done, 1000);
      this.engine.on('controlTick', done);
    });
  }
}

function answer(a: Arrival, r: TransferReply): void {
  for (const f of a.answer.splice(0)) f(r);
}

function parse(data: Uint8Array): RemoteTransfer | null {
  try {
    const t = decode<RemoteTransfer>(data);
    const ok = typeof t === 'object' && t !== null && typeof t.id === 'string' && typeof t.from === 'string' && typeof t.to === 'string' && typeof t.entityId === 'string' && typeof t.tick === 'number';
    return ok ? t : null;
  } catch {
    return null;
  }
}

function parseReply(data: Uint8Array): TransferReply {
  const r = decode<TransferReply>(data);
  return r !== null && typeof r === 'object' && (r.r === 'landed' || r.r === 'refused' || r.r === 'elsewhere') ? r : { r: 'elsewhere' };
}
