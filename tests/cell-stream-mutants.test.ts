// The gateway's per-stream cache as a joiner meets it: whenever someone starts following a
// stream, the picture the cache offers plus the live frames after it must leave them with
// exactly what a client that followed from the start holds — and when the cache cannot give
// that (a gap upstream, caching off, a cache it cannot fold), it offers nothing and asks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CellStream } from '../gateway/cell-stream.js';
import { decode } from '../protocol/codec.js';
import type { BundleFrame } from '../protocol/state-bundle.js';
import { encodeStateFrame } from '../protocol/state-encode.js';
import { StateModel, type StateFrameV2 } from '../protocol/state-wire.js';
import { SeededRandom } from '../workers/random.js';
import { Replica } from '../workers/replica.js';

const schema = { fields: { x: { type: 'fixed' as const, scale: 10 }, hp: { type: 'int' as const }, tag: { type: 'string' as const } } };

/** A picture a client holds: id → the entity as shown. */
function shown(m: StateModel): Map<string, Record<string, unknown>> {
  return new Map([...m.ents.values()].map((e) => [e.id, m.view(e)]));
}

function applyAll(m: StateModel, frames: Uint8Array[]): void {
  for (const b of frames) m.apply(decode<StateFrameV2>(b));
}

/** A frame as a shard would hand it over, made directly (for upstreams the replica never produces). */
function frame(f: StateFrameV2): BundleFrame {
  return { key: f.key === true, cell: f.cell ?? null, seq: f.seq, bytes: encodeStateFrame(f).slice() };
}

const keyOf = (seq: number, spawn: (string | number)[]): BundleFrame =>
  frame({ op: 'state', realm: 'r', seq, tick: seq, at: 0, key: true, fields: ['x'], scale: [1], spawn });
const delta = (seq: number, update: number[]): BundleFrame => frame({ op: 'state', realm: 'r', seq, tick: seq, at: 0, update });

describe('cell stream: a joiner ends with what a follower from the start holds', () => {
  it('whenever it joins, with any cache limit, whatever the entities do', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.constantFrom(0, 60, 200, 1 << 20), (seed, limit) => {
        const rng = new SeededRandom(seed);
        const rep = new Replica('r', schema, 0);
        const cs = new CellStream('r', '', limit);
        const follower = new StateModel();
        const world = new Map<string, { x: number; hp: number; tag: string }>();
        let joiner: StateModel | null = null;
        let next = 0;
        for (let tick = 1; tick <= 60; tick++) {
          for (const [id, e] of world) {
            const p = rng.next();
            if (p < 0.05) world.delete(id);
            else if (p < 0.6) e.x += rng.next() * 4 - 2;
            else if (p < 0.7) e.hp += 1;
            else if (p < 0.75) e.tag = `t${tick}`;
          }
          if (rng.next() < 0.4) world.set(`e${next++}`, { x: rng.next() * 100, hp: 0, tag: 't' });
          rep.begin();
          for (const [id, e] of world) {
            const r = rep.row(id, 'k');
            rep.set(r, 0, e.x);
            rep.set(r, 1, e.hp);
            rep.set(r, 2, e.tag);
          }
          const frames = rep.frames(tick, 0).frames;
          for (const f of frames) {
            cs.take(f);
            follower.apply(decode<StateFrameV2>(f.bytes));
            if (joiner !== null) joiner.apply(decode<StateFrameV2>(f.bytes));
          }
          if (joiner === null && rng.next() < 0.15) {
            const pic = cs.picture();
            if (limit === 0) expect(pic).toBeNull();
            if (pic !== null) {
              joiner = new StateModel();
              applyAll(joiner, pic);
            }
          }
          if (joiner !== null) expect(shown(joiner)).toEqual(shown(follower));
          expect(cs.broken).toBe(false); // nothing was lost: nobody needs to ask for a keyframe
        }
      }),
      { numRuns: 30 },
    );
  });

  it('with caching off a joiner is never offered a picture, not even just after a keyframe', () => {
    const cs = new CellStream('r', '', 0);
    cs.take(keyOf(0, [0, 'a', 'k', 5]));
    expect(cs.started).toBe(true);
    expect(cs.picture()).toBeNull();
  });

  it('a gateway that attaches mid-stream (first frame a delta) is broken and asks; a fresh stream or one starting with a keyframe does not', () => {
    expect(new CellStream('r', '', 1 << 20).broken).toBe(false);
    const late = new CellStream('r', '', 1 << 20);
    late.take(delta(7, [0, 1, 1]));
    expect(late.broken).toBe(true);
    expect(late.picture()).toBeNull();
    late.take(keyOf(8, [0, 'a', 'k', 5]));
    expect(late.broken).toBe(false);
    const m = new StateModel();
    applyAll(m, late.picture()!);
    expect(shown(m)).toEqual(new Map([['a', { id: 'a', kind: 'k', x: 5 }]]));
    const fresh = new CellStream('r', '', 1 << 20);
    fresh.take(keyOf(0, [0, 'a', 'k', 5]));
    expect(fresh.broken).toBe(false);
  });

  it('cached deltas that do not fit the keyframe (an entity it lacks) offer no picture rather than a wrong one; the next keyframe heals it', () => {
    const cs = new CellStream('r', '', 1 << 20);
    cs.take(keyOf(0, [0, 'a', 'k', 5]));
    for (let seq = 1; seq <= 4; seq++) cs.take(delta(seq, [seq === 3 ? 9 : 0, 1, 1])); // handle 9 was never spawned
    expect(cs.picture()).toBeNull();
    cs.take(keyOf(5, [0, 'a', 'k', 9]));
    for (let seq = 6; seq <= 9; seq++) cs.take(delta(seq, [0, 1, 1]));
    const pic = cs.picture()!;
    expect(pic).toHaveLength(1); // folded
    const m = new StateModel();
    applyAll(m, pic);
    expect(shown(m)).toEqual(new Map([['a', { id: 'a', kind: 'k', x: 13 }]]));
    expect(m.streams.get('')!.seq).toBe(9);
  });
});
