// The pieces of wire v2 one by one: schema checks and quantisation round trips, the shard →
// gateway bundle, the StateModel's stream rules, and the gateway's per-stream cache.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../protocol/codec.js';
import { readBundle, splitBundle, writeBundle, type BundleFrame } from '../protocol/state-bundle.js';
import { StateModel, pushSpawn, streamKey, type StateFrameV2 } from '../protocol/state-wire.js';
import { cellOf, compileSchema, dequantise, plainValue, quantise, realmCellSize, type FieldValue } from '../protocol/view-schema.js';
import { CellStream, stateTopic } from '../gateway/cell-stream.js';
import { Replica } from '../workers/replica.js';
import { encodeStateFrame } from '../protocol/state-encode.js';

describe('view schema', () => {
  it('lays out fields in declaration order with their scales', () => {
    const f = compileSchema({ fields: { x: { type: 'fixed', scale: 100 }, hp: { type: 'int', min: 0, max: 10 }, s: { type: 'string' }, b: { type: 'bool' }, r: { type: 'float' } } });
    expect(f.map((x) => [x.name, x.scale])).toEqual([['x', 100], ['hp', 1], ['s', 0], ['b', 0], ['r', 0]]);
  });

  it('refuses what the wire cannot carry', () => {
    const many = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`f${i}`, { type: 'int' as const }]));
    expect(() => compileSchema({ fields: many })).toThrow(/at most 31/);
    expect(compileSchema({ fields: Object.fromEntries(Object.entries(many).slice(0, 31)) })).toHaveLength(31);
    expect(() => compileSchema({ fields: { id: { type: 'int' } } })).toThrow(/reserved/);
    expect(() => compileSchema({ fields: { kind: { type: 'int' } } })).toThrow(/reserved/);
    expect(() => compileSchema({ fields: { x: { type: 'fixed', scale: 0.5 } } })).toThrow(/scale/);
    expect(() => compileSchema({ fields: { x: { type: 'fixed', scale: 0 } } })).toThrow(/scale/);
    expect(() => compileSchema({ fields: { x: { type: 'fixed', scale: 2_000_000 } } })).toThrow(/scale/);
    expect(compileSchema({ fields: { x: { type: 'fixed', scale: 1_000_000 } } })[0]!.scale).toBe(1_000_000);
    expect(() => compileSchema({ fields: { x: { type: 'vector' } as never } })).toThrow(/unknown type/);
    expect(() => compileSchema({ fields: {}, cell: 0 })).toThrow(/cell/);
    expect(() => compileSchema({ fields: {}, cell: -5 })).toThrow(/cell/);
  });

  it('quantises to within half a step, and integers survive exactly', () => {
    const [fixed, int] = compileSchema({ fields: { x: { type: 'fixed', scale: 100 }, n: { type: 'int', min: -5, max: 5 } } });
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (v) => {
        const q = quantise(fixed!, v);
        expect(Number.isInteger(q)).toBe(true);
        expect(Math.abs(dequantise(100, q) - v)).toBeLessThanOrEqual(0.005 + 1e-9);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 5 }), (v) => {
        expect(dequantise(1, quantise(int!, v))).toBe(v);
      }),
    );
    expect(quantise(int!, 99)).toBe(5);
    expect(quantise(int!, -99)).toBe(-5);
    expect(Object.is(quantise(fixed!, -0.001), 0)).toBe(true); // no -0 on the wire
    expect(quantise(fixed!, 'x')).toBe(0);
    expect(quantise(fixed!, Number.NaN)).toBe(0);
    expect(quantise(fixed!, Infinity)).toBe(0);
  });

  it('plain values pass as they are; anything else is nil', () => {
    expect([plainValue(1.5), plainValue('a'), plainValue(false), plainValue(null), plainValue({}), plainValue(undefined)]).toEqual([1.5, 'a', false, null, null, null]);
  });

  it('cells: floor of the position over the size, clamped to 16 bits; the registration overrides the kind', () => {
    expect([cellOf(0, 100), cellOf(99.9, 100), cellOf(100, 100), cellOf(-0.1, 100), cellOf(1e12, 1), cellOf(-1e12, 1), cellOf(Number.NaN, 1)]).toEqual([0, 0, 1, -1, 32767, -32768, 0]);
    expect(realmCellSize({ cell: 50 }, 10)).toBe(50);
    expect(realmCellSize({}, 10)).toBe(10);
    expect(realmCellSize({ cell: -1 }, undefined)).toBe(0);
    expect(realmCellSize({ cell: 'big' }, undefined)).toBe(0);
    expect(realmCellSize({ cell: Infinity }, 3)).toBe(3);
  });
});

