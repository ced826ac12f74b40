// @ts-nocheck
// Bodies larger than one ring frame (a big realm's snapshot, its restore) are split into CHUNK
// frames and reassembled by the receiver: the last frame carries the real kind, the CHUNKED
// flag and the final piece; all share a stream id in TICK. Nothing here decodes a body.
import { CHUNKED } from './frames.js';

/** Cuts `body` into pieces of at most `max` bytes; calls `piece(bytes, last)` in order. */
export function splitBody(body: Uint8Array, max: number, piece: (bytes: Uint8Array, last: boolean) => void): void {
  if (max <= 0) throw new RangeError('splitBody: max must be positive');
  let at = 0;
  do {
    const end = Math.min(body.length, at + max);
    piece(body.subarray(at, end), end === body.length);
    at = end;
  } while (at < body.length);
}

/** Receiver side: pieces per stream until the last one arrives. */
export class ChunkAssembler {
  private readonly streams = new Map<number, Uint8Array[]>();

  /** A CHUNK frame's body (copied: the ring space is reused). */
  add(stream: number, body: Uint8Array): void {
    const list = this.streams.get(stream);
    if (list === undefined) this.streams.set(stream, [body.slice()]);
    else list.push(body.slice());
  }

  /** The whole body of a frame, given its flags: its own body, or the stream's pieces plus it. */
  complete(flags: number, stream: number, body: Uint8Array): Uint8Array {
    if ((flags & CHUNKED) === 0) return body;
    const list = this.streams.get(stream) ?? [];
    this.streams.delete(stream);
    let n = body.length;
    for (const p of list) n += p.length;
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of list) {
      out.set(p, at);
      at += p.length;
    }
    out.set(body, at);
    return out;
  }
}
