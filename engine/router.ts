// Routes one control tick's batch of cross-realm events and entity transfers by header only:
// frames are copied from the out-rings into one reusable arena, sorted by (source realm,
// arrival) — a source's frames arrive in sequence order — and written into the target
// shards' in-rings in place, their headers patched there. No payload is decoded and
// nothing is allocated per delivery. Delivery order is therefore deterministic: (source,
// sequence) within the tick, whatever the shard layout.
import { EXTERNAL_SOURCE, FrameHeader, FrameKind, TargetKind, patchHeader } from '../protocol/frames.js';
import { TransferFlag } from '../protocol/shard-messages.js';
import type { LoggedTick, RouteLog } from './route-log.js';

/** Where the router looks realms and targets up (the realms part implements it). */
export interface RouteTable {
  /** The shard to deliver to, or -1 when the slot is unknown (-2: known but not accepting deliveries). */
  shardOf(slot: number): number;
  /** Sorted subscriber slots of an event type / matching slots of a selector. */
  subscribers(typeHash: number): readonly number[];
  selectorMatches(selectorHash: number): readonly number[];
}

export interface RouteSink {
  /** Writes `src[offset, offset+length)` into `shard`'s in-ring with kind, flags, target and aux patched. */
  /** False when the shard is too far behind to take it (an event then counts as undeliverable, 'overloaded'). */
  deliver(shard: number, src: Uint8Array, offset: number, length: number, kind: number, flags: number, target: number, aux: number): boolean;
  /** Observers of routed events (gateway subscribers); built only when someone listens. */
  routed?(frame: Uint8Array, targets: readonly number[], controlTick: number): void;
  /** A broadcast or selector event after local delivery: other nodes route it to their realms. */
  fanout?(frame: Uint8Array, controlTick: number): void;
  /** A transfer to `dest`, a realm another node owns: true when that node's side took it (docs/scale-out.md § Transfers). */
  away?(frame: Uint8Array, dest: number, bounced: boolean): boolean;
  /** A unicast event or a transfer that could not go where it was sent. */
  undeliverable(frame: Uint8Array, reason: 'unknown-realm' | 'not-accepting' | 'bounced' | 'overloaded', controlTick: number): void;
}

export interface RouteResult {
  events: number;
  deliveries: number;
  transfers: number;
  bounced: number;
  undeliverable: number;
}

const ORDER = 2 ** 21; // frames per batch the sort key can order; larger batches sort by comparator

export class Router {
  private arena = new Uint8Array(1 << 16);
  private used = 0;
  private keys = new Float64Array(1024);
  private offsets = new Uint32Array(1024);
  private lengths = new Uint32Array(1024);
  private count = 0;
  private transfersIn = 0;
  private readonly delivered: number[] = [];

  constructor(private readonly table: RouteTable) {}

  get pending(): number {
    return this.count;
  }

  /** TRANSFER frames in the batch not routed yet. */
  get pendingTransfers(): number {
    return this.transfersIn;
  }

  /** Copies an EVENT or TRANSFER frame (`bytes[offset, offset+length)`) into the batch; `orderAs` sorts it as that source. */
  add(bytes: Uint8Array, offset: number, length: number, orderAs?: number): void {
    if (this.used + length > this.arena.length) this.arena = grow(this.arena, this.used + length);
    if (this.count === this.keys.length) {
      this.keys = grow(this.keys, this.count + 1);
      this.offsets = grow(this.offsets, this.count + 1);
      this.lengths = grow(this.lengths, this.count + 1);
    }
    this.arena.set(bytes.subarray(offset, offset + length), this.used);
    if (bytes[offset + FrameHeader.KIND] === FrameKind.TRANSFER) this.transfersIn++;
    const source = orderAs ?? (bytes[offset + FrameHeader.SOURCE]! | (bytes[offset + FrameHeader.SOURCE + 1]! << 8) | (bytes[offset + FrameHeader.SOURCE + 2]! << 16)) + bytes[offset + FrameHeader.SOURCE + 3]! * 2 ** 24;
    this.keys[this.count] = source * ORDER + (this.count % ORDER);
    this.offsets[this.count] = this.used;
    this.lengths[this.count] = length;
    this.used += length;
    this.count++;
  }