describe('state frame encoder', () => {
  const value = fc.oneof(
    fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }),
    fc.integer({ min: -40, max: 200 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.maxSafeInteger(),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc.boolean(),
    fc.constant(null),
  );
  const frame = fc.record(
    {
      op: fc.constant('state' as const),
      realm: fc.string({ minLength: 1, maxLength: 64 }),
      cell: fc.tuple(fc.integer({ min: -32768, max: 32767 }), fc.integer({ min: -32768, max: 32767 })),
      seq: fc.nat({ max: 0xffffffff }),
      tick: fc.nat({ max: 0xffffffff }),
      at: fc.double({ min: 0, max: 2e12, noNaN: true }),
      key: fc.boolean(),
      fields: fc.array(fc.string({ maxLength: 20 }), { maxLength: 31 }),
      scale: fc.array(fc.nat({ max: 1_000_000 }), { maxLength: 31 }),
      spawn: fc.array(value, { maxLength: 70_000 / 1000 }),
      update: fc.array(value, { maxLength: 300 }),
      gone: fc.array(fc.nat({ max: 100_000 }), { maxLength: 20 }),
    },
    { requiredKeys: ['op', 'realm', 'seq', 'tick', 'at'] },
  );

  it('writes plain MessagePack that a general decoder reads back exactly', () => {
    fc.assert(
      fc.property(frame, (f) => {
        const back = decode<StateFrameV2>(encodeStateFrame(f as StateFrameV2));
        // -0 and 0 are one number on the wire.
        expect(back).toEqual(JSON.parse(JSON.stringify(f, (_k, v: unknown) => (Object.is(v, -0) ? 0 : v))));
      }),
      { numRuns: 300 },
    );
  });

  it('uses the smallest encodings, as the byte-level example in protocol.md shows', () => {
    const bytes = encodeStateFrame({ op: 'state', realm: 'tavern', seq: 1, tick: 421, at: 1795310039207, update: [1, 1, 5] });
    const hex = '86 a2 6f 70 a5 73 74 61 74 65 a5 72 65 61 6c 6d a6 74 61 76 65 72 6e a3 73 65 71 01 a4 74 69 63 6b cd 01 a5 a2 61 74 cb 42 7a 20 0d 13 0a 70 00 a6 75 70 64 61 74 65 93 01 01 05';
    expect(Buffer.from(bytes).toString('hex').replace(/(..)(?!$)/g, '$1 ')).toBe(hex);
    // The document shows these very bytes (over three lines).
    const doc = readFileSync(new URL('../docs/protocol.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    expect(doc).toContain(hex.slice(0, 3 * 28 - 1));
    expect(doc).toContain('a6 75 70 64 61 74 65 93 01 01 05');
    expect(bytes.length).toBe(59);
    // Large arrays and long strings take their 16/32-bit headers.
    const big = decode<StateFrameV2>(encodeStateFrame({ op: 'state', realm: 'r', seq: 0, tick: 0, at: 0, gone: Array.from({ length: 70_000 }, (_, i) => i) }));
    expect(big.gone).toHaveLength(70_000);
    expect(big.gone![69_999]).toBe(69_999);
  });
});

describe('state bundle', () => {
  const frame = fc.record({
    key: fc.boolean(),
    cell: fc.option(fc.tuple(fc.integer({ min: -32768, max: 32767 }), fc.integer({ min: -32768, max: 32767 })), { nil: null }),
    seq: fc.nat({ max: 0xffffffff }),
    bytes: fc.uint8Array({ maxLength: 64 }),
  });
  const move = fc.record({ id: fc.string({ maxLength: 20 }), half: fc.tuple(fc.integer({ min: -32768, max: 32767 }), fc.integer({ min: -32768, max: 32767 })) });

  it('reads back exactly what was written', () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 8 }), fc.array(move, { maxLength: 4 }), fc.constantFrom(0, 25, 100.5), (frames, moves, cellSize) => {
        const b = readBundle(writeBundle({ cellSize, frames, moves }))!;
        expect(b.cellSize).toBe(cellSize);
        expect(b.frames.map((f) => ({ ...f, bytes: [...f.bytes] }))).toEqual(frames.map((f) => ({ ...f, bytes: [...f.bytes] })));
        expect(b.moves).toEqual(moves);
      }),
    );
  });

  it('a cut or lying bundle reads as null, not as garbage', () => {
    const whole = writeBundle({ cellSize: 10, frames: [{ key: true, cell: [1, 2], seq: 3, bytes: new Uint8Array([1, 2, 3]) }], moves: [{ id: 'p', half: [1, 2] }] });
    for (let n = 0; n < whole.length; n++) expect(readBundle(whole.subarray(0, n)), `cut at ${n}`).toBeNull();
    expect(readBundle(whole)).not.toBeNull();
  });

  it('splits frames into bundles within a size limit; moves travel with the first', () => {
    const f = (n: number): BundleFrame => ({ key: false, cell: [n, 0], seq: n, bytes: new Uint8Array(100).fill(n) });
    const parts = splitBundle(5, [f(0), f(1), f(2), f(3)], [{ id: 'me', half: [0, 0] }], 200);
    expect(parts.length).toBe(4);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(200);
    const back = parts.map((p) => readBundle(p)!);
    expect(back.flatMap((b) => b.frames.map((x) => x.seq))).toEqual([0, 1, 2, 3]);
    expect(back[0]!.moves).toEqual([{ id: 'me', half: [0, 0] }]);
    expect(back.slice(1).every((b) => b.moves.length === 0)).toBe(true);
    expect(splitBundle(5, [f(0), f(1)], [], 1 << 20)).toHaveLength(1);
    // Moves alone still travel.
    expect(readBundle(splitBundle(5, [], [{ id: 'me', half: [3, 4] }], 1000)[0]!)!.moves).toEqual([{ id: 'me', half: [3, 4] }]);
  });
});

