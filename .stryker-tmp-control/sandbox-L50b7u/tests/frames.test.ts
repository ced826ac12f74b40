// @ts-nocheck
// The ring header written a word at a time is the documented little-endian layout, byte for byte.
import { describe, expect, it } from 'vitest';
import { FrameKind, readHeader, writeHeader, writeHeaderWords, type FrameFields } from '../protocol/frames.js';

/** A deterministic spread of field values, edges included (no Math.random in tests either). */
function* cases(): Generator<FrameFields> {
  const u32 = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 123456789];
  let i = 0;
  for (const a of u32) {
    for (const b of u32) {
      i++;
      yield { kind: (i % 35) + 1 as FrameFields['kind'], flags: (i * 37) & 0xff, shard: (i * 4099) & 0xffff, source: a, target: b, seq: (a ^ b) >>> 0, tick: (a + i) >>> 0, aux: (b * 3 + i) >>> 0 };
    }
  }
}

describe('frame header', () => {
  it('writeHeaderWords writes the same bytes as writeHeader, and readHeader reads them back', () => {
    for (const f of cases()) {
      const a = new ArrayBuffer(64);
      const b = new ArrayBuffer(64);
      writeHeader(new DataView(a), 8, f);
      writeHeaderWords(new Int32Array(b), 8, f);
      expect(new Uint8Array(b)).toEqual(new Uint8Array(a));
      expect(readHeader(new DataView(b), 8)).toEqual({ ...f, kind: f.kind });
    }
    expect(FrameKind.EVENT).toBe(1);
  });
});
