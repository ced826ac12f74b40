// @ts-nocheck
// Ring frame layout: a fixed 24-byte little-endian header followed by an opaque
// MessagePack payload. Routing reads only the header and copies bytes.
export const FrameHeader = {
  KIND: 0, // u8  FrameKind
  FLAGS: 1, // u8  target kind for events (TargetKind), else 0
  SHARD: 2, // u16 source shard
  SOURCE: 4, // u32 source realm slot (EXTERNAL_SOURCE for events injected by the engine API)
  TARGET: 8, // u32 realm slot, event-type hash or selector hash
  SEQ: 12, // u32 per-source sequence (or request id for commands/replies)
  TICK: 16, // u32 source local tick at emission
  AUX: 20, // u32 control tick at routing, or a kind-specific value
  SIZE: 24,
} as const;

export const FrameKind = {
  // worker → main (out-ring)
  EVENT: 1,
  SELECTOR_DEF: 2,
  SUBSCRIBE: 3,
  UNSUBSCRIBE: 4,
  TRANSFER: 5,
  STATE: 6,
  ROUND_END: 7,
  REPLY: 8,
  REALM_STATE: 9,
  HELLO: 10,
  TYPE_DEF: 11,
  /** A piece of a frame too large for one ring frame (see CHUNKED); TICK = stream id. */
  CHUNK_OUT: 12,
  // main → worker (in-ring)
  ADD_REALM: 20,
  REMOVE_REALM: 21,
  PAUSE: 22,
  RESUME: 23,
  KEYFRAME: 24,
  WATCH: 25,
  UNWATCH: 26,
  QUERY: 27,
  DIRECTORY: 28,
  DELIVER_EVENT: 29,
  DELIVER_TRANSFER: 30,
  INPUT: 31,
  TRANSFER_OUT: 32,
  DROP_ENTITY: 33,
  FAIL_REALM: 34,
  CHUNK_IN: 35,
} as const;

/** Flag bit on the last frame of a chunked body: its body is the CHUNK frames' pieces (same
 *  TICK) followed by its own. Snapshots and restores of any size travel this way. */
export const CHUNKED = 0x80;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Kinds a shard writes into its out-ring, and kinds the engine writes into an in-ring. */
export type OutKind = (typeof FrameKind)[
  'EVENT' | 'SELECTOR_DEF' | 'SUBSCRIBE' | 'UNSUBSCRIBE' | 'TRANSFER' | 'STATE' | 'ROUND_END' | 'REPLY' | 'REALM_STATE' | 'HELLO' | 'TYPE_DEF' | 'CHUNK_OUT'
];
export type InKind = Exclude<FrameKind, OutKind>;

/** For the `default:` branch of a switch over frame kinds: a kind left out fails to compile. */
export function unhandledKind(kind: never): never {
  throw new Error(`unhandled frame kind ${String(kind)}`);
}

export const TargetKind = { UNICAST: 1, BROADCAST: 2, SELECTOR: 3 } as const;
export type TargetKind = (typeof TargetKind)[keyof typeof TargetKind];

/** Source slot used for events published through the engine API rather than by a realm. */
export const EXTERNAL_SOURCE = 0xffffffff;

export interface FrameFields {
  kind: FrameKind;
  flags: number;
  shard: number;
  source: number;
  target: number;
  seq: number;
  tick: number;
  aux: number;
}

export function writeHeader(view: DataView, at: number, f: FrameFields): void {
  view.setUint8(at + FrameHeader.KIND, f.kind);
  view.setUint8(at + FrameHeader.FLAGS, f.flags);
  view.setUint16(at + FrameHeader.SHARD, f.shard, true);
  view.setUint32(at + FrameHeader.SOURCE, f.source >>> 0, true);
  view.setUint32(at + FrameHeader.TARGET, f.target >>> 0, true);
  view.setUint32(at + FrameHeader.SEQ, f.seq >>> 0, true);
  view.setUint32(at + FrameHeader.TICK, f.tick >>> 0, true);
  view.setUint32(at + FrameHeader.AUX, f.aux >>> 0, true);
}

/** Rewrites a copied frame's kind, flags, target and aux in place (a routed delivery): little-endian, byte by byte. */
export function patchHeader(bytes: Uint8Array, at: number, kind: number, flags: number, target: number, aux: number): void {
  bytes[at + FrameHeader.KIND] = kind;
  bytes[at + FrameHeader.FLAGS] = flags;
  const t = at + FrameHeader.TARGET;
  bytes[t] = target & 0xff;
  bytes[t + 1] = (target >>> 8) & 0xff;
  bytes[t + 2] = (target >>> 16) & 0xff;
  bytes[t + 3] = (target >>> 24) & 0xff;
  const a = at + FrameHeader.AUX;
  bytes[a] = aux & 0xff;
  bytes[a + 1] = (aux >>> 8) & 0xff;
  bytes[a + 2] = (aux >>> 16) & 0xff;
  bytes[a + 3] = (aux >>> 24) & 0xff;
}

/** The same header through the ring's Int32 view of its data (`at` is 8-aligned there): one store per word. */
export function writeHeaderWords(words: Int32Array, at: number, f: FrameFields): void {
  const w = at >> 2;
  words[w] = (f.kind & 0xff) | ((f.flags & 0xff) << 8) | ((f.shard & 0xffff) << 16); // little-endian, as FrameHeader lays it out
  words[w + 1] = f.source | 0;
  words[w + 2] = f.target | 0;
  words[w + 3] = f.seq | 0;
  words[w + 4] = f.tick | 0;
  words[w + 5] = f.aux | 0;
}

export function readHeader(view: DataView, at: number): FrameFields {
  return {
    kind: view.getUint8(at + FrameHeader.KIND) as FrameKind,
    flags: view.getUint8(at + FrameHeader.FLAGS),
    shard: view.getUint16(at + FrameHeader.SHARD, true),
    source: view.getUint32(at + FrameHeader.SOURCE, true),
    target: view.getUint32(at + FrameHeader.TARGET, true),
    seq: view.getUint32(at + FrameHeader.SEQ, true),
    tick: view.getUint32(at + FrameHeader.TICK, true),
    aux: view.getUint32(at + FrameHeader.AUX, true),
  };
}

/** FNV-1a 32-bit: stable ids for event types and selectors, same on every thread. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** FNV-1a over bytes, for state hashes. */
export function fnv1aBytes(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