/** A keyframe of stream `cell` with fields x (scale 10) and tag (as is). */
const key = (seq: number, cell: [number, number] | undefined, ents: [number, string, number, FieldValue][]): StateFrameV2 => {
  const spawn: FieldValue[] = [];
  for (const [h, id, x, tag] of ents) pushSpawn(spawn, h, id, 'k', [x, tag], 2);
  return { op: 'state', realm: 'r', seq, tick: seq, at: seq, key: true, fields: ['x', 'tag'], scale: [10, 0], spawn, ...(cell ? { cell } : {}) };
};

describe('StateModel', () => {
  it('applies quantised differences and plain values, and shows scaled values', () => {
    const m = new StateModel();
    expect(m.apply(key(0, undefined, [[3, 'a', 15, 'red']]))).toBe('keyframe');
    expect(m.view(m.ents.get(3)!)).toEqual({ id: 'a', kind: 'k', x: 1.5, tag: 'red' });
    // handle 0 + 3, mask 0b11: x += 5, tag = 'blue'
    expect(m.apply({ op: 'state', realm: 'r', seq: 1, tick: 1, at: 1, update: [3, 3, 5, 'blue'] })).toBe('delta');
    expect(m.view(m.ents.get(3)!)).toEqual({ id: 'a', kind: 'k', x: 2, tag: 'blue' });
    expect(m.changed).toEqual([3]);
    // Only the tag (mask 0b10); a nil value leaves the field out of the view.
    m.apply({ op: 'state', realm: 'r', seq: 2, tick: 2, at: 2, update: [3, 2, null] });
    expect(m.view(m.ents.get(3)!)).toEqual({ id: 'a', kind: 'k', x: 2 });
  });

  it('update records walk handles by gaps', () => {
    const m = new StateModel();
    m.apply(key(0, undefined, [[1, 'a', 0, null], [4, 'b', 0, null], [9, 'c', 0, null]]));
    m.apply({ op: 'state', realm: 'r', seq: 1, tick: 1, at: 1, update: [1, 1, 10, 3, 1, 20, 5, 1, 30] });
    expect([...m.ents.values()].map((e) => m.value(e, 0))).toEqual([1, 2, 3]);
  });

  it('an update for a handle it does not hold is a gap, and the stream waits for its keyframe', () => {
    const m = new StateModel();
    m.apply(key(0, undefined, [[1, 'a', 0, null]]));
    expect(m.apply({ op: 'state', realm: 'r', seq: 1, tick: 1, at: 1, update: [7, 1, 10] })).toBe('gap');
    expect(m.apply({ op: 'state', realm: 'r', seq: 2, tick: 2, at: 2, update: [1, 1, 10] })).toBe('waiting');
    expect(m.ents.get(1)!.vals[0]).toBe(0); // what it showed stays until the keyframe replaces it
    expect(m.apply(key(3, undefined, [[1, 'a', 40, null]]))).toBe('keyframe');
    expect(m.ents.get(1)!.vals[0]).toBe(40);
  });

  it('streams are independent: a keyframe of one cell replaces only that cell, and gone is per stream', () => {
    const m = new StateModel();
    m.apply(key(0, [0, 0], [[1, 'a', 0, null], [2, 'b', 0, null]]));
    m.apply(key(5, [1, 0], [[3, 'c', 0, null]]));
    expect(m.ents.size).toBe(3);
    // b moves into cell [1, 0]: it arrives there first, then [0, 0]'s gone must not remove it.
    expect(m.apply({ op: 'state', realm: 'r', seq: 6, tick: 1, at: 1, cell: [1, 0], spawn: [2, 'b', 'k', 99, null] })).toBe('delta');
    expect(m.apply({ op: 'state', realm: 'r', seq: 1, tick: 1, at: 1, cell: [0, 0], gone: [2] })).toBe('delta');
    expect(m.ents.get(2)).toMatchObject({ id: 'b', cell: '1,0' });
    expect(m.apply(key(1, [0, 0], []))).toBe('keyframe'); // [0, 0] is now empty; a's gone
    expect([...m.ents.values()].map((e) => e.id).sort()).toEqual(['b', 'c']);
    expect(m.removed).toEqual(['a']);
    m.dropStream(streamKey([1, 0]));
    expect(m.ents.size).toBe(0);
    expect(m.streams.has('1,0')).toBe(false);
    expect(m.apply({ op: 'state', realm: 'r', seq: 7, tick: 1, at: 1, cell: [1, 0] })).toBe('waiting');
  });

  it('a handle re-spawned under another id replaces the old entity (and says so)', () => {
    const m = new StateModel();
    m.apply(key(0, undefined, [[1, 'a', 0, null]]));
    m.apply({ op: 'state', realm: 'r', seq: 1, tick: 1, at: 1, spawn: [1, 'z', 'k', 5, null] });
    expect(m.removed).toEqual(['a']);
    expect(m.ents.get(1)!.id).toBe('z');
  });

  it('stale and duplicate frames change nothing', () => {
    const m = new StateModel();
    m.apply(key(4, undefined, [[1, 'a', 0, null]]));
    expect(m.apply({ op: 'state', realm: 'r', seq: 4, tick: 1, at: 1, update: [1, 1, 10] })).toBe('stale');
    expect(m.apply({ op: 'state', realm: 'r', seq: 3, tick: 1, at: 1, update: [1, 1, 10] })).toBe('stale');
    expect(m.ents.get(1)!.vals[0]).toBe(0);
  });

  it("a stream's keyframe from the model is what a fresh client needs", () => {
    const m = new StateModel();
    expect(m.keyframe('r', '2,3')).toBeNull();
    m.apply(key(0, [2, 3], [[1, 'a', 15, 'x']]));
    m.apply({ op: 'state', realm: 'r', seq: 1, tick: 9, at: 90, cell: [2, 3], update: [1, 1, 5] });
    const k = m.keyframe('r', '2,3')!;
    expect(k).toMatchObject({ op: 'state', realm: 'r', cell: [2, 3], seq: 1, tick: 9, at: 90, key: true, fields: ['x', 'tag'], scale: [10, 0], spawn: [1, 'a', 'k', 20, 'x'] });
    const fresh = new StateModel();
    expect(fresh.apply(decode<StateFrameV2>(encode(k)))).toBe('keyframe');
    expect(fresh.view(fresh.ents.get(1)!)).toEqual({ id: 'a', kind: 'k', x: 2, tag: 'x' });
    expect(m.keyframe('r', '')).toBeNull();
  });
});

