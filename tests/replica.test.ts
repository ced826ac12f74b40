// Wire v2 end to end without sockets: a shard's Replica encodes each tick's frames, a client's
// StateModel applies the decoded bytes. Whatever the entities do (spawn, move across cells,
// change fields and kinds, despawn) and whichever frames are lost, a client that applies what
// reaches it ends with exactly the server's quantised picture of the cells it follows.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../protocol/codec.js';
import { StateModel, streamKey, type StateFrameV2 } from '../protocol/state-wire.js';
import { cellOf, compileSchema, dequantise, quantise, type ViewSchema } from '../protocol/view-schema.js';
import { SeededRandom } from '../workers/random.js';
import { KEYFRAME_EVERY, Replica } from '../workers/replica.js';

const schema: ViewSchema = {
  fields: { x: { type: 'fixed', scale: 100 }, y: { type: 'int', min: -50, max: 1050 }, hp: { type: 'int' }, name: { type: 'string' }, alive: { type: 'bool' }, speed: { type: 'float' } },
};
const [FX, FY] = compileSchema(schema);

interface Ent {
  kind: string;
  x: number;
  y: number;
  hp: number;
  name: string;
  alive: boolean;
  speed: number;
}

/** What a client should show for an entity: quantised fields as the wire carries them. */
function expected(id: string, e: Ent): Record<string, unknown> {
  return { id, kind: e.kind, x: dequantise(100, quantise(FX!, e.x)), y: quantise(FY!, e.y), hp: Math.round(e.hp), name: e.name, alive: e.alive, speed: e.speed };
}

function write(rep: Replica, world: Map<string, Ent>): void {
  rep.begin();
  for (const [id, e] of world) {
    const r = rep.row(id, e.kind);
    [e.x, e.y, e.hp, e.name, e.alive, e.speed].forEach((v, f) => rep.set(r, f, v));
  }
}

function mutate(rng: SeededRandom, world: Map<string, Ent>, next: { id: number }): void {
  const ids = [...world.keys()];
  for (const id of ids) {
    const e = world.get(id)!;
    const p = rng.next();
    if (p < 0.02) world.delete(id);
    else if (p < 0.5) {
      e.x += (rng.next() - 0.5) * 40;
      e.y += (rng.next() - 0.5) * 40;
    } else if (p < 0.55) e.hp += Math.floor(rng.next() * 10) - 5;
    else if (p < 0.57) e.name = `n${Math.floor(rng.next() * 5)}`;
    else if (p < 0.58) e.alive = !e.alive;
    else if (p < 0.59) e.kind = e.kind === 'npc' ? 'boss' : 'npc';
    else if (p < 0.6) e.speed = rng.next();
  }
  const spawns = Math.floor(rng.next() * 4);
  for (let i = 0; i < spawns && world.size < 200; i++) {
    world.set(`e${next.id++}`, { kind: 'npc', x: rng.next() * 1000, y: rng.next() * 1000, hp: 100, name: 'n0', alive: true, speed: 0 });
  }
}

function picture(model: StateModel): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const e of model.ents.values()) out.set(e.id, model.view(e));
  return out;
}

function run(seed: number, ticks: number, cellSize: number, lossRate: number): void {
  const rng = new SeededRandom(seed);
  const rep = new Replica('world', schema, cellSize);
  const client = new StateModel();
  const world = new Map<string, Ent>();
  const next = { id: 0 };
  let waiting = false;
  for (let tick = 1; tick <= ticks; tick++) {
    mutate(rng, world, next);
    write(rep, world);
    let gap = false;
    for (const f of rep.frames(tick, tick).frames) {
      if (rng.next() < lossRate) continue; // lost on the way
      const r = client.apply(decode<StateFrameV2>(f.bytes));
      if (r === 'gap') gap = true;
    }
    // A client that saw a gap asks for a keyframe; the shard keyframes every stream next tick.
    if (gap) {
      rep.invalidate();
      waiting = true;
      continue;
    }
    if (waiting && lossRate > 0) {
      waiting = false;
      continue; // frames lost in the recovery tick itself are caught by the next gap
    }
    if (lossRate > 0) continue;
    const want = new Map([...world].map(([id, e]) => [id, expected(id, e)]));
    expect(picture(client)).toEqual(want);
  }
  // Finally: no loss for one tick after a keyframe request, and the picture is exact.
  rep.invalidate();
  write(rep, world);
  for (const f of rep.frames(ticks + 1, 0).frames) client.apply(decode<StateFrameV2>(f.bytes));
  expect(picture(client)).toEqual(new Map([...world].map(([id, e]) => [id, expected(id, e)])));
}

