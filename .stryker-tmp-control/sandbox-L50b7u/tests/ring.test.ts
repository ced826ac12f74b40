// @ts-nocheck
// FrameRing: framing, wrap-around, overflow accounting, and a real producer thread against
// a consumer on this thread, both on seeded random schedules.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { FrameRing } from '../protocol/ring.js';

/** mulberry32, as in the producer fixture. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fnv1a(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** A frame whose bytes are derived from `id`, so any corruption or reordering shows. */
function frame(id: number, length: number): Uint8Array {
  const f = new Uint8Array(length);
  for (let i = 0; i < length; i++) f[i] = (id * 31 + i * 7) & 0xff;
  return f;
}

/** Bytes a frame of `length` occupies: 8-byte prefix, padded to 8. */
const footprint = (length: number): number => (length + 8 + 7) & ~7;

describe('FrameRing.create / attach', () => {
  it.each([0, 512, 1000, 1023, 1536, 1024.5, -1024, Number.NaN, 2 ** 31])('rejects capacity %s with a RangeError naming it', (value) => {
    expect(() => FrameRing.create(value)).toThrow(RangeError);
    expect(() => FrameRing.create(value)).toThrow(`received ${value}`);
  });

  it('derives the capacity from the buffer and shares frames with the attached side', () => {
    const producer = FrameRing.create(4096);
    const consumer = FrameRing.attach(producer.sab);
    expect(consumer.capacity).toBe(4096);
    expect(producer.bytes.byteLength).toBe(4096);
    expect(producer.bytes.byteOffset % 8).toBe(0);
    expect(producer.push(frame(1, 10))).toBe(true);
    expect(consumer.pop()).toEqual(frame(1, 10));
    expect(producer.usedBytes()).toBe(0);
  });

  it('refuses a buffer that is not a ring', () => {
    const control = FrameRing.create(1024).sab.byteLength - 1024;
    expect(() => FrameRing.attach(new SharedArrayBuffer(control + 4096))).toThrow(/not a FrameRing/);
    expect(() => FrameRing.attach(new SharedArrayBuffer(control + 1000))).toThrow(RangeError);
  });
});

