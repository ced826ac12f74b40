// Routes one control tick's batch of cross-realm events and entity transfers by header
// only: payloads are copied as bytes, never decoded. Delivery order is deterministic:
// (source slot, sequence) within the tick, whatever the shard layout.
import { FrameHeader, FrameKind, TargetKind, EXTERNAL_SOURCE } from '../protocol/frames.js';
import { TransferFlag } from '../protocol/shard-messages.js';
import { matchesSelector, type Stat7Selector } from '../protocol/stat7.js';
import type { RealmRecord, Registry } from './registry.js';

interface Pending {
  source: number;
  seq: number;
  order: number;
  frame: Uint8Array;
}

export interface RouteSink {
  /** Writes a complete frame into a shard's in-ring (or its backlog). */
  deliver(shard: number, frame: Uint8Array): void;
  /** Observers of routed events (gateway subscribers); `targets` are realm slots. */
  routed?(frame: Uint8Array, targets: readonly number[], controlTick: number): void;
}

export interface RouteResult {
  events: number;
  deliveries: number;
  transfers: number;
  bounced: number;
  undeliverable: number;
}

const ACCEPTS: ReadonlySet<string> = new Set(['booting', 'running', 'syncing', 'paused']);

export class Router {
  private batch: Pending[] = [];
  private order = 0;
  private readonly subscribers = new Map<number, Set<number>>();
  /** Sorted subscriber lists, rebuilt only after a subscription change. */
  private readonly sortedSubscribers = new Map<number, number[]>();
  private readonly selectors = new Map<number, { selector: Stat7Selector; matches: number[] | null }>();
  private readonly empty: number[] = [];

  constructor(private readonly registry: Registry) {}

  get pending(): number {
    return this.batch.length;
  }

  /** Keeps a copy of an EVENT or TRANSFER frame for the next route(). */
  add(bytes: Uint8Array, offset: number, length: number, view: DataView): void {
    this.batch.push({
      source: view.getUint32(offset + FrameHeader.SOURCE, true),
      seq: view.getUint32(offset + FrameHeader.SEQ, true),
      order: this.order++,
      frame: bytes.slice(offset, offset + length),
    });
  }

  subscribe(slot: number, typeHash: number, on: boolean): void {
    this.sortedSubscribers.delete(typeHash);
    let set = this.subscribers.get(typeHash);
    if (on) {
      if (set === undefined) this.subscribers.set(typeHash, (set = new Set()));
      set.add(slot);
    } else set?.delete(slot);
  }

  defineSelector(hash: number, selector: Stat7Selector): void {
    if (!this.selectors.has(hash)) this.selectors.set(hash, { selector, matches: null });
  }

  /** Registry changed: selector matches are recomputed lazily. */
  invalidate(): void {
    for (const s of this.selectors.values()) s.matches = null;
  }

  forget(slot: number): void {
    for (const set of this.subscribers.values()) set.delete(slot);
    this.sortedSubscribers.clear();
    this.invalidate();
  }

  /** Routes the batch collected since the last call; returns its frames (sorted) for the recovery journal. */
  route(controlTick: number, sink: RouteSink): RouteResult & { frames: Uint8Array[] } {
    const batch = this.batch;
    this.batch = [];
    this.order = 0;
    // External events (source 0xffffffff) sort after realm events of the same tick.
    batch.sort((a, b) => a.source - b.source || a.seq - b.seq || a.order - b.order);
    const r = this.routeSorted(batch, controlTick, sink, null);
    return { ...r, frames: batch.map((p) => p.frame) };
  }

  /**
   * Routes an earlier tick's events again, only to realms that `only` accepts: a replaced
   * shard's realms, restored from a snapshot, catch up on what they missed. Transfers are
   * not replayed (the entity already moved).
   */
  redeliver(frames: readonly Uint8Array[], controlTick: number, only: (slot: number) => boolean, sink: RouteSink): number {
    const batch = frames
      .filter((f) => f[FrameHeader.KIND] === FrameKind.EVENT)
      .map((frame, order) => {
        const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
        return { source: v.getUint32(FrameHeader.SOURCE, true), seq: v.getUint32(FrameHeader.SEQ, true), order, frame };
      });
    return this.routeSorted(batch, controlTick, { deliver: sink.deliver }, only).deliveries;
  }

