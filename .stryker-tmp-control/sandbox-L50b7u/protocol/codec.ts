// @ts-nocheck
// The one codec of the ring protocol, used by the engine and its shards alike: plain
// MessagePack maps (the bytes a client or any MessagePack library could read), one typed
// body per frame kind (shard-messages.ts).
import { Packr } from 'msgpackr';
import type { BodyKind, FramePayloads } from './shard-messages.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

// msgpackr's native string extractor crashes the process on SharedArrayBuffer-backed input: decode a copy.
export function decode<T>(bytes: Uint8Array): T {
  return packr.unpack(bytes.buffer instanceof SharedArrayBuffer ? bytes.slice() : bytes) as T;
}

/** A frame body of kind `K`; the kind is the type, so a wrong shape does not compile. */
export function encodeBody<K extends BodyKind>(_kind: K, body: FramePayloads[K]): Uint8Array {
  return packr.pack(body);
}

export function decodeBody<K extends BodyKind>(_kind: K, bytes: Uint8Array): FramePayloads[K] {
  return decode<FramePayloads[K]>(bytes);
}
