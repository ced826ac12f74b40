// The shard's replica as a client meets it, fast and in-process: whatever entities do, a client
// applying every frame holds exactly the quantised world; streams start with keyframes, keyframe
// periodically, report leavers and never resend what did not change. Plus the corners: empty
// realms, cells in one column, players not yet spawned, kind changes, field limits, capacity.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode } from '../protocol/codec.js';
import { StateModel, type StateFrameV2 } from '../protocol/state-wire.js';
import { compileSchema, dequantise, quantise, type ViewSchema } from '../protocol/view-schema.js';
import { SeededRandom } from '../workers/random.js';
import { KEYFRAME_EVERY, Replica } from '../workers/replica.js';

const schema: ViewSchema = {
  fields: { x: { type: 'fixed', scale: 10 }, y: { type: 'fixed', scale: 10 }, hp: { type: 'int', min: 0, max: 100 }, tag: { type: 'string' } },
};
const F = compileSchema(schema);

interface Ent {
  kind: string;
  x: number;
  y: number;
  hp: number;
  tag: string | undefined;
}

/** What a client should show: quantised fields as the wire carries them, unset fields absent. */
function expected(id: string, e: Ent): Record<string, unknown> {
  const out: Record<string, unknown> = { id, kind: e.kind, x: dequantise(10, quantise(F[0]!, e.x)), y: dequantise(10, quantise(F[1]!, e.y)), hp: quantise(F[2]!, e.hp) };
  if (e.tag !== undefined) out.tag = e.tag;
  return out;
}

function shown(m: StateModel): Map<string, Record<string, unknown>> {
  return new Map([...m.ents.values()].map((e) => [e.id, m.view(e)]));
}

/** One tick: the world written into the replica, its frames decoded. */
function step(rep: Replica, world: Map<string, Ent>, tick: number): StateFrameV2[] {
  rep.begin();
  for (const [id, e] of world) {
    const r = rep.row(id, e.kind);
    rep.set(r, 0, e.x);
    rep.set(r, 1, e.y);
    rep.set(r, 2, e.hp);
    if (e.tag !== undefined) rep.set(r, 3, e.tag);
  }
  return rep.frames(tick, 0).frames.map((f) => decode<StateFrameV2>(f.bytes));
}

/** Ticks of a seeded world against a client following every stream; checks the picture each tick. */
function run(seed: number, ticks: number, cellSize: number): void {
  const rng = new SeededRandom(seed);
  const rep = new Replica('w', schema, cellSize);
  const client = new StateModel();
  const world = new Map<string, Ent>();
  let next = 0;
  for (let tick = 1; tick <= ticks; tick++) {
    const quiet = rng.next() < 0.1;
    const before = new Map([...world].map(([id, e]) => [id, expected(id, e)]));
    if (!quiet) {
      for (const [id, e] of world) {
        const p = rng.next();
        if (p < 0.04) world.delete(id);
        else if (p < 0.5) {
          e.x += (rng.next() - 0.5) * 30;
          e.y += (rng.next() - 0.5) * 30;
        } else if (p < 0.6) e.hp += Math.floor(rng.next() * 60) - 30; // also beyond 0…100: clamped
        else if (p < 0.65) e.tag = `t${Math.floor(rng.next() * 3)}`;
        else if (p < 0.67) e.kind = e.kind === 'npc' ? 'boss' : 'npc';
      }
      const spawns = Math.floor(rng.next() * 4);
      for (let i = 0; i < spawns && world.size < 120; i++) {
        world.set(`e${next++}`, { kind: 'npc', x: rng.next() * 200 - 100, y: rng.next() * 200 - 100, hp: 50, tag: rng.next() < 0.5 ? undefined : 'new' });
      }
    }
    const frames = step(rep, world, tick);
    const removed: string[] = [];
    for (const f of frames) {
      expect(client.apply(f)).not.toMatch(/gap|waiting|stale/);
      removed.push(...client.removed);
    }
    const want = new Map([...world].map(([id, e]) => [id, expected(id, e)]));
    expect(shown(client)).toEqual(want);
    // Leavers are reported as removed (and only they: a move between cells is not a leave).
    expect(new Set(removed.filter((id) => !world.has(id)))).toEqual(new Set([...before.keys()].filter((id) => !world.has(id))));
    // Nothing changed: nothing travels but periodic keyframes.
    if (quiet) for (const f of frames) expect(f.key).toBe(true);
    // Deltas carry only entities that changed.
    for (const f of frames) {
      if (f.key === true || f.update === undefined) continue;
      let h = 0;
      for (let i = 0; i < f.update.length; ) {
        h += f.update[i++] as number;
        let mask = f.update[i++] as number;
        for (; mask !== 0; mask >>>= 1) if ((mask & 1) !== 0) i++;
        const id = client.ents.get(h)!.id;
        expect(want.get(id)).not.toEqual(before.get(id));
      }
    }
  }
}