  private routeSorted(batch: Pending[], controlTick: number, sink: RouteSink, only: ((slot: number) => boolean) | null): RouteResult {
    const r: RouteResult = { events: 0, deliveries: 0, transfers: 0, bounced: 0, undeliverable: 0 };
    for (const p of batch) {
      const view = new DataView(p.frame.buffer, p.frame.byteOffset, p.frame.byteLength);
      const kind = view.getUint8(FrameHeader.KIND);
      if (kind === FrameKind.TRANSFER) this.transfer(p, view, controlTick, sink, r);
      else this.event(p, view, controlTick, sink, r, only);
    }
    return r;
  }

  private targets(flags: number, target: number): readonly number[] {
    if (flags === TargetKind.UNICAST) return [target];
    if (flags === TargetKind.BROADCAST) {
      let sorted = this.sortedSubscribers.get(target);
      if (sorted === undefined) {
        sorted = [...(this.subscribers.get(target) ?? [])].sort((a, b) => a - b);
        this.sortedSubscribers.set(target, sorted);
      }
      return sorted;
    }
    const sel = this.selectors.get(target);
    if (sel === undefined) return this.empty;
    if (sel.matches === null) {
      sel.matches = [];
      for (const rec of this.registry.all()) if (matchesSelector(rec.reg.stat7, sel.selector)) sel.matches.push(rec.slot);
      sel.matches.sort((a, b) => a - b);
    }
    return sel.matches;
  }

  private event(p: Pending, view: DataView, controlTick: number, sink: RouteSink, r: RouteResult, only: ((slot: number) => boolean) | null): void {
    r.events++;
    const flags = view.getUint8(FrameHeader.FLAGS);
    const targets = this.targets(flags, view.getUint32(FrameHeader.TARGET, true));
    const delivered: number[] = [];
    for (const slot of targets) {
      if (only !== null && !only(slot)) continue;
      const rec = this.registry.bySlotId(slot);
      if (rec === undefined || !ACCEPTS.has(rec.state)) {
        if (flags === TargetKind.UNICAST) r.undeliverable++;
        continue;
      }
      // A broadcast does not echo back to its source.
      if (flags !== TargetKind.UNICAST && slot === p.source && p.source !== EXTERNAL_SOURCE) continue;
      const copy = p.frame.slice();
      const v = new DataView(copy.buffer);
      v.setUint8(FrameHeader.KIND, FrameKind.DELIVER_EVENT);
      v.setUint32(FrameHeader.TARGET, slot, true);
      v.setUint32(FrameHeader.AUX, controlTick, true);
      sink.deliver(rec.shard, copy);
      delivered.push(slot);
      r.deliveries++;
    }
    sink.routed?.(p.frame, delivered, controlTick);
  }

  private transfer(p: Pending, view: DataView, controlTick: number, sink: RouteSink, r: RouteResult): void {
    const target = this.registry.bySlotId(view.getUint32(FrameHeader.TARGET, true));
    const source = this.registry.bySlotId(p.source);
    let dest: RealmRecord | undefined = target;
    let flag: number = TransferFlag.ARRIVE;
    if (dest === undefined || !ACCEPTS.has(dest.state)) {
      // Never in none: an entity whose destination cannot take it goes back to its source.
      dest = source;
      flag = TransferFlag.BOUNCED;
      r.bounced++;
    } else r.transfers++;
    if (dest === undefined) {
      r.undeliverable++;
      return;
    }
    const copy = p.frame.slice();
    const v = new DataView(copy.buffer);
    v.setUint8(FrameHeader.KIND, FrameKind.DELIVER_TRANSFER);
    v.setUint8(FrameHeader.FLAGS, flag);
    v.setUint32(FrameHeader.TARGET, dest.slot, true);
    v.setUint32(FrameHeader.AUX, controlTick, true);
    sink.deliver(dest.shard, copy);
  }
}
