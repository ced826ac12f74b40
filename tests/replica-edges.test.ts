// The replica's less travelled paths: where tracked players stand (the gateway's default
// focus), kinds with a schema but no replicate(), the field limit of generic kinds, and the
// exact shape of deltas (empty parts left out, nothing for streams that did not change).
import { describe, expect, it } from 'vitest';
import { decode } from '../protocol/codec.js';
import type { StateFrameV2 } from '../protocol/state-wire.js';
import { MAX_FIELDS } from '../protocol/view-schema.js';
import { Replica } from '../workers/replica.js';

const schema = { fields: { x: { type: 'int' as const }, y: { type: 'int' as const } } };

function tick(rep: Replica, ents: [string, number, number][], t = 0): { frames: StateFrameV2[]; moves: { id: string; half: [number, number] }[] } {
  rep.begin();
  for (const [id, x, y] of ents) {
    const r = rep.row(id, 'k');
    rep.set(r, 0, x);
    rep.set(r, 1, y);
  }
  const out = rep.frames(t, 0);
  return { frames: out.frames.map((f) => decode<StateFrameV2>(f.bytes)), moves: out.moves };
}

describe('replica: tracked players', () => {
  it('reports a tracked player\'s half cell where it first stands, when it changes, after track() and after invalidate(), and not otherwise', () => {
    const rep = new Replica('w', schema, 10);
    rep.track('p');
    expect(tick(rep, [['p', 5, 5], ['npc', 5, 5]]).moves).toEqual([{ id: 'p', half: [1, 1] }]);
    expect(tick(rep, [['p', 6, 5], ['npc', 5, 5]]).moves).toEqual([]); // same half cell: nothing to say
    expect(tick(rep, [['p', 4, 5], ['npc', 5, 5]]).moves).toEqual([{ id: 'p', half: [0, 1] }]); // same cell, other half
    expect(tick(rep, [['p', 15, 25], ['npc', 35, 5]]).moves).toEqual([{ id: 'p', half: [3, 5] }]); // only players
    rep.track('p'); // already followed: no news
    expect(tick(rep, [['p', 15, 25]]).moves).toEqual([]);
    rep.invalidate();
    expect(tick(rep, [['p', 15, 25]]).moves).toEqual([{ id: 'p', half: [3, 5] }]);
    expect(tick(rep, [['p', 15, 25]]).moves).toEqual([]);
    // A player whose entity already stands somewhere is reported at once when it starts being followed.
    expect(tick(rep, [['p', 15, 25], ['q', -5, -15]]).moves).toEqual([]);
    rep.track('q');
    expect(tick(rep, [['p', 15, 25], ['q', -5, -15]]).moves).toEqual([{ id: 'q', half: [-1, -3] }]);
    // Gone and back: followed again only after its next input (track()).
    tick(rep, [['p', 15, 25]]);
    expect(tick(rep, [['p', 15, 25], ['q', 1, 1]]).moves).toEqual([]);
  });

  it('whole-realm streams report no players', () => {
    const rep = new Replica('w', schema, 0);
    rep.track('p');
    expect(tick(rep, [['p', 5, 5]]).moves).toEqual([]);
    expect(tick(rep, [['p', 500, 5]]).moves).toEqual([]);
  });

  it('follows at most 4,096 players', () => {
    const rep = new Replica('w', schema, 10);
    const ents: [string, number, number][] = [];
    for (let i = 0; i <= 4096; i++) {
      rep.track(`p${i}`);
      ents.push([`p${i}`, i, 0]);
    }
    const moves = tick(rep, ents).moves;
    expect(moves).toHaveLength(4096);
    expect(moves.some((m) => m.id === 'p4096')).toBe(false);
  });
});