describe('replica → wire v2 → StateModel', () => {
  it('a client applying every frame holds exactly the quantised world, tick after tick (whole-realm stream)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => run(seed, 250, 0, 0)), { numRuns: 12 });
  });

  it('the same with area-of-interest cells: entities cross cells, every cell followed', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => run(seed, 250, 100, 0)), { numRuns: 12 });
  });

  it('lost frames show as gaps, and the keyframes that follow make the picture exact again', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => run(seed, 200, 100, 0.05)), { numRuns: 10 });
  });

  it('a client following some cells holds exactly the entities in them, also after its interest moves', () => {
    const rng = new SeededRandom(7);
    const rep = new Replica('world', schema, 100);
    const all = new StateModel(); // what a gateway's cache knows: every cell
    const client = new StateModel();
    const world = new Map<string, Ent>();
    const next = { id: 0 };
    let focus = [3, 3];
    const cellsAround = (c: number[]): string[] => {
      const out: string[] = [];
      for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) out.push(streamKey([c[0]! + dx, c[1]! + dy]));
      return out;
    };
    let followed = new Set(cellsAround(focus));
    for (let tick = 1; tick <= 600; tick++) {
      mutate(rng, world, next);
      write(rep, world);
      for (const f of rep.frames(tick, tick).frames) {
        const frame = decode<StateFrameV2>(f.bytes);
        all.apply(frame);
        if (followed.has(streamKey(frame.cell))) expect(client.apply(frame)).not.toBe('gap');
      }
      if (tick % 50 === 0) {
        // The focus moves: cells left are dropped, cells entered come from the cache's keyframes.
        focus = [focus[0]! + (rng.next() < 0.5 ? 1 : -1), focus[1]! + (rng.next() < 0.5 ? 1 : -1)];
        const now = new Set(cellsAround(focus));
        for (const k of followed) if (!now.has(k)) client.dropStream(k);
        for (const k of now) {
          if (followed.has(k)) continue;
          const key = all.keyframe('world', k);
          if (key !== null) expect(client.apply(decode<StateFrameV2>(encode(key)))).toBe('keyframe');
        }
        followed = now;
      }
      const want = new Map<string, Record<string, unknown>>();
      for (const [id, e] of world) {
        const k = streamKey([cellOf(dequantise(100, quantise(FX!, e.x)), 100), cellOf(quantise(FY!, e.y), 100)]);
        if (followed.has(k)) want.set(id, expected(id, e));
      }
      expect(picture(client)).toEqual(want);
    }
  });

  it('a quiet stream still sends its periodic keyframe, and only changed fields travel', () => {
    const rep = new Replica('q', schema, 0);
    const world = new Map<string, Ent>([['a', { kind: 'npc', x: 1, y: 2, hp: 3, name: 'n', alive: true, speed: 0 }]]);
    const frames: StateFrameV2[] = [];
    for (let tick = 1; tick <= KEYFRAME_EVERY + 2; tick++) {
      world.get('a')!.x = tick;
      write(rep, world);
      for (const f of rep.frames(tick, 0).frames) frames.push(decode<StateFrameV2>(f.bytes));
    }
    expect(frames[0]!.key).toBe(true);
    // Only x changed: one record, handle gap, mask of bit 0, a difference of 100 hundredths.
    expect(frames[1]!.update).toEqual([0, 1, 100]);
    expect(frames[1]!.spawn).toBeUndefined();
    expect(frames.slice(1, KEYFRAME_EVERY + 1).every((f) => f.key !== true)).toBe(true);
    expect(frames[KEYFRAME_EVERY + 1]!.key).toBe(true);
  });

  it('a generic kind (no schema) sends every view field as it is, and a new field brings a keyframe with it', () => {
    const rep = new Replica('g', null, 0);
    const model = new StateModel();
    const send = (tick: number, views: { id: string; kind: string; x: number; y: number; [k: string]: string | number | boolean }[]): StateFrameV2 => {
      rep.begin();
      rep.fillViews(views);
      const out = rep.frames(tick, 0).frames.map((f) => decode<StateFrameV2>(f.bytes));
      for (const f of out) model.apply(f);
      return out[0]!;
    };
    expect(send(1, [{ id: 'a', kind: 'k', x: 1.5, y: 2 }]).key).toBe(true);
    expect(send(2, [{ id: 'a', kind: 'k', x: 1.75, y: 2 }]).update).toEqual([0, 1, 1.75]);
    const grown = send(3, [{ id: 'a', kind: 'k', x: 1.75, y: 2, mood: 'glad' }]);
    expect(grown.key).toBe(true);
    expect(grown.fields).toEqual(['x', 'y', 'mood']);
    expect(picture(model).get('a')).toEqual({ id: 'a', kind: 'k', x: 1.75, y: 2, mood: 'glad' });
  });
});