describe('replica: a client applying every frame holds the quantised world', () => {
  it('with area-of-interest cells (entities cross cells, clamp, change kind, come and go, quiet ticks)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => run(seed, 120, 25)), { numRuns: 6 });
  });

  it('with one whole-realm stream', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => run(seed, 120, 0)), { numRuns: 4 });
  });
});

describe('replica: streams', () => {
  it('an empty realm sends its empty keyframe at once, so a watcher knows it is empty', () => {
    const rep = new Replica('w', schema, 0);
    const frames = step(rep, new Map(), 1);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ key: true, seq: 0, fields: ['x', 'y', 'hp', 'tag'], spawn: [] });
    expect(new StateModel().apply(frames[0]!)).toBe('keyframe');
  });

  it("a cell's first frame is a keyframe a fresh client can start from, also for a cell first entered later", () => {
    const rep = new Replica('w', schema, 10);
    const world = new Map<string, Ent>([['a', { kind: 'npc', x: 5, y: 5, hp: 1, tag: 'a' }]]);
    step(rep, world, 1);
    world.set('b', { kind: 'npc', x: 75, y: 5, hp: 2, tag: 'b' });
    const [f] = step(rep, world, 2);
    expect(f).toMatchObject({ cell: [7, 0], seq: 0, key: true, fields: ['x', 'y', 'hp', 'tag'], scale: [10, 10, 1, 0] });
    const fresh = new StateModel();
    expect(fresh.apply(f!)).toBe('keyframe');
    expect(shown(fresh)).toEqual(new Map([['b', expected('b', world.get('b')!)]]));
  });

  it('cells in the same column or row are separate streams', () => {
    const rep = new Replica('w', schema, 10);
    const at = (x: number, y: number): Ent => ({ kind: 'npc', x, y, hp: 0, tag: undefined });
    const frames = step(rep, new Map([['a', at(5, 5)], ['b', at(5, 55)], ['c', at(55, 5)]]), 1);
    expect(frames.map((f) => f.cell).sort()).toEqual([[0, 0], [0, 5], [5, 0]]);
    for (const f of frames) expect(f.spawn).toHaveLength(3 + 4);
  });

  it('every stream keyframes after each KEYFRAME_EVERY of its own deltas, and a late joiner can start from one', () => {
    const rep = new Replica('w', schema, 10);
    const world = new Map<string, Ent>([['a', { kind: 'npc', x: 1, y: 1, hp: 0, tag: 'a' }], ['b', { kind: 'npc', x: 55, y: 1, hp: 0, tag: 'b' }]]);
    const keys: number[] = [];
    let late: StateModel | null = null;
    for (let tick = 1; tick <= 2 * (KEYFRAME_EVERY + 1) + 1; tick++) {
      world.get('a')!.x = 1 + (tick % 5) / 10; // a's cell changes every tick; b's only every other tick
      if (tick % 2 === 0) world.get('b')!.x = 55 + (tick % 4) / 10;
      for (const f of step(rep, world, tick)) {
        if (f.cell![0] === 0) {
          if (f.key === true) keys.push(f.seq);
          if (late === null && f.key === true && f.seq > 0) late = new StateModel();
          if (late !== null) expect(late.apply(f)).not.toMatch(/gap|waiting/);
        }
      }
    }
    expect(keys).toEqual([0, KEYFRAME_EVERY + 1, 2 * (KEYFRAME_EVERY + 1)]); // KEYFRAME_EVERY deltas between keyframes
    expect(shown(late!).get('a')).toEqual(expected('a', world.get('a')!));
  });

  it('a kind change inside a cell re-spawns the entity in place: no gone, nobody told it left', () => {
    const rep = new Replica('w', schema, 10);
    const client = new StateModel();
    const world = new Map<string, Ent>([['a', { kind: 'egg', x: 5, y: 5, hp: 0, tag: 'a' }], ['b', { kind: 'npc', x: 6, y: 6, hp: 0, tag: 'b' }]]);
    for (const f of step(rep, world, 1)) client.apply(f);
    world.get('a')!.kind = 'bird';
    const frames = step(rep, world, 2);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.gone).toBeUndefined();
    expect(client.apply(frames[0]!)).toBe('delta');
    expect(client.removed).toEqual([]);
    expect(shown(client).get('a')).toMatchObject({ kind: 'bird' });
  });
});