describe('replica: fields', () => {
  it('a kind with a schema but no replicate() has its fields taken from view() by name (others ignored)', () => {
    const rep = new Replica('w', { fields: { x: { type: 'fixed', scale: 10 }, mood: { type: 'string' } } }, 0);
    rep.begin();
    rep.fillViews([{ id: 'a', kind: 'npc', x: 1.26, y: 7, mood: 'glad', extra: 'no' }]);
    const [f] = rep.frames(1, 0).frames.map((x) => decode<StateFrameV2>(x.bytes));
    expect(f).toMatchObject({ key: true, fields: ['x', 'mood'], scale: [10, 0], spawn: [0, 'a', 'npc', 13, 'glad'] });
    rep.begin();
    rep.fillViews([{ id: 'a', kind: 'npc', x: 1.26, y: 9, mood: 'sad' }]);
    expect(decode<StateFrameV2>(rep.frames(2, 0).frames[0]!.bytes).update).toEqual([0, 2, 'sad']);
  });

  it(`a generic kind keeps its first ${MAX_FIELDS} fields; more are not sent`, () => {
    const rep = new Replica('g', null, 0);
    const view: { id: string; kind: string; x: number; y: number; [k: string]: string | number } = { id: 'a', kind: 'k', x: 0, y: 0 };
    for (let i = 0; i < MAX_FIELDS + 3; i++) view[`f${i}`] = i;
    rep.begin();
    rep.fillViews([view]);
    const f = decode<StateFrameV2>(rep.frames(1, 0).frames[0]!.bytes);
    expect(f.fields).toHaveLength(MAX_FIELDS);
    expect(f.fields!.slice(0, 3)).toEqual(['x', 'y', 'f0']);
    expect(f.spawn).toHaveLength(3 + MAX_FIELDS);
  });

  it('a field absent from a generic view travels as nil, and an entity that gains a field gets it in an update', () => {
    const rep = new Replica('g', null, 0);
    rep.begin();
    rep.fillViews([{ id: 'a', kind: 'k', x: 1, y: 2, hp: 3 }, { id: 'b', kind: 'k', x: 1, y: 2 }]);
    expect(decode<StateFrameV2>(rep.frames(1, 0).frames[0]!.bytes).spawn).toEqual([0, 'a', 'k', 1, 2, 3, 1, 'b', 'k', 1, 2, null]);
    rep.begin();
    rep.fillViews([{ id: 'a', kind: 'k', x: 1, y: 2 }, { id: 'b', kind: 'k', x: 1, y: 2, hp: 9 }]);
    // a: hp (bit 2) now nil; b (handle 1, gap 1): hp 9.
    expect(decode<StateFrameV2>(rep.frames(2, 0).frames[0]!.bytes).update).toEqual([0, 4, null, 1, 4, 9]);
  });
});

