// What the engine reports about traffic it could not deliver as asked: undeliverable unicasts,
// bounced transfers, hash collisions (the realm that caused one is failed and its frames are
// held back), and the audit stream of routed events for observers.
import type { EventEmitter } from 'node:events';
import { ErrorCode } from '../protocol/errors.js';
import { EXTERNAL_SOURCE, FrameHeader, FrameKind, TargetKind } from '../protocol/frames.js';
import { decodeBody } from '../protocol/codec.js';
import type { Registry } from './registry.js';
import type { ShardIo } from './shard-io.js';
import type { EngineLogger, RoutedEvent, UndeliverableReport } from './types.js';

export class Reports {
  undeliverable = 0;
  bounced = 0;
  /** Realms that used a colliding hash: their events and transfers are not routed. */
  readonly blocked = new Set<number>();

  constructor(
    private readonly registry: Registry,
    private readonly io: ShardIo,
    private readonly log: EngineLogger,
    private readonly emitter: EventEmitter,
    /** Realms other nodes own, by their stub slot (engine/remote.ts). */
    private readonly remoteStubs: ReadonlyMap<number, string>,
  ) {}

  private name(slot: number): string {
    return slot === EXTERNAL_SOURCE ? 'external' : (this.registry.bySlotId(slot)?.reg.realmId ?? this.remoteStubs.get(slot) ?? `#${slot}`);
  }

  collision(slot: number, what: string): void {
    this.blocked.add(slot);
    const rec = this.registry.bySlotId(slot);
    if (rec === undefined) return;
    const message = `${what} used by realm "${rec.reg.realmId}" has the same 32-bit routing id as another one in use`;
    this.io.command(rec.shard, FrameKind.FAIL_REALM, slot, { code: ErrorCode.HASH_COLLISION, message });
  }

  lost(frame: Uint8Array, reason: UndeliverableReport['reason'], controlTick: number): void {
    if (reason === 'bounced') this.bounced++;
    else this.undeliverable++;
    const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const transfer = frame[FrameHeader.KIND] === FrameKind.TRANSFER;
    const body = frame.subarray(FrameHeader.SIZE);
    const r: UndeliverableReport = {
      controlTick,
      kind: transfer ? 'transfer' : 'event',
      from: this.name(v.getUint32(FrameHeader.SOURCE, true)),
      to: this.name(v.getUint32(FrameHeader.TARGET, true)),
      type: transfer ? null : decodeBody(FrameKind.EVENT, body).type,
      entity: transfer ? decodeBody(FrameKind.TRANSFER, body).id : null,
      reason,
    };
    this.log.warn(r, reason === 'bounced' ? 'transfer bounced' : 'undeliverable');
    this.emitter.emit('undeliverable', r);
  }

  routed(frame: Uint8Array, targets: readonly number[], controlTick: number): void {
    const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const flags = v.getUint8(FrameHeader.FLAGS);
    const payload = frame.subarray(FrameHeader.SIZE);
    const e: RoutedEvent = {
      controlTick,
      from: this.name(v.getUint32(FrameHeader.SOURCE, true)),
      type: decodeBody(FrameKind.EVENT, payload).type,
      via: flags === TargetKind.UNICAST ? 'unicast' : flags === TargetKind.BROADCAST ? 'broadcast' : 'selector',
      to: targets.map((s) => this.name(s)),
      seq: v.getUint32(FrameHeader.SEQ, true),
      payload,
    };
    this.emitter.emit('routed', e);
  }
}
