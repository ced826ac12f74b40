// Producer side of a ring with an ordered backlog: a full ring never drops a frame that
// must arrive; it waits in FIFO order and goes out first on the next flush. Lossy frames
// (state frames) are written now or counted as dropped, never queued.
import type { FrameRing } from './ring.js';
import { FrameHeader, writeHeader, type FrameFields } from './frames.js';

export class FrameWriter {
  private readonly backlog: Uint8Array[] = [];
  private head = 0;
  lossyDropped = 0;

  constructor(protected readonly ring: FrameRing) {}

  get backlogLength(): number {
    return this.backlog.length - this.head;
  }

  /** Largest payload one frame can carry in this ring. */
  get maxPayload(): number {
    return this.ring.maxFrame() - FrameHeader.SIZE;
  }

  /** A frame built from header fields and a payload; must arrive, in order. Throws RangeError if it can never fit. */
  send(fields: FrameFields, payload: Uint8Array): void {
    if (payload.length > this.maxPayload) {
      throw new RangeError(`frame payload of ${payload.length} bytes exceeds the ring's limit of ${this.maxPayload}`);
    }
    if (this.backlogLength === 0 && this.write(fields, payload)) return;
    const frame = new Uint8Array(FrameHeader.SIZE + payload.length);
    writeHeader(new DataView(frame.buffer), 0, fields);
    frame.set(payload, FrameHeader.SIZE);
    this.backlog.push(frame);
  }

  /** A complete frame (header included); must arrive, in order. The writer may keep the array. */
  sendFrame(frame: Uint8Array): void {
    if (frame.length > this.ring.maxFrame()) throw new RangeError(`frame of ${frame.length} bytes exceeds the ring's limit of ${this.ring.maxFrame()}`);
    if (this.backlogLength === 0 && this.ring.push(frame)) return;
    this.backlog.push(frame);
  }

  /** Written now or dropped (counted). */
  sendLossy(fields: FrameFields, payload: Uint8Array): boolean {
    if (payload.length <= this.maxPayload && this.backlogLength === 0 && this.write(fields, payload)) return true;
    this.lossyDropped++;
    return false;
  }

  /** Writes as much backlog as fits; true when nothing is left waiting. */
  flush(): boolean {
    while (this.head < this.backlog.length) {
      if (!this.ring.push(this.backlog[this.head]!)) break;
      this.head++;
    }
    if (this.head === this.backlog.length) {
      this.backlog.length = 0;
      this.head = 0;
      return true;
    }
    return false;
  }

  protected write(fields: FrameFields, payload: Uint8Array): boolean {
    const at = this.ring.reserve(FrameHeader.SIZE + payload.length);
    if (at < 0) return false;
    writeHeader(this.ring.view, at, fields);
    this.ring.bytes.set(payload, at + FrameHeader.SIZE);
    this.ring.commit();
    return true;
  }
}