describe('FrameRing producer/consumer', () => {
  it('pops frames in push order with their exact bytes, zero-length included', () => {
    const ring = FrameRing.create(1024);
    const sizes = [0, 1, 7, 8, 9, 64, 100, 0];
    sizes.forEach((n, i) => expect(ring.push(frame(i, n))).toBe(true));
    expect(ring.framesWritten()).toBe(sizes.length);
    sizes.forEach((n, i) => expect(ring.pop()).toEqual(frame(i, n)));
    expect(ring.pop()).toBeNull();
    expect(ring.usedBytes()).toBe(0);
    expect(ring.framesRead()).toBe(sizes.length);
  });

  it('drains in place, in order, 8-byte aligned, up to maxFrames', () => {
    const ring = FrameRing.create(1024);
    for (let i = 0; i < 5; i++) ring.pushParts(frame(i, 3), frame(i + 100, i * 5));
    const seen: number[][] = [];
    const visit = (bytes: Uint8Array, offset: number, length: number): void => {
      expect(bytes).toBe(ring.bytes); // zero-copy: the visitor gets the ring's own region
      expect(offset % 8).toBe(0);
      seen.push(Array.from(bytes.subarray(offset, offset + length)));
    };
    expect(ring.drain(visit, 2)).toBe(2);
    expect(ring.drain(visit)).toBe(3);
    expect(ring.drain(visit)).toBe(0);
    seen.forEach((got, i) => expect(got).toEqual([...frame(i, 3), ...frame(i + 100, i * 5)]));
  });

  it('reserve/commit writes in place; commit without a reservation throws', () => {
    const ring = FrameRing.create(1024);
    expect(() => ring.commit()).toThrow(/no frame reserved/);
    const at = ring.reserve(4);
    ring.view.setUint32(at, 0xdeadbeef, true);
    expect(ring.usedBytes()).toBe(0); // not published before commit
    ring.commit();
    expect(ring.usedBytes()).toBe(16);
    expect(Array.from(ring.pop() ?? [])).toEqual([0xef, 0xbe, 0xad, 0xde]);
  });

  it('a frame that ends exactly at the end of the region needs no wrap marker', () => {
    const ring = FrameRing.create(1024);
    expect(ring.push(frame(1, 504))).toBe(true); // 512 bytes: [0, 512)
    expect(ring.pop()).not.toBeNull();
    expect(ring.reserve(504)).toBe(512 + 8); // exact fit: [512, 1024)
    ring.commit();
    expect(ring.reserve(0)).toBe(8); // continues at 0
    ring.commit();
    expect(ring.usedBytes()).toBe(512 + 8);
  });

  it('fills to exactly the capacity and wraps a frame that does not fit before the end', () => {
    const ring = FrameRing.create(1024);
    for (let i = 0; i < 4; i++) expect(ring.push(frame(i, 248))).toBe(true); // 4 × 256 = 1024
    expect(ring.usedBytes()).toBe(1024);
    expect(ring.push(frame(9, 0))).toBe(false);
    expect(ring.pop()).toEqual(frame(0, 248));
    expect(ring.pop()).toEqual(frame(1, 248));
    expect(ring.push(frame(4, 100))).toBe(true); // [0, 112), head wrapped exactly
    ring.drain(() => undefined); // frames 2, 3 and 4
    // Head is at 112: fill up to 1008 so only 16 bytes remain before the end.
    expect(ring.push(frame(5, 440))).toBe(true); // [112, 560)
    expect(ring.push(frame(6, 440))).toBe(true); // [560, 1008)
    expect(ring.drain(() => undefined)).toBe(2);
    // 16 bytes before the end, the frame needs 24: marker at 1008, frame at 0, 16 bytes skipped.
    expect(ring.reserve(16)).toBe(8);
    ring.commit();
    expect(ring.usedBytes()).toBe(16 + 24);
    expect(ring.pop()?.length).toBe(16);
    expect(ring.usedBytes()).toBe(0);
  });

  it('a full ring returns -1/false and counts every failed attempt in OVERFLOWS', () => {
    const ring = FrameRing.create(1024);
    let pushed = 0;
    while (ring.push(frame(pushed, 56))) pushed++;
    expect(pushed).toBe(16); // 16 × 64 bytes
    expect(ring.overflows()).toBe(1);
    expect(ring.reserve(0)).toBe(-1);
    expect(ring.pushParts(frame(0, 1), frame(1, 1))).toBe(false);
    expect(ring.push(frame(0, 0))).toBe(false);
    expect(ring.overflows()).toBe(4);
    expect(ring.highWater()).toBe(1024);
    expect(ring.framesWritten()).toBe(16);
    for (let i = 0; i < pushed; i++) expect(ring.pop()).toEqual(frame(i, 56));
    expect(ring.pop()).toBeNull();
  });

  it('enforces maxFrame without counting it as an overflow', () => {
    const ring = FrameRing.create(2048);
    expect(ring.maxFrame()).toBe(1024 - 8);
    expect(() => ring.reserve(ring.maxFrame() + 1)).toThrow(RangeError);
    expect(() => ring.push(new Uint8Array(2000))).toThrow(/received 2000/);
    expect(() => ring.reserve(-1)).toThrow(RangeError);
    expect(() => ring.reserve(1.5)).toThrow(RangeError);
    expect(ring.overflows()).toBe(0);
    // A maxFrame frame fits into an empty ring wherever the head is.
    for (let step = 0; step < 40; step++) {
      expect(ring.push(frame(step, ring.maxFrame()))).toBe(true);
      expect(ring.pop()).toEqual(frame(step, ring.maxFrame()));
      expect(ring.push(frame(step, (step * 37) % 200))).toBe(true);
      expect(ring.pop()?.length).toBe((step * 37) % 200);
    }
  });

  it('a visitor that throws consumes its frame and the next drain resumes after it', () => {
    const ring = FrameRing.create(1024);
    for (let i = 0; i < 3; i++) ring.push(frame(i, 4));
    expect(() =>
      ring.drain((bytes, offset) => {
        if (bytes[offset] === frame(1, 4)[0]) throw new Error('poison');
      }),
    ).toThrow('poison');
    expect(ring.pop()).toEqual(frame(2, 4));
    expect(ring.framesRead()).toBe(3);
  });

  it('records the most bytes ever in use in HIGH_WATER', () => {
    const ring = FrameRing.create(1024);
    const consumer = FrameRing.attach(ring.sab);
    for (let i = 0; i < 3; i++) ring.push(frame(i, 56)); // 3 × 64
    expect(ring.highWater()).toBe(192);
    consumer.drain(() => undefined);
    for (let i = 0; i < 200; i++) {
      ring.push(frame(i, 56));
      consumer.pop();
    }
    expect(ring.highWater()).toBe(192);
    for (let i = 0; i < 5; i++) ring.push(frame(i, 100)); // 5 × 112, possibly plus a wrap
    expect(consumer.highWater()).toBe(ring.usedBytes());
    expect(ring.usedBytes()).toBeGreaterThanOrEqual(560);
  });

  it('keeps order and bytes across thousands of wraps with varied sizes (model check)', () => {
    const random = prng(7);
    const ring = FrameRing.create(1024);
    const model: Uint8Array[] = [];
    let modelBytes = 0;
    let id = 0;
    let fails = 0;
    let mismatches = 0;
    for (let round = 0; round < 50_000; round++) {
      if (random() < 0.55) {
        const f = frame(id, Math.floor(random() * random() * (ring.maxFrame() + 1)));
        if (ring.push(f)) {
          model.push(f);
          modelBytes += footprint(f.length);
          id++;
        } else fails++;
      } else {
        const got = ring.pop();
        const want = model.shift();
        if (want) modelBytes -= footprint(want.length);
        if (!sameBytes(got, want)) mismatches++;
      }
      // In use: the frames' own bytes plus at most one skipped tail end (< one frame).
      const used = ring.usedBytes();
      if (used < modelBytes || used > 1024 || used >= modelBytes + 512) mismatches++;
    }
    ring.drain((bytes, offset, length) => {
      if (!sameBytes(bytes.subarray(offset, offset + length), model.shift())) mismatches++;
    });
    expect(mismatches).toBe(0);
    expect(model).toHaveLength(0);
    expect(ring.overflows()).toBe(fails);
    expect(fails).toBeGreaterThan(100);
    expect(ring.usedBytes()).toBe(0);
    expect(ring.framesRead()).toBe(id);
  });
});

