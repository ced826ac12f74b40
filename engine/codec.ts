// Main-thread codec for the rare frames it builds or reads (commands, replies, stats).
// Plain maps: the same bytes a shard or a client could read.
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

export const encode = (value: unknown): Uint8Array => packr.pack(value);
// msgpackr's native string extractor crashes the process on SharedArrayBuffer-backed input: decode a copy.
export const decode = <T>(bytes: Uint8Array): T => packr.unpack(bytes.buffer instanceof SharedArrayBuffer ? bytes.slice() : bytes) as T;
