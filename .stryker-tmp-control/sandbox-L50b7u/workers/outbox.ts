// @ts-nocheck
// The shard's out-ring writer: the shared ordered-backlog writer plus the two things only
// a shard does — nudge the main thread to drain, and wait for room for its round-end frame.
import { FrameWriter } from '../protocol/frame-writer.js';
import type { FrameRing } from '../protocol/ring.js';
import type { FrameFields } from '../protocol/frames.js';
import { BarrierSlot } from '../protocol/barrier.js';

export class Outbox extends FrameWriter {
  constructor(
    ring: FrameRing,
    private readonly ints: Int32Array,
  ) {
    super(ring);
  }

  /** Writes a frame that must go out now: waits for the main thread to drain, nudging it. */
  sendNow(fields: FrameFields, payload: Uint8Array, stopped: () => boolean): void {
    while (!this.write(fields, payload)) {
      if (stopped()) return;
      this.nudge();
      Atomics.wait(this.ints, BarrierSlot.SLEEP, 0, 1);
    }
  }

  /** Wakes the main thread to drain the rings: WAKE changes first, so the wake-up cannot be lost. */
  nudge(): void {
    Atomics.add(this.ints, BarrierSlot.WAKE, 1);
    Atomics.notify(this.ints, BarrierSlot.WAKE);
  }
}
