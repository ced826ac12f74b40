// @ts-nocheck
// Frames for each shard that must be written while the shards wait at the barrier (so a run
// is deterministic), in the order they were queued.
import { FrameHeader, writeHeader, type FrameFields } from '../protocol/frames.js';

export function buildFrame(fields: FrameFields, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(FrameHeader.SIZE + payload.length);
  writeHeader(new DataView(frame.buffer), 0, fields);
  frame.set(payload, FrameHeader.SIZE);
  return frame;
}

export class BarrierQueue {
  private readonly queues: Uint8Array[][];

  constructor(shards: number) {
    this.queues = Array.from({ length: shards }, () => []);
  }

  push(shard: number, frame: Uint8Array): void {
    this.queues[shard]!.push(frame);
  }

  /** Ahead of everything queued (the directory a barrier's commands rely on). */
  pushFirst(shard: number, frame: Uint8Array): void {
    this.queues[shard]!.unshift(frame);
  }

  /** Hands every queued frame of `shard` to `write`, in order, and empties the queue. */
  flush(shard: number, write: (frame: Uint8Array) => void): void {
    const q = this.queues[shard]!;
    for (const f of q) write(f);
    q.length = 0;
  }

  clear(shard: number): void {
    this.queues[shard]!.length = 0;
  }
}
