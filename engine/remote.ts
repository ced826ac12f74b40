// The engine's side of a multi-node multiverse (cluster/ drives it): realms owned by other
// nodes appear to the shards as directory stubs, so realm code emits to them by id; events a
// control tick routes to a stub, and every broadcast or selector event of a local source,
// leave through `peer`; events from other nodes come back in through `inject` (the peer calls it
// from `beforeRoute`), routed in the current control tick after its local frames, in the order
// they were injected.
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import { EXTERNAL_SOURCE, FrameHeader, FrameKind, TargetKind } from '../protocol/frames.js';
import { buildFrame } from './barrier-queue.js';
import { decodeBody, encodeBody } from '../protocol/codec.js';
import type { RemoteEvent, TransferOut } from '../protocol/cluster.js';
import { TransferFlag } from '../protocol/shard-messages.js';
import { toSelector } from '../protocol/stat7.js';
import type { Names } from './names.js';
import type { Realms } from './realms.js';
import type { Router } from './router.js';
import type { ShardIo } from './shard-io.js';

/** Slots of remote realms: above any local slot, below EXTERNAL_SOURCE. */
export const REMOTE_SLOT_BASE = 0xc0000000;
/** The order key injected frames share, so they keep their injection order after local sources. */
const INJECTED_ORDER = REMOTE_SLOT_BASE - 1;

export interface RemotePeer {
  /** A unicast to `to`, which another node owns. */
  unicast(to: string, ev: RemoteEvent): void;
  /** A broadcast or selector event: every other node routes it to its own realms. */
  fanout(ev: RemoteEvent): void;
  /** The epoch under which this node owns `realmId` (0: not owned here). */
  epochOf(realmId: string): number;
  /** Just before this node routes a control tick's batch: what arrived from other nodes goes in now (inject), routed with it. */
  beforeRoute?(): void;
  /** An entity routed to a realm another node owns; `bounced`: one that came from there and could not land here. True when taken. */
  transfer(t: TransferOut, bounced: boolean): boolean;
}

export class Remote {
  private readonly slots = new Map<string, number>();
  private nextSlot = REMOTE_SLOT_BASE;
  injected = 0;
  dropped = 0;

  constructor(
    private readonly peer: RemotePeer,
    private readonly realms: Realms,
    private readonly names: Names,
    private readonly router: Router,
    private readonly io: ShardIo,
  ) {}

  /** The realms other nodes own, as this node last heard: stubs added and removed to match. */
  setRemoteRealms(ids: Iterable<string>): void {
    const want = new Set<string>();
    for (const id of ids) if (this.realms.registry.find(id) === undefined) want.add(id);
    const addSlots: number[] = [];
    const addIds: string[] = [];
    const remove: number[] = [];
    for (const [id, slot] of this.slots) {
      if (want.has(id)) continue;
      this.slots.delete(id);
      this.realms.remoteStubs.delete(slot);
      remove.push(slot);
    }
    for (const id of want) {
      if (this.slots.has(id)) continue;
      addSlots.push(this.addStub(id));
      addIds.push(id);
    }
    if (addSlots.length + remove.length > 0) this.io.toAll(FrameKind.DIRECTORY, encodeBody(FrameKind.DIRECTORY, { addSlots, addIds, remove }), true);
  }

  /** Called by the control loop right before it routes a batch. */
  beforeRoute(): void {
    this.peer.beforeRoute?.();
  }

  isRemote(realmId: string): boolean {
    return this.slots.has(realmId);
  }

  /** A routed unicast whose target is not local: true when it went to the node owning that stub. */
  unicast(frame: Uint8Array): boolean {
    const v = view(frame);
    const to = this.realms.remoteStubs.get(v.getUint32(FrameHeader.TARGET, true));
    if (to === undefined || frame[FrameHeader.KIND] !== FrameKind.EVENT) return false;
    this.peer.unicast(to, this.toRemote(frame, v, TargetKind.UNICAST));
    return true;
  }

  /** A routed broadcast or selector event: sent on unless it came from another node. */
  fanout(frame: Uint8Array): void {
    const v = view(frame);
    // Injected frames keep their AUX marker in the batch (routing patches only the delivered copies).
    if (v.getUint32(FrameHeader.AUX, true) === INJECTED_ORDER) return;
    // The router calls this for broadcast and selector frames only.
    this.peer.fanout(this.toRemote(frame, v, frame[FrameHeader.FLAGS] as TargetKind));
  }