describe('replica: tracked players and positions', () => {
  const rowAt = (rep: Replica, id: string, x: number, y: number): void => {
    const r = rep.row(id, 'k');
    rep.set(r, 0, x);
    rep.set(r, 1, y);
  };

  it('a player moving only up or down is reported as it crosses half cells', () => {
    const rep = new Replica('w', schema, 10);
    rep.track('p');
    const moves: unknown[] = [];
    for (const y of [2, 7, 12]) {
      rep.begin();
      rowAt(rep, 'p', 2, y);
      moves.push(...rep.frames(0, 0).moves);
    }
    expect(moves).toEqual([{ id: 'p', half: [0, 0] }, { id: 'p', half: [0, 1] }, { id: 'p', half: [0, 2] }]);
  });

  it('a player followed before its entity exists is reported only once it appears, where it stands', () => {
    const rep = new Replica('w', schema, 10);
    rep.track('p');
    rep.begin();
    rowAt(rep, 'n', 2, 2);
    expect(rep.frames(0, 0).moves).toEqual([]);
    rep.begin();
    rowAt(rep, 'n', 2, 2);
    rowAt(rep, 'p', 27, 33);
    expect(rep.frames(1, 0).moves).toEqual([{ id: 'p', half: [5, 6] }]);
  });

  it('positions count by their value: fixed-point by what they stand for, generic views by their numbers', () => {
    const fixed = new Replica('w', { fields: { x: { type: 'fixed', scale: 100 }, y: { type: 'fixed', scale: 100 } } }, 10);
    fixed.begin();
    rowAt(fixed, 'a', 25.5, 37.25);
    expect(decode<StateFrameV2>(fixed.frames(0, 0).frames[0]!.bytes).cell).toEqual([2, 3]);
    const generic = new Replica('w', null, 10);
    generic.begin();
    generic.fillViews([{ id: 'a', kind: 'k', x: 25, y: 37 }, { id: 'b', kind: 'k', x: -25, y: 5 }]);
    expect(generic.frames(0, 0).frames.map((f) => decode<StateFrameV2>(f.bytes).cell).sort()).toEqual([[-3, 0], [2, 3]]);
  });

  it('a realm with cells whose kind has no x or y keeps everyone in cell [0, 0]', () => {
    const rep = new Replica('w', { fields: { hp: { type: 'int' } } }, 10);
    rep.track('p');
    rep.begin();
    rep.set(rep.row('p', 'k'), 0, 5);
    rep.set(rep.row('q', 'k'), 0, 6);
    const out = rep.frames(0, 0);
    expect(out.frames.map((f) => decode<StateFrameV2>(f.bytes))).toMatchObject([{ cell: [0, 0], key: true, spawn: [0, 'p', 'k', 5, 1, 'q', 'k', 6] }]);
    expect(out.moves).toEqual([{ id: 'p', half: [0, 0] }]);
  });
});