function sameBytes(a: Uint8Array | null, b: Uint8Array | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

describe('FrameRing across threads', () => {
  const fixture = new URL('./fixtures/ring-producer.mjs', import.meta.url);
  const compiled = new URL('../dist/protocol/ring.js', import.meta.url);

  it.each([
    { capacity: 4096, seed: 1 },
    { capacity: 65536, seed: 2 },
  ])('200k frames from a producer worker arrive in order and intact ($capacity-byte ring)', async ({ capacity, seed }) => {
    if (!existsSync(fileURLToPath(compiled))) throw new Error(`${fileURLToPath(compiled)} is missing: run \`npx tsc -p tsconfig.json\` first`);
    const total = 200_000;
    const ring = FrameRing.create(capacity);
    const worker = new Worker(fixture, { workerData: { sab: ring.sab, seed, frames: total } });
    let workerError: unknown = null;
    const report = new Promise<{ failed: number; written: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', (e) => reject((workerError = e)));
    });
    report.catch(() => undefined); // awaited below; the loop also checks workerError
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));

    const random = prng(seed + 1000);
    let expected = 0;
    let bad = 0;
    let sink = 0;
    const check = (bytes: Uint8Array, offset: number, length: number): void => {
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length);
      if (view.getUint32(0, true) !== expected || view.getUint32(4, true) !== fnv1a(bytes, offset + 8, offset + length)) bad++;
      expected++;
    };
    const deadline = performance.now() + 30_000;
    for (let round = 0; expected < total; round++) {
      const r = random();
      if (r < 0.1) {
        const f = ring.pop();
        if (f) check(f, 0, f.length);
      } else {
        ring.drain(check, 1 + Math.floor(random() * 200));
      }
      // Sometimes stall so the producer hits a full ring.
      if (random() < 0.05) for (let i = Math.floor(random() * 20_000); i > 0; i--) sink = (sink + i) | 0;
      if (round % 1024 === 0) {
        await new Promise<void>((resolve) => setImmediate(resolve)); // let 'error' events in; not a delay
        if (workerError) throw workerError;
        if (performance.now() > deadline) throw new Error(`consumer stalled at frame ${expected} of ${total} (sink ${sink})`);
      }
    }

    const { failed, written } = await report;
    expect(await exited).toBe(0);
    expect(bad).toBe(0);
    expect(written).toBe(total);
    expect(ring.framesWritten()).toBe(total);
    expect(ring.framesRead()).toBe(total);
    expect(ring.usedBytes()).toBe(0);
    expect(ring.overflows()).toBe(failed);
    expect(failed).toBeGreaterThan(0); // the schedule did exercise the full-ring path
    expect(ring.highWater()).toBeLessThanOrEqual(capacity);
  });
});
