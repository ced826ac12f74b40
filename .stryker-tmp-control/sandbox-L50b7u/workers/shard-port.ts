// @ts-nocheck
// A shard's side of the ring protocol for its realms' outgoing traffic: emits, subscriptions,
// selector and type definitions, transfers, lifecycle reports and replies, written to the
// out-ring. It also keeps the directory (realm id ↔ slot) that emits by id need.
import { CHUNKED, FrameKind, TargetKind, fnv1a, type FrameFields } from '../protocol/frames.js';
import { splitBody } from '../protocol/chunks.js';
import { ErrorCode } from '../protocol/errors.js';
import { encode, encodeBody } from '../protocol/codec.js';
import { canonicalSelector, selectorHash, type Stat7Selector } from '../protocol/stat7.js';
import { ReplyFlag, TransferFlag, type DirectoryPayload, type HelloPayload } from '../protocol/shard-messages.js';
import type { Outbox } from './outbox.js';
import type { RealmHost, RealmPort } from './realm-host.js';
import type { EmitOptions } from './realm.js';

export class ShardPort implements RealmPort {
  private readonly directory = new Map<number, string>();
  private readonly slotsById = new Map<string, number>();
  /** hash → the one string this shard has used for it (a second string with the same hash is refused). */
  private readonly types = new Map<number, string>();
  private readonly selectors = new Map<number, string>();

  constructor(
    readonly shardId: number,
    readonly outbox: Outbox,
    /** The barrier's Int32 view and this shard's RUNNING slot in it. */
    private readonly marker: Int32Array,
    private readonly markerAt: number,
    private readonly beatAt: number,
  ) {}

  /** RealmPort: realm code of `slot` starts (0: it returned). Plain stores: read only after this thread is gone. */
  running(slot: number): void {
    this.marker[this.markerAt] = slot;
    if (slot !== 0) this.marker[this.beatAt] = (this.marker[this.beatAt]! + 1) | 0;
  }

  fields(kind: FrameFields['kind'], flags: number, source: number, target: number, seq = 0, tick = 0, aux = 0): FrameFields {
    return { kind, flags, shard: this.shardId, source, target, seq, tick, aux };
  }

  hello(kinds: HelloPayload['kinds']): void {
    this.outbox.send(this.fields(FrameKind.HELLO, 0, 0, 0), encodeBody(FrameKind.HELLO, { kinds }));
  }

  nameOf(slot: number): string {
    return slot === 0xffffffff ? 'external' : (this.directory.get(slot) ?? `#${slot}`);
  }

  slotOf(id: string): number | undefined {
    return this.slotsById.get(id);
  }

  applyDirectory(d: DirectoryPayload): void {
    for (let i = 0; i < d.addSlots.length; i++) {
      const slot = d.addSlots[i]!;
      const id = d.addIds[i]!;
      this.directory.set(slot, id);
      this.slotsById.set(id, slot);
    }
    for (const slot of d.remove) {
      const id = this.directory.get(slot);
      this.directory.delete(slot);
      if (id !== undefined && this.slotsById.get(id) === slot) this.slotsById.delete(id);
    }
  }

  /** RealmPort: a realm emits an event. Unknown unicast targets and colliding types throw into realm code. */
  emit(host: RealmHost, opts: EmitOptions): void {
    if (typeof opts.type !== 'string' || opts.type.length === 0) throw new TypeError('emit: type must be a non-empty string');
    let flags: number;
    let target: number;
    if (opts.to !== undefined) {
      const slot = this.slotsById.get(opts.to);
      if (slot === undefined) throw new RangeError(`emit: unknown realm "${opts.to}"`);
      flags = TargetKind.UNICAST;
      target = slot;
    } else if (opts.selector !== undefined) {
      flags = TargetKind.SELECTOR;
      target = this.selectorHash(opts.selector, host.slot);
    } else {
      flags = TargetKind.BROADCAST;
      target = this.typeHash(opts.type, host.slot);
    }
    host.seq++;
    host.eventsOut++;
    this.outbox.send(this.fields(FrameKind.EVENT, flags, host.slot, target, host.seq, host.tick), encodeBody(FrameKind.EVENT, { type: opts.type, data: opts.data ?? null }));
  }