describe('replica: fields and handles', () => {
  it('int fields are rounded, and clamped to their bounds on the wire', () => {
    const rep = new Replica('w', { fields: { n: { type: 'int' }, lo: { type: 'int', min: 0 }, hi: { type: 'int', max: 10 } } }, 0);
    const client = new StateModel();
    const send = (vals: number[]): void => {
      rep.begin();
      const r = rep.row('a', 'k');
      vals.forEach((v, f) => rep.set(r, f, v));
      for (const f of rep.frames(0, 0).frames) client.apply(decode<StateFrameV2>(f.bytes));
    };
    send([2.6, -5, 50]);
    expect(shown(client).get('a')).toEqual({ id: 'a', kind: 'k', n: 3, lo: 0, hi: 10 });
    send([-7.2, 4, -3]);
    expect(shown(client).get('a')).toEqual({ id: 'a', kind: 'k', n: -7, lo: 4, hi: -3 });
    send([-7.2, -1, 11]);
    expect(shown(client).get('a')).toEqual({ id: 'a', kind: 'k', n: -7, lo: 0, hi: 10 });
  });

  it('a field number beyond the schema is ignored: nothing breaks, nothing extra travels', () => {
    const rep = new Replica('w', { fields: { x: { type: 'int' } } }, 0);
    rep.begin();
    const r = rep.row('a', 'k');
    rep.set(r, 0, 1);
    rep.set(r, 5, 99);
    expect(decode<StateFrameV2>(rep.frames(0, 0).frames[0]!.bytes).spawn).toEqual([0, 'a', 'k', 1]);
  });

  it('a generic kind past the field limit keeps its earlier fields as they are', () => {
    const rep = new Replica('g', null, 0);
    const client = new StateModel();
    const view: { id: string; kind: string; x: number; y: number; [k: string]: string | number } = { id: 'a', kind: 'k', x: 1, y: 2 };
    for (let i = 0; i < 40; i++) view[`f${i}`] = 100 + i;
    rep.begin();
    rep.fillViews([view]);
    for (const f of rep.frames(0, 0).frames) client.apply(decode<StateFrameV2>(f.bytes));
    const got = shown(client).get('a')!;
    expect(got).toMatchObject({ x: 1, y: 2, f0: 100, f28: 128 });
    expect(got.f29).toBeUndefined();
  });

  it('an unset string field of a new entity arrives as nothing, not as 0, also in a reused handle', () => {
    const rep = new Replica('w', schema, 0);
    const client = new StateModel();
    const world = new Map<string, Ent>([['a', { kind: 'npc', x: 1, y: 1, hp: 1, tag: 'old' }]]);
    for (const f of step(rep, world, 1)) client.apply(f);
    world.delete('a');
    world.set('b', { kind: 'npc', x: 1, y: 1, hp: 1, tag: undefined });
    for (const f of step(rep, world, 2)) client.apply(f);
    expect(shown(client)).toEqual(new Map([['b', { id: 'b', kind: 'npc', x: 1, y: 1, hp: 1 }]]));
  });

  it('filling the first 64 handles exactly and then spawning one more: every entity arrives', () => {
    const rep = new Replica('w', schema, 0);
    const client = new StateModel();
    const world = new Map<string, Ent>();
    for (let i = 0; i < 64; i++) world.set(`e${i}`, { kind: 'npc', x: i, y: 0, hp: 0, tag: undefined });
    for (const f of step(rep, world, 1)) client.apply(f);
    world.set('late', { kind: 'npc', x: 1, y: 2, hp: 3, tag: 'late' });
    for (const f of step(rep, world, 2)) client.apply(f);
    expect(shown(client)).toEqual(new Map([...world].map(([id, e]) => [id, expected(id, e)])));
  });

  it('handles freed by despawns go to one new entity each, also after quiet ticks', () => {
    const rep = new Replica('w', schema, 0);
    const client = new StateModel();
    const e = (x: number): Ent => ({ kind: 'npc', x, y: 0, hp: 0, tag: undefined });
    const world = new Map<string, Ent>([['a', e(1)], ['b', e(2)]]);
    for (let tick = 1; tick <= 6; tick++) {
      if (tick === 2) world.delete('a');
      if (tick === 5) world.set('c', e(3)).set('d', e(4));
      for (const f of step(rep, world, tick)) client.apply(f);
    }
    expect(shown(client)).toEqual(new Map([...world].map(([id, x]) => [id, expected(id, x)])));
    expect(new Set([...client.ents.keys()]).size).toBe(3);
  });
});
