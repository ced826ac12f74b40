// @ts-nocheck
// Single-producer/single-consumer ring of length-prefixed frames in one SharedArrayBuffer.
// One FrameRing object per side: the producer's object caches what it last read of TAIL.
//
// Layout: [control: 256 bytes of Int32 slots (RingSlot)][data: capacity bytes].
// Positions are byte counters modulo 2 × capacity: `pos & (capacity - 1)` is the offset in
// the data region and `(head - tail) mod 2·capacity` the bytes in use, so a full ring and an
// empty one differ without a spare slot, and positions stay V8 small integers for rings up
// to 512 MiB (no boxed numbers in fields, however long the ring runs).
// A frame is an 8-byte prefix (u32 length, 4 spare bytes) then the payload, padded to 8
// bytes, and never split across the end: when the space left before the end is too small,
// the producer writes a WRAP marker there and the frame starts at offset 0. The 8-byte
// prefix keeps every payload 8-byte aligned (a Float64Array over it is legal).
//
// Memory order: the producer writes the frame bytes, then Atomics.store(HEAD) (release);
// the consumer Atomics.load(HEAD) (acquire), reads frames, then Atomics.store(TAIL).
// Only the producer writes HEAD, WRITTEN, OVERFLOWS, HIGH_WATER; only the consumer TAIL, READ.

/** Int32 slot indexes in the control area, one 64-byte cache line per writer and purpose:
 *  the consumer polls HEAD's line and the producer TAIL's, so nothing else is written there
 *  (a producer retrying on a full ring bumps OVERFLOWS without disturbing the consumer). */
export const RingSlot = {
  HEAD: 0, // producer: write position (published frames end here)
  WRITTEN: 1, // producer: frames committed (wraps at 2^32), written with HEAD
  TAIL: 16, // consumer: read position (space before it is free)
  READ: 17, // consumer: frames consumed (wraps at 2^32), written with TAIL
  OVERFLOWS: 32, // producer: failed reserve() calls (the frame was kept by the caller, not lost)
  HIGH_WATER: 33, // producer: max bytes in use seen at a reserve()
  CAPACITY: 34, // set once by create(): attach() checks it to refuse a foreign buffer
} as const;

const CONTROL_BYTES = 256;
const PREFIX = 8;
const WRAP = -1; // length prefix that means "skip to offset 0"
const MIN_CAPACITY = 1024;
const MAX_CAPACITY = 2 ** 30; // positions < 2^31 fit int32 arithmetic (and stay Smis up to 2^29)

export type FrameVisitor = (bytes: Uint8Array, offset: number, length: number) => void;

export class FrameRing {
  readonly sab: SharedArrayBuffer;
  readonly capacity: number;
  /** The data region: frames are read and written here in place. */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  private readonly ctl: Int32Array;
  /** The data region as int32: frame prefixes, and headers written a word at a time (always 8-aligned). */
  readonly words: Int32Array;
  private readonly mask: number; // offset = pos & mask
  private readonly posMask: number; // positions wrap at 2 × capacity
  private readonly maxLength: number;
  private readonly publishEvery: number;
  private pending = false; // a reserve() succeeded and awaits commit()
  private next = 0; // HEAD after the pending frame
  private unpublished = false; // frames committed with commitLazy() but HEAD not stored yet
  private localHead = 0; // HEAD as the producer has written it (ahead of the stored HEAD while unpublished)
  private highWaterSeen: number; // producer: HIGH_WATER as this object last saw it
  private tailSeen: number; // producer: TAIL as last read
  // Set by locate(): where the frame at the read position starts and how long it is.
  private frameAt = 0;
  private frameLength = 0;

  static create(capacityBytes: number): FrameRing {
    checkCapacity('capacityBytes', capacityBytes);
    const sab = new SharedArrayBuffer(CONTROL_BYTES + capacityBytes);
    new Int32Array(sab, 0, CONTROL_BYTES / 4)[RingSlot.CAPACITY] = capacityBytes;
    return new FrameRing(sab);
  }

  static attach(sab: SharedArrayBuffer): FrameRing {
    if (!(sab instanceof SharedArrayBuffer)) throw new TypeError(`FrameRing.attach needs a SharedArrayBuffer; received ${String(sab)}`);
    const capacity = sab.byteLength - CONTROL_BYTES;
    checkCapacity(`sab.byteLength - ${CONTROL_BYTES}`, capacity);
    const stored = Atomics.load(new Int32Array(sab, 0, CONTROL_BYTES / 4), RingSlot.CAPACITY);
    if (stored !== capacity) throw new RangeError(`FrameRing.attach: buffer is not a FrameRing (capacity slot ${stored}, expected ${capacity})`);
    return new FrameRing(sab);
  }

