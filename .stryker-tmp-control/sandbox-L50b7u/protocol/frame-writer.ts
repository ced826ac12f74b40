// @ts-nocheck
// Producer side of a ring with an ordered backlog: a full ring never drops a frame that
// must arrive; it waits in FIFO order and goes out first on the next flush. Lossy frames
// (state frames) are written now or counted as dropped, never queued.
import type { FrameRing } from './ring.js';
import { FrameHeader, patchHeader, writeHeader, writeHeaderWords, type FrameFields } from './frames.js';

// Int32 stores are in the platform's byte order; the header is little-endian.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export class FrameWriter {
  private readonly backlog: Uint8Array[] = [];
  /** Bytes waiting in the backlog, and the most that bounded frames may make it (sendPatched). */
  private backlogBytes = 0;
  backlogLimit = Number.POSITIVE_INFINITY;
  private head = 0;
  lossyDropped = 0;

  constructor(protected readonly ring: FrameRing) {}

  /** Frames this ring has published so far (wraps at 2^32). */
  framesWritten(): number {
    return this.ring.framesWritten();
  }

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
    this.keep(frame);
  }

  /** A complete frame (header included); must arrive, in order. The writer may keep the array. */
  sendFrame(frame: Uint8Array): void {
    if (frame.length > this.ring.maxFrame()) throw new RangeError(`frame of ${frame.length} bytes exceeds the ring's limit of ${this.ring.maxFrame()}`);
    if (this.backlogLength === 0 && this.ring.push(frame)) return;
    this.keep(frame);
  }

  /**
   * A copy of the frame `src[offset, offset+length)` with kind, flags, target and aux replaced,
   * written into the ring in place (the router's deliveries: no allocation unless the ring is full).
   * Visible to the consumer after publish() (or the next write that publishes).
   */
  sendPatched(src: Uint8Array, offset: number, length: number, kind: number, flags: number, target: number, aux: number, bounded = false): boolean {
    let bytes: Uint8Array;
    let at: number;
    const direct = this.backlogLength === 0 && length <= this.ring.maxFrame() && (at = this.ring.reserve(length)) >= 0;
    if (direct) bytes = this.ring.bytes;
    else {
      // The ring is full: a bounded frame beyond the backlog's limit is refused (the caller reports it).
      if (bounded && this.backlogBytes + length > this.backlogLimit) return false;
      if (length > this.ring.maxFrame()) throw new RangeError(`frame of ${length} bytes exceeds the ring's limit of ${this.ring.maxFrame()}`);
      bytes = new Uint8Array(length);
      at = 0;
    }
    bytes.set(src.subarray(offset, offset + length), at!);
    patchHeader(bytes, at!, kind, flags, target, aux);
    if (direct) this.ring.commitLazy();
    else this.keep(bytes);
    return true;
  }

  private keep(frame: Uint8Array): void {
    this.backlog.push(frame);
    this.backlogBytes += frame.length;
  }

  /** Makes what sendPatched() wrote visible to the consumer. */
  publish(): void {
    this.ring.publish();
  }

  /** Written now or dropped (counted). */
  sendLossy(fields: FrameFields, payload: Uint8Array): boolean {
    if (payload.length <= this.maxPayload && this.backlogLength === 0 && this.write(fields, payload)) return true;
    this.lossyDropped++;
    return false;
  }

  /** Writes as much backlog as fits; true when nothing is left waiting. */
  flush(): boolean {
    this.ring.publish();
    while (this.head < this.backlog.length) {
      const frame = this.backlog[this.head]!;
      if (!this.ring.push(frame)) break;
      this.backlogBytes -= frame.length;
      this.head++;
    }
    if (this.head === this.backlog.length) {
      this.backlogBytes = 0;
      this.backlog.length = 0;
      this.head = 0;
      return true;
    }
    return false;
  }

  protected write(fields: FrameFields, payload: Uint8Array): boolean {
    const at = this.ring.reserve(FrameHeader.SIZE + payload.length);
    if (at < 0) return false;
    if (LITTLE_ENDIAN) writeHeaderWords(this.ring.words, at, fields);
    else writeHeader(this.ring.view, at, fields);
    this.ring.bytes.set(payload, at + FrameHeader.SIZE);
    this.ring.commit();
    return true;
  }
}
