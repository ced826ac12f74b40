// Payload codec inside the shards. Plain MessagePack maps, so state frames go to clients
// byte-for-byte and any MessagePack library can read them.
import { Packr } from 'msgpackr';

export const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

// msgpackr's native string extractor crashes the process on SharedArrayBuffer-backed input: decode a copy.
export function decode<T>(bytes: Uint8Array): T {
  return packr.unpack(bytes.buffer instanceof SharedArrayBuffer ? bytes.slice() : bytes) as T;
}