describe('gateway cell stream cache', () => {
  const rep = (): { next: () => BundleFrame[]; move: (x: number) => void } => {
    const r = new Replica('r', { fields: { x: { type: 'int' } } }, 0);
    let x = 0;
    return {
      move: (v) => (x = v),
      next: () => {
        r.begin();
        r.set(r.row('a', 'k'), 0, x);
        return r.frames(0, 0).frames;
      },
    };
  };

  it('keeps the keyframe and the deltas since; many deltas fold into one keyframe for a joiner', () => {
    const src = rep();
    const cs = new CellStream('r', '', 1 << 20);
    expect(cs.topic).toBe(stateTopic('r', ''));
    expect(stateTopic('r', '1,2')).toBe('state/r/1,2');
    expect(cs.started).toBe(false);
    expect(cs.picture()).toBeNull();
    for (let i = 0; i < 3; i++) {
      src.move(i);
      for (const f of src.next()) cs.take(f);
    }
    expect(cs.started).toBe(true);
    expect(cs.picture()).toHaveLength(3); // key + 2 deltas, as they are
    for (let i = 3; i < 8; i++) {
      src.move(i);
      for (const f of src.next()) cs.take(f);
    }
    const folded = cs.picture()!;
    expect(folded).toHaveLength(1);
    const m = new StateModel();
    expect(m.apply(decode<StateFrameV2>(folded[0]!))).toBe('keyframe');
    expect(m.value(m.ents.get(0)!, 0)).toBe(7);
    expect(m.streams.get('')!.seq).toBe(7);
  });

  it('names topics per stream; counts a stream started from its first frame; keeps copies, not views of the bundle', () => {
    expect(stateTopic('r', '')).toBe('state/r');
    const src = rep();
    const cs = new CellStream('r', '', 1 << 20);
    const [k] = src.next();
    cs.take(k!);
    expect(cs.started).toBe(true);
    const kept = [...cs.picture()![0]!];
    k!.bytes.fill(0); // the engine's bundle buffer is reused or dropped: the cache must not care
    expect([...cs.picture()![0]!]).toEqual(kept);
    src.move(1);
    const [d] = src.next();
    cs.take(d!);
    const keptDelta = [...cs.picture()![1]!];
    d!.bytes.fill(0);
    expect([...cs.picture()![1]!]).toEqual(keptDelta);
  });

  it('exactly 4 cached deltas are folded; 3 are sent as they are', () => {
    const src = rep();
    const cs = new CellStream('r', '', 1 << 20);
    for (let i = 0; i <= 3; i++) {
      src.move(i);
      for (const f of src.next()) cs.take(f);
    }
    expect(cs.picture()).toHaveLength(4);
    src.move(4);
    for (const f of src.next()) cs.take(f);
    expect(cs.picture()).toHaveLength(1);
  });

  it('the cache holds up to its limit exactly, counting every frame', () => {
    const src = rep();
    const probe = new CellStream('r', '', 1 << 20);
    const frames: BundleFrame[] = [];
    for (let i = 0; i < 4; i++) {
      src.move(i);
      frames.push(...src.next());
    }
    const total = frames.reduce((a, f) => a + f.bytes.length, 0);
    for (const f of frames) probe.take(f);
    expect(probe.picture()).toHaveLength(4);
    const exact = new CellStream('r', '', total);
    for (const f of frames) exact.take(f);
    expect(exact.picture()).toHaveLength(4);
    const short = new CellStream('r', '', total - 1);
    for (const f of frames) short.take(f);
    expect(short.picture()).toBeNull();
    expect(short.broken).toBe(false); // full, not broken: it waits for the next keyframe without asking
  });

  it('a gap upstream breaks the cache until the next keyframe; so does a full cache', () => {
    const src = rep();
    const cs = new CellStream('r', '', 1 << 20);
    for (const f of src.next()) cs.take(f);
    src.move(1);
    src.next(); // lost on the way
    src.move(2);
    for (const f of src.next()) cs.take(f);
    expect(cs.broken).toBe(true);
    expect(cs.picture()).toBeNull();
    const small = new CellStream('r', '', 40);
    const s2 = rep();
    for (const f of s2.next()) small.take(f);
    for (let i = 1; i < 10; i++) {
      s2.move(i);
      for (const f of s2.next()) small.take(f);
    }
    expect(small.broken).toBe(false);
    expect(small.picture()).toBeNull();
    expect(new CellStream('r', '', 0).picture()).toBeNull();
  });
});
