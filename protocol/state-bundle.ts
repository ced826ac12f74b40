// One watched realm's state output for one tick, as a shard hands it to the engine: the
// encoded client frames of every stream that changed, each with the little it takes to
// route and cache it (cell, seq, keyframe flag) in a binary index, so the gateway publishes
// subarrays without reading MessagePack; plus where tracked player entities now stand.
//
// Layout (little-endian): f32 cell size (0 = whole-realm streams), u16 frames, u16 moves;
// per frame: u8 flags (1 = keyframe, 2 = cell stream), i16 cx, i16 cy, u32 seq, u32 length,
// then the bytes; per move: i16 hx, i16 hy (half cells), u16 id length, the id in UTF-8.
const HEAD = 8;
const FRAME_HEAD = 13;

export const BundleFlag = { KEY: 1, CELL: 2 } as const;

export interface BundleFrame {
  key: boolean;
  /** [cx, cy], or null for the whole-realm stream. */
  cell: [number, number] | null;
  seq: number;
  bytes: Uint8Array;
}

export interface BundleMove {
  id: string;
  /** Where the player's entity stands, in half cells (protocol/interest.ts). */
  half: [number, number];
}

export interface Bundle {
  cellSize: number;
  frames: BundleFrame[];
  moves: BundleMove[];
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export function writeBundle(b: Bundle): Uint8Array {
  const ids = b.moves.map((m) => utf8.encode(m.id));
  let size = HEAD;
  for (const f of b.frames) size += FRAME_HEAD + f.bytes.length;
  for (const id of ids) size += 6 + id.length;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setFloat32(0, b.cellSize, true);
  v.setUint16(4, b.frames.length, true);
  v.setUint16(6, b.moves.length, true);
  let at = HEAD;
  for (const f of b.frames) {
    v.setUint8(at, (f.key ? BundleFlag.KEY : 0) | (f.cell !== null ? BundleFlag.CELL : 0));
    v.setInt16(at + 1, f.cell?.[0] ?? 0, true);
    v.setInt16(at + 3, f.cell?.[1] ?? 0, true);
    v.setUint32(at + 5, f.seq, true);
    v.setUint32(at + 9, f.bytes.length, true);
    out.set(f.bytes, at + FRAME_HEAD);
    at += FRAME_HEAD + f.bytes.length;
  }
  b.moves.forEach((m, i) => {
    const id = ids[i]!;
    v.setInt16(at, m.half[0], true);
    v.setInt16(at + 2, m.half[1], true);
    v.setUint16(at + 4, id.length, true);
    out.set(id, at + 6);
    at += 6 + id.length;
  });
  return out;
}

/** Reads a bundle; frame bytes are views into `bytes`. Null if it is cut short or malformed. */
export function readBundle(bytes: Uint8Array): Bundle | null {
  if (bytes.length < HEAD) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cellSize = v.getFloat32(0, true);
  const nFrames = v.getUint16(4, true);
  const nMoves = v.getUint16(6, true);
  const frames: BundleFrame[] = [];
  const moves: BundleMove[] = [];
  let at = HEAD;
  for (let i = 0; i < nFrames; i++) {
    if (at + FRAME_HEAD > bytes.length) return null;
    const flags = v.getUint8(at);
    const len = v.getUint32(at + 9, true);
    if (at + FRAME_HEAD + len > bytes.length) return null;
    frames.push({
      key: (flags & BundleFlag.KEY) !== 0,
      cell: (flags & BundleFlag.CELL) !== 0 ? [v.getInt16(at + 1, true), v.getInt16(at + 3, true)] : null,
      seq: v.getUint32(at + 5, true),
      bytes: bytes.subarray(at + FRAME_HEAD, at + FRAME_HEAD + len),
    });
    at += FRAME_HEAD + len;
  }
  for (let i = 0; i < nMoves; i++) {
    if (at + 6 > bytes.length) return null;
    const len = v.getUint16(at + 4, true);
    if (at + 6 + len > bytes.length) return null;
    moves.push({ half: [v.getInt16(at, true), v.getInt16(at + 2, true)], id: fromUtf8.decode(bytes.subarray(at + 6, at + 6 + len)) });
    at += 6 + len;
  }
  return { cellSize, frames, moves };
}

/** Packs frames into as few bundles as keep each within `limit` bytes (moves go with the first). */
export function splitBundle(cellSize: number, frames: BundleFrame[], moves: BundleMove[], limit: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let batch: BundleFrame[] = [];
  let size = HEAD + moves.reduce((a, m) => a + 6 + utf8.encode(m.id).length, 0);
  let first = true;
  const flush = (): void => {
    out.push(writeBundle({ cellSize, frames: batch, moves: first ? moves : [] }));
    first = false;
    batch = [];
    size = HEAD;
  };
  for (const f of frames) {
    const need = FRAME_HEAD + f.bytes.length;
    if (batch.length > 0 && (size + need > limit || batch.length === 0xffff)) flush();
    batch.push(f);
    size += need;
  }
  if (batch.length > 0 || first) flush();
  return out;
}