  /** Routes the batch collected since the last call; appends it (sorted) to `log` when given. */
  route(controlTick: number, sink: RouteSink, log: RouteLog | null): RouteResult {
    const r: RouteResult = { events: 0, deliveries: 0, transfers: 0, bounced: 0, undeliverable: 0 };
    const n = this.count;
    if (n === 0) return r;
    const order = this.sortedOrder(n);
    const arena = this.arena;
    const view = new DataView(arena.buffer, arena.byteOffset, arena.byteLength);
    const starts = new Uint32Array(n);
    const lengths = new Uint32Array(n);
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const at = this.offsets[i]!;
      const length = this.lengths[i]!;
      starts[k] = at;
      lengths[k] = length;
      if (arena[at + FrameHeader.KIND] === FrameKind.TRANSFER) this.transfer(arena, view, at, length, controlTick, sink, r);
      else this.event(arena, view, at, length, controlTick, sink, r, null);
    }
    // After routing: transfers were resolved in place, so the log holds where each entity went.
    log?.add(controlTick, arena, this.used, starts, lengths);
    this.count = 0;
    this.used = 0;
    this.transfersIn = 0;
    return r;
  }

  /**
   * Routes an earlier tick's logged frames again, only to realms that `only` accepts: a replaced
   * shard's realms, restored from a snapshot, catch up on what they missed. A logged transfer
   * carries the destination it was resolved to: it arrives again if that realm is being
   * restored, and leaves its source again (`drop`) if the source is.
   */
  redeliver(logged: LoggedTick, only: (slot: number) => boolean, sink: RouteSink, drop: (slot: number, frame: Uint8Array) => void): number {
    const { frames, starts, lengths, tick: controlTick } = logged;
    const view = new DataView(frames.buffer, frames.byteOffset, frames.byteLength);
    const r: RouteResult = { events: 0, deliveries: 0, transfers: 0, bounced: 0, undeliverable: 0 };
    const quiet: RouteSink = { deliver: sink.deliver, undeliverable: () => undefined };
    for (let k = 0; k < starts.length; k++) {
      const at = starts[k]!;
      const length = lengths[k]!;
      if (frames[at + FrameHeader.KIND] !== FrameKind.TRANSFER) {
        this.event(frames, view, at, length, controlTick, quiet, r, only);
        continue;
      }
      const dest = view.getUint32(at + FrameHeader.TARGET, true);
      const source = view.getUint32(at + FrameHeader.SOURCE, true);
      const flag = view.getUint8(at + FrameHeader.FLAGS);
      // A bounced transfer went out and back: the source's snapshot already holds the entity.
      if (flag === TransferFlag.BOUNCED) continue;
      if (only(source)) drop(source, frames.subarray(at, at + length));
      // Handed to another node: that node's side holds it now.
      if (flag === TransferFlag.AWAY) continue;
      const shard = this.table.shardOf(dest);
      if (only(dest) && shard >= 0) {
        sink.deliver(shard, frames, at, length, FrameKind.DELIVER_TRANSFER, flag, dest, controlTick);
        r.deliveries++;
      }
    }
    return r.deliveries;
  }

  private sortedOrder(n: number): Uint32Array {
    const order = new Uint32Array(n);
    if (n < ORDER) {
      const keys = this.keys.subarray(0, n);
      keys.sort();
      for (let k = 0; k < n; k++) order[k] = keys[k]! % ORDER;
    } else {
      const keys = this.keys;
      for (let k = 0; k < n; k++) order[k] = k;
      order.sort((a, b) => Math.floor(keys[a]! / ORDER) - Math.floor(keys[b]! / ORDER) || a - b);
    }
    return order;
  }

  private event(bytes: Uint8Array, view: DataView, at: number, length: number, controlTick: number, sink: RouteSink, r: RouteResult, only: ((slot: number) => boolean) | null): void {
    r.events++;
    const flags = bytes[at + FrameHeader.FLAGS]!;
    const source = view.getUint32(at + FrameHeader.SOURCE, true);
    const target = view.getUint32(at + FrameHeader.TARGET, true);
    if (flags === TargetKind.UNICAST) {
      if (only !== null && !only(target)) return;
      const shard = this.table.shardOf(target);
      if (shard < 0) {
        r.undeliverable++;
        sink.undeliverable(bytes.slice(at, at + length), shard === -1 ? 'unknown-realm' : 'not-accepting', controlTick);
      } else this.deliverEvent(bytes, at, length, shard, flags, target, controlTick, sink, r);
      if (sink.routed !== undefined) sink.routed(bytes.slice(at, at + length), shard < 0 ? [] : [target], controlTick);
      return;
    }
    const targets = flags === TargetKind.BROADCAST ? this.table.subscribers(target) : this.table.selectorMatches(target);
    const observed = sink.routed !== undefined;
    const delivered = this.delivered;
    delivered.length = 0;
    for (const slot of targets) {
      // A broadcast does not echo back to its source.
      if (slot === source && source !== EXTERNAL_SOURCE) continue;
      if (only !== null && !only(slot)) continue;
      const shard = this.table.shardOf(slot);
      if (shard < 0 || !this.deliverEvent(bytes, at, length, shard, flags, slot, controlTick, sink, r)) continue;
      if (observed) delivered.push(slot);
    }
    if (observed) sink.routed!(bytes.slice(at, at + length), delivered.slice(), controlTick);
    if (sink.fanout !== undefined && only === null) sink.fanout(bytes.subarray(at, at + length), controlTick);
  }

  private deliverEvent(bytes: Uint8Array, at: number, length: number, shard: number, flags: number, slot: number, controlTick: number, sink: RouteSink, r: RouteResult): boolean {
    if (sink.deliver(shard, bytes, at, length, FrameKind.DELIVER_EVENT, flags, slot, controlTick)) {
      r.deliveries++;
      return true;
    }
    // The target's shard is more than its backlog limit behind: reported, never dropped silently.
    r.undeliverable++;
    const copy = bytes.slice(at, at + length);
    patchHeader(copy, 0, copy[FrameHeader.KIND]!, flags, slot, controlTick);
    sink.undeliverable(copy, 'overloaded', controlTick);
    return false;
  }

  private transfer(bytes: Uint8Array, view: DataView, at: number, length: number, controlTick: number, sink: RouteSink, r: RouteResult): void {
    let dest = view.getUint32(at + FrameHeader.TARGET, true);
    let shard = this.table.shardOf(dest);
    let flag: number = TransferFlag.ARRIVE;
    if (shard < 0 && this.away(bytes, view, at, length, dest, false, sink)) {
      r.transfers++;
      return;
    }
    if (shard < 0) {
      // Never in none: an entity whose destination cannot take it goes back to its source.
      sink.undeliverable(bytes.slice(at, at + length), 'bounced', controlTick);
      dest = view.getUint32(at + FrameHeader.SOURCE, true);
      shard = this.table.shardOf(dest);
      flag = TransferFlag.BOUNCED;
      r.bounced++;
      if (shard < 0 && this.away(bytes, view, at, length, dest, true, sink)) return;
    } else r.transfers++;
    // Resolved in place, so the catch-up log holds where the entity went.
    view.setUint8(at + FrameHeader.FLAGS, flag);
    view.setUint32(at + FrameHeader.TARGET, dest, true);
    if (shard < 0) {
      r.undeliverable++;
      sink.undeliverable(bytes.slice(at, at + length), shard === -1 ? 'unknown-realm' : 'not-accepting', controlTick);
      return;
    }
    sink.deliver(shard, bytes, at, length, FrameKind.DELIVER_TRANSFER, flag, dest, controlTick);
  }

  /** A transfer whose `dest` is another node's realm, handed to that node's side and logged as AWAY. */
  private away(bytes: Uint8Array, view: DataView, at: number, length: number, dest: number, bounced: boolean, sink: RouteSink): boolean {
    if (sink.away === undefined || !sink.away(bytes.slice(at, at + length), dest, bounced)) return false;
    view.setUint8(at + FrameHeader.FLAGS, TransferFlag.AWAY);
    view.setUint32(at + FrameHeader.TARGET, dest, true);
    return true;
  }
}

function grow<T extends Uint8Array | Uint32Array | Float64Array>(a: T, need: number): T {
  let size = a.length * 2;
  while (size < need) size *= 2;
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}