  /** A routed transfer whose destination `dest` is another node's realm (a stub): handed to the peer. */
  transferOut(frame: Uint8Array, dest: number, bounced: boolean): boolean {
    const to = this.realms.remoteStubs.get(dest);
    if (to === undefined) return false;
    const v = view(frame);
    const p = decodeBody(FrameKind.TRANSFER, frame.subarray(FrameHeader.SIZE));
    const source = v.getUint32(FrameHeader.SOURCE, true);
    const from = this.realms.registry.bySlotId(source)?.reg.realmId ?? this.realms.remoteStubs.get(source);
    if (from === undefined) return false;
    return this.peer.transfer({ from, to, entityId: p.id, entity: p.entity, tick: v.getUint32(FrameHeader.TICK, true) }, bounced);
  }

  /** An entity for realm `to` here, from realm `from` (another node's, or `to` itself when it comes back): routed when the current control tick closes. False: `to` is not here. */
  transferIn(from: string, to: string, entityId: string, entity: unknown): boolean {
    const rec = this.realms.registry.find(to);
    if (rec === undefined) return false;
    const source = this.stubSlot(from);
    const body = encodeBody(FrameKind.TRANSFER, { id: entityId, entity, from: source });
    const frame = buildFrame({ kind: FrameKind.TRANSFER, flags: TransferFlag.ARRIVE, shard: 0, source, target: rec.slot, seq: 0, tick: 0, aux: INJECTED_ORDER }, body);
    this.router.add(frame, 0, frame.length, INJECTED_ORDER);
    return true;
  }

  private toRemote(frame: Uint8Array, v: DataView, via: TargetKind): RemoteEvent {
    const source = v.getUint32(FrameHeader.SOURCE, true);
    const from = source === EXTERNAL_SOURCE ? null : (this.realms.registry.bySlotId(source)?.reg.realmId ?? null);
    const target = v.getUint32(FrameHeader.TARGET, true);
    const ev: RemoteEvent = {
      from,
      epoch: from === null ? 0 : this.peer.epochOf(from),
      via,
      seq: v.getUint32(FrameHeader.SEQ, true),
      tick: v.getUint32(FrameHeader.TICK, true),
      payload: frame.slice(FrameHeader.SIZE),
    };
    if (via === TargetKind.UNICAST) ev.to = this.realms.remoteStubs.get(target)!;
    else if (via === TargetKind.BROADCAST) ev.type = this.names.typeOf(target);
    else ev.selector = this.names.selectorOf(target);
    return ev;
  }

  /** Events from other nodes, in delivery order: routed when the current control tick closes. */
  inject(events: readonly RemoteEvent[]): void {
    for (const ev of events) {
      let flags: number;
      let target: number;
      if (ev.via === TargetKind.UNICAST) {
        const rec = ev.to === undefined ? undefined : this.realms.registry.find(ev.to);
        if (rec === undefined) {
          this.dropped++;
          continue;
        }
        flags = TargetKind.UNICAST;
        target = rec.slot;
      } else if (ev.via === TargetKind.BROADCAST && ev.type !== undefined) {
        flags = TargetKind.BROADCAST;
        target = this.names.type(ev.type);
      } else if (ev.via === TargetKind.SELECTOR && ev.selector !== undefined) {
        flags = TargetKind.SELECTOR;
        target = this.names.selector(toSelector(ev.selector));
      } else throw new TickverseError(ErrorCode.INVALID_ARGUMENT, 'a remote event needs `to`, `type` or `selector` for its `via`');
      const source = ev.from === null ? EXTERNAL_SOURCE : this.stubSlot(ev.from);
      // AUX marks the frame as injected until routing patches it with the control tick.
      const frame = buildFrame({ kind: FrameKind.EVENT, flags, shard: 0, source, target, seq: ev.seq, tick: ev.tick, aux: INJECTED_ORDER }, ev.payload);
      this.router.add(frame, 0, frame.length, INJECTED_ORDER);
      this.injected++;
    }
  }

  /** A source realm's stub (created for a realm this node had not heard of yet). */
  private stubSlot(realmId: string): number {
    const local = this.realms.registry.find(realmId);
    if (local !== undefined) return local.slot;
    let slot = this.slots.get(realmId);
    if (slot === undefined) {
      slot = this.addStub(realmId);
      this.io.toAll(FrameKind.DIRECTORY, encodeBody(FrameKind.DIRECTORY, { addSlots: [slot], addIds: [realmId], remove: [] }), true);
    }
    return slot;
  }

  /** A new stub slot for `realmId`; the caller tells the shards (DIRECTORY). */
  private addStub(realmId: string): number {
    const slot = this.nextSlot++;
    this.slots.set(realmId, slot);
    this.realms.remoteStubs.set(slot, realmId);
    return slot;
  }
}

const view = (f: Uint8Array): DataView => new DataView(f.buffer, f.byteOffset, f.byteLength);