  private constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.capacity = sab.byteLength - CONTROL_BYTES;
    this.ctl = new Int32Array(sab, 0, CONTROL_BYTES / 4);
    this.bytes = new Uint8Array(sab, CONTROL_BYTES, this.capacity);
    this.view = new DataView(sab, CONTROL_BYTES, this.capacity);
    this.words = new Int32Array(sab, CONTROL_BYTES, this.capacity / 4);
    this.mask = this.capacity - 1;
    this.posMask = 2 * this.capacity - 1;
    // Half the ring: a frame then always fits once the consumer has caught up, wherever HEAD is.
    this.maxLength = this.capacity / 2 - PREFIX;
    // The consumer publishes TAIL once per drain, or sooner after freeing a quarter of the ring.
    this.publishEvery = this.capacity / 4;
    this.highWaterSeen = Atomics.load(this.ctl, RingSlot.HIGH_WATER);
    this.tailSeen = Atomics.load(this.ctl, RingSlot.TAIL);
  }

  /** Largest frame (payload bytes) that reserve() accepts. */
  maxFrame(): number {
    return this.maxLength;
  }

  // ---- producer ----

  /** Offset in `bytes`/`view` where exactly `length` bytes may be written, or -1 when the ring
   *  has no room now (counted in OVERFLOWS; the caller keeps the frame and retries). */
  reserve(length: number): number {
    if (length >>> 0 !== length || length > this.maxLength) {
      throw new RangeError(`FrameRing.reserve: length must be an integer in 0..${this.maxLength}; received ${length}`);
    }
    const ctl = this.ctl;
    const head = this.unpublished ? this.localHead : ctl[RingSlot.HEAD]!; // our own slot: a plain read is current
    const off = head & this.mask;
    const need = (length + PREFIX + 7) & ~7;
    const toEnd = this.capacity - off;
    const total = toEnd >= need ? need : toEnd + need; // a wrap also spends the tail end
    // The consumer's TAIL, as last read, can only be behind: `used` is an upper bound. Re-reading
    // TAIL only when that bound passes the high-water mark keeps the producer off the consumer's
    // cache line most of the time, and still records every new maximum exactly.
    let used = ((head - this.tailSeen) & this.posMask) + total;
    if (used > this.highWaterSeen) {
      this.tailSeen = Atomics.load(ctl, RingSlot.TAIL);
      used = ((head - this.tailSeen) & this.posMask) + total;
      if (used > this.capacity) {
        Atomics.add(ctl, RingSlot.OVERFLOWS, 1);
        return -1;
      }
      if (used > this.highWaterSeen) {
        this.highWaterSeen = used;
        Atomics.store(ctl, RingSlot.HIGH_WATER, used);
      }
    }
    let at = off;
    if (total !== need) {
      this.words[off >> 2] = WRAP;
      at = 0;
    }
    this.words[at >> 2] = length;
    this.next = (head + total) & this.posMask;
    this.pending = true;
    return at + PREFIX;
  }

  /** Publishes the frame reserved last (and any committed lazily before it). */
  commit(): void {
    if (!this.pending) throw new Error('FrameRing.commit: no frame reserved');
    this.pending = false;
    this.unpublished = false;
    const ctl = this.ctl;
    ctl[RingSlot.WRITTEN] = (ctl[RingSlot.WRITTEN]! + 1) | 0; // published by the HEAD store below
    Atomics.store(ctl, RingSlot.HEAD, this.next);
  }

  /** Commits the frame reserved last without publishing it: a batch of frames costs one
   *  release store (publish()) instead of one each. The consumer sees none of them until then. */
  commitLazy(): void {
    if (!this.pending) throw new Error('FrameRing.commitLazy: no frame reserved');
    this.pending = false;
    this.unpublished = true;
    this.localHead = this.next;
    this.ctl[RingSlot.WRITTEN] = (this.ctl[RingSlot.WRITTEN]! + 1) | 0;
  }

  /** Publishes what commitLazy() committed. */
  publish(): void {
    if (!this.unpublished) return;
    this.unpublished = false;
    Atomics.store(this.ctl, RingSlot.HEAD, this.localHead);
  }

  /** Copies `frame` in; false when the ring is full (counted in OVERFLOWS). */
  push(frame: Uint8Array): boolean {
    const at = this.reserve(frame.length);
    if (at < 0) return false;
    this.bytes.set(frame, at);
    this.commit();
    return true;
  }

  /** One frame made of `head` then `body`, written without concatenating them first. */
  pushParts(head: Uint8Array, body: Uint8Array): boolean {
    const at = this.reserve(head.length + body.length);
    if (at < 0) return false;
    this.bytes.set(head, at);
    this.bytes.set(body, at + head.length);
    this.commit();
    return true;
  }

  // ---- consumer ----

  /** Visits the frames available now, in order and in place (`bytes[offset..offset+length)`),
   *  up to `maxFrames`. A frame's space is freed only after its visit returns; if a visit
   *  throws, that frame counts as consumed (a poison frame is not retried) and the error propagates. */
  drain(visit: FrameVisitor, maxFrames = Infinity): number {
    const ctl = this.ctl;
    const head = Atomics.load(ctl, RingSlot.HEAD);
    let tail = ctl[RingSlot.TAIL]!;
    let published = tail;
    let n = 0;
    try {
      while (tail !== head && n < maxFrames) {
        tail = this.locate(tail, head);
        n++;
        visit(this.bytes, this.frameAt, this.frameLength);
        if (((tail - published) & this.posMask) >= this.publishEvery) {
          Atomics.store(ctl, RingSlot.TAIL, tail);
          published = tail;
        }
      }
    } finally {
      if (n > 0) {
        ctl[RingSlot.READ] = (ctl[RingSlot.READ]! + n) | 0; // published by the TAIL store
        if (tail !== published) Atomics.store(ctl, RingSlot.TAIL, tail);
      }
    }
    return n;
  }

  /** The next frame, copied out, or null when the ring is empty. */
  pop(): Uint8Array | null {
    const ctl = this.ctl;
    const tail = ctl[RingSlot.TAIL]!;
    const head = Atomics.load(ctl, RingSlot.HEAD);
    if (tail === head) return null;
    const next = this.locate(tail, head);
    const frame = this.bytes.slice(this.frameAt, this.frameAt + this.frameLength);
    ctl[RingSlot.READ] = (ctl[RingSlot.READ]! + 1) | 0;
    Atomics.store(ctl, RingSlot.TAIL, next);
    return frame;
  }

  // ---- either side ----

  /** Bytes in use, wrap padding included. TAIL is read first so a concurrent reader never sees
   *  the consumer ahead of the producer; the clamp covers both moving in between. */
  usedBytes(): number {
    const tail = Atomics.load(this.ctl, RingSlot.TAIL);
    return Math.min(this.capacity, (Atomics.load(this.ctl, RingSlot.HEAD) - tail) & this.posMask);
  }

  overflows(): number {
    return Atomics.load(this.ctl, RingSlot.OVERFLOWS) >>> 0;
  }

  highWater(): number {
    return Atomics.load(this.ctl, RingSlot.HIGH_WATER);
  }

  framesWritten(): number {
    return Atomics.load(this.ctl, RingSlot.WRITTEN) >>> 0;
  }

  framesRead(): number {
    return Atomics.load(this.ctl, RingSlot.READ) >>> 0;
  }

  /** Sets frameAt/frameLength for the frame at read position `tail` (before `head`); returns the
   *  position after it. A length that cannot be right means the buffer was written outside
   *  this protocol: throw rather than walk past HEAD forever. */
  private locate(tail: number, head: number): number {
    let off = tail & this.mask;
    let length = this.words[off >> 2]!;
    let end = tail;
    if (length === WRAP) {
      end = (tail + this.capacity - off) & this.posMask;
      off = 0;
      length = this.words[0]!;
    }
    end = (end + ((length + PREFIX + 7) & ~7)) & this.posMask;
    if (length >>> 0 > this.maxLength || ((end - tail) & this.posMask) > ((head - tail) & this.posMask)) {
      throw new Error(`FrameRing: corrupt frame at position ${tail} (length ${length}, head ${head})`);
    }
    this.frameAt = off + PREFIX;
    this.frameLength = length;
    return end;
  }
}

function checkCapacity(name: string, value: number): void {
  if (!Number.isInteger(value) || value < MIN_CAPACITY || value > MAX_CAPACITY || (value & (value - 1)) !== 0) {
    throw new RangeError(`${name} must be a power of two from ${MIN_CAPACITY} to ${MAX_CAPACITY}; received ${value}`);
  }
}
