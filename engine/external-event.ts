// An event from outside the realms (engine.publish): checked, then built as the ring frame the
// router takes, from the external source.
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import { EXTERNAL_SOURCE, FrameKind, TargetKind } from '../protocol/frames.js';
import { toSelector } from '../protocol/stat7.js';
import { buildFrame } from './barrier-queue.js';
import type { Names } from './names.js';
import { isEventType } from './registration.js';
import type { Registry } from './registry.js';
import type { ShardIo } from './shard-io.js';
import type { PublishRequest } from './types.js';

export function externalEventFrame(req: PublishRequest, names: Names, registry: Registry, io: ShardIo, maxPayloadBytes: number, seq: number, tick: number): Uint8Array {
  if (typeof req !== 'object' || req === null) throw new TickverseError(ErrorCode.INVALID_ARGUMENT, 'publish needs an object {type, data?, to? | selector?}');
  if (!isEventType(req.type)) throw new TickverseError(ErrorCode.INVALID_ARGUMENT, `event type must be 1-64 [A-Za-z0-9_.:/-]; received ${JSON.stringify(req.type)}`);
  if (req.to !== undefined && req.selector !== undefined) throw new TickverseError(ErrorCode.INVALID_ARGUMENT, 'publish takes `to` or `selector`, not both');
  let flags: number;
  let target: number;
  const typeHash = names.type(req.type);
  if (req.to !== undefined) {
    flags = TargetKind.UNICAST;
    target = registry.require(req.to).slot;
  } else if (req.selector !== undefined) {
    flags = TargetKind.SELECTOR;
    target = names.selector(toSelector(req.selector));
  } else {
    flags = TargetKind.BROADCAST;
    target = typeHash;
  }
  const payload = io.encodeBounded(FrameKind.EVENT, { type: req.type, data: req.data ?? null }, maxPayloadBytes);
  return buildFrame({ kind: FrameKind.EVENT, flags, shard: 0, source: EXTERNAL_SOURCE, target, seq, tick, aux: 0 }, payload);
}