  subscribe(host: RealmHost, type: string, on: boolean): void {
    const kind = on ? FrameKind.SUBSCRIBE : FrameKind.UNSUBSCRIBE;
    this.outbox.send(this.fields(kind, 0, host.slot, this.typeHash(type, host.slot)), encodeBody(kind, { type }));
  }

  /** The 32-bit id of an event type; the first use is reported (TYPE_DEF) so the engine can refuse collisions. */
  /** `slot`: the realm using it, named in the report so a collision fails that realm. */
  typeHash(type: string, slot: number): number {
    const hash = fnv1a(type);
    const known = this.types.get(hash);
    if (known === type) return hash;
    if (known !== undefined) throw new RangeError(`${ErrorCode.HASH_COLLISION}: event type "${type}" has the same 32-bit id as "${known}"`);
    this.types.set(hash, type);
    this.outbox.send(this.fields(FrameKind.TYPE_DEF, 0, slot, hash), encodeBody(FrameKind.TYPE_DEF, { type }));
    return hash;
  }

  selectorHash(selector: Stat7Selector, slot = 0): number {
    const canonical = canonicalSelector(selector);
    const hash = selectorHash(selector);
    const known = this.selectors.get(hash);
    if (known === canonical) return hash;
    if (known !== undefined) throw new RangeError(`${ErrorCode.HASH_COLLISION}: selector ${canonical} has the same 32-bit id as ${known}`);
    this.selectors.set(hash, canonical);
    this.outbox.send(this.fields(FrameKind.SELECTOR_DEF, 0, slot, hash), encodeBody(FrameKind.SELECTOR_DEF, { selector: Object.fromEntries(JSON.parse(canonical) as [string, unknown][]) as Stat7Selector }));
    return hash;
  }

  transfer(host: RealmHost, id: string, to: number, entity: unknown): void {
    this.outbox.send(
      this.fields(FrameKind.TRANSFER, TransferFlag.ARRIVE, host.slot, to, 0, host.tick),
      encodeBody(FrameKind.TRANSFER, { id, entity, from: host.slot }),
    );
  }

  stateChanged(host: RealmHost, code: string | null): void {
    this.stateReport(host.slot, host.stateCode, code, code === null ? null : host.error);
  }

  stateReport(slot: number, state: number, code: string | null, message: string | null): void {
    this.outbox.send(this.fields(FrameKind.REALM_STATE, 0, slot, slot), encodeBody(FrameKind.REALM_STATE, { state, code, message }));
  }

  /** A reply of any size: larger than one frame, it goes as CHUNK_OUT pieces (stream = request id). */
  reply(slot: number, seq: number, body: unknown, aux = 0): void {
    this.replyBytes(slot, seq, encode(body), aux);
  }

  /** A reply already encoded. */
  replyBytes(slot: number, seq: number, bytes: Uint8Array, aux = 0): void {
    if (bytes.length <= this.outbox.maxPayload) {
      this.outbox.send(this.fields(FrameKind.REPLY, ReplyFlag.OK, slot, slot, seq, 0, aux), bytes);
      return;
    }
    splitBody(bytes, this.outbox.maxPayload, (piece, last) => {
      if (last) this.outbox.send(this.fields(FrameKind.REPLY, ReplyFlag.OK | CHUNKED, slot, slot, seq, seq, aux), piece);
      else this.outbox.send(this.fields(FrameKind.CHUNK_OUT, 0, slot, slot, seq, seq), piece);
    });
  }

  replyError(slot: number, seq: number, code: string, message: string): void {
    this.outbox.send(this.fields(FrameKind.REPLY, ReplyFlag.ERROR, slot, slot, seq), encode({ code, message }));
  }
}