describe('replica: frame shape', () => {
  it('a delta carries only its non-empty parts, and unchanged streams send nothing', () => {
    const rep = new Replica('w', schema, 10);
    tick(rep, [['a', 5, 5], ['b', 55, 55]]);
    // Nothing moved: no frames at all.
    expect(tick(rep, [['a', 5, 5], ['b', 55, 55]]).frames).toEqual([]);
    // Only a spawn in cell [0, 0]; cell [5, 5] is quiet.
    const spawnOnly = tick(rep, [['a', 5, 5], ['b', 55, 55], ['c', 6, 6]]).frames;
    expect(spawnOnly).toHaveLength(1);
    expect(spawnOnly[0]).toEqual({ op: 'state', realm: 'w', cell: [0, 0], seq: 1, tick: 0, at: 0, spawn: [2, 'c', 'k', 6, 6] });
    // Only a despawn.
    expect(tick(rep, [['a', 5, 5], ['b', 55, 55]]).frames).toEqual([{ op: 'state', realm: 'w', cell: [0, 0], seq: 2, tick: 0, at: 0, gone: [2] }]);
    // b crosses from [5, 5] to [0, 0]: gone there, spawned here, in one tick.
    const moved = tick(rep, [['a', 5, 5], ['b', 9, 9]]).frames;
    expect(moved).toContainEqual({ op: 'state', realm: 'w', cell: [5, 5], seq: 1, tick: 0, at: 0, gone: [1] });
    expect(moved).toContainEqual({ op: 'state', realm: 'w', cell: [0, 0], seq: 3, tick: 0, at: 0, spawn: [1, 'b', 'k', 9, 9] });
  });

  it('after invalidate() every stream keyframes — also one left empty — and no gone goes with a keyframe', () => {
    const rep = new Replica('w', schema, 10);
    tick(rep, [['a', 5, 5], ['b', 55, 55]]);
    rep.invalidate();
    const frames = tick(rep, [['a', 5, 5], ['b', 9, 9]]).frames;
    expect(frames).toHaveLength(2);
    for (const f of frames) {
      expect(f.key).toBe(true);
      expect(f.gone).toBeUndefined();
      expect(f.update).toBeUndefined();
    }
    expect(frames.find((f) => f.cell![0] === 5)!.spawn).toEqual([]);
    expect(frames.find((f) => f.cell![0] === 0)!.spawn).toEqual([0, 'a', 'k', 5, 5, 1, 'b', 'k', 9, 9]);
  });

  it('a kind change re-spawns the entity under its handle; a whole-realm stream has no cell', () => {
    const rep = new Replica('w', schema, 0);
    rep.begin();
    rep.set(rep.row('a', 'egg'), 0, 1);
    const first = decode<StateFrameV2>(rep.frames(0, 0).frames[0]!.bytes);
    expect(first.cell).toBeUndefined();
    rep.begin();
    rep.set(rep.row('a', 'bird'), 0, 1);
    expect(decode<StateFrameV2>(rep.frames(1, 0).frames[0]!.bytes)).toMatchObject({ spawn: [0, 'a', 'bird', 1, 0] });
    // A new entity's unset fields start at 0, not at what a former row held.
    rep.begin();
    rep.set(rep.row('b', 'k'), 1, 4);
    rep.set(rep.row('a', 'bird'), 0, 1);
    expect(decode<StateFrameV2>(rep.frames(2, 0).frames[0]!.bytes).spawn).toEqual([1, 'b', 'k', 0, 4]);
  });

  it('a freed handle is reused with fresh values', () => {
    const rep = new Replica('w', schema, 0);
    tick(rep, [['a', 7, 7], ['b', 1, 1]]);
    tick(rep, [['b', 1, 1]]);
    rep.begin();
    rep.set(rep.row('c', 'k'), 1, 2);
    rep.set(rep.row('b', 'k'), 0, 1);
    rep.set(rep.row('b', 'k'), 1, 1);
    expect(decode<StateFrameV2>(rep.frames(3, 0).frames[0]!.bytes).spawn).toEqual([0, 'c', 'k', 0, 2]);
  });

  it('grows past its first capacity and keeps every row', () => {
    const rep = new Replica('w', { fields: { x: { type: 'int' }, tag: { type: 'string' } } }, 0);
    rep.begin();
    for (let i = 0; i < 300; i++) {
      const r = rep.row(`e${i}`, 'k');
      rep.set(r, 0, i);
      rep.set(r, 1, `t${i}`);
    }
    const f = decode<StateFrameV2>(rep.frames(0, 0).frames[0]!.bytes);
    expect(f.spawn).toHaveLength(300 * 5);
    expect(f.spawn!.slice(299 * 5)).toEqual([299, 'e299', 'k', 299, 't299']);
    rep.begin();
    for (let i = 0; i < 300; i++) {
      const r = rep.row(`e${i}`, 'k');
      rep.set(r, 0, i);
      rep.set(r, 1, i === 250 ? 'changed' : `t${i}`);
    }
    expect(decode<StateFrameV2>(rep.frames(1, 0).frames[0]!.bytes).update).toEqual([250, 2, 'changed']);
  });
});
