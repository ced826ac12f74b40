// The shard's replication cost, alone: one realm of N points moving on the stress torus, the
// tick's client frames made from it. Wire v2 (workers/replica.ts: typed columns, per-field
// deltas, handles) as a whole-realm stream and per area-of-interest cell, beside the wire v1
// path it replaced, rebuilt here as the baseline: an object per entity per tick (view()), a
// Map and an Object.keys diff against the last tick, changed entities re-sent whole with id
// and kind. Figures per entity update (an entity whose sent position changed).
import { Packr } from 'msgpackr';
import { SeededRandom } from '../workers/random.js';
import { Replica } from '../workers/replica.js';
import { scatterPoints, stepPoint } from '../workers/kinds/torus.js';

export interface ReplicationRow {
  variant: string;
  entities: number;
  ticks: number;
  /** Median over ticks of the time to make one tick's frames, µs. */
  tickUs: number;
  nsPerUpdate: number;
  bytesPerUpdate: number;
  framesPerTick: number;
  /** Baseline ÷ this, for the same world (null for the baseline itself). */
  speedup: number | null;
  bytesRatio: number | null;
}

interface World {
  body: Float64Array;
  ids: string[];
}

function world(n: number): World {
  const rng = new SeededRandom(42);
  const body = scatterPoints(n, () => rng.next());
  return { body, ids: Array.from({ length: n }, (_, i) => `e${i}`) };
}

function step(w: World, dt: number): void {
  for (let i = 0; i < w.ids.length; i++) stepPoint(w.body, i * 4, dt);
}

type Ent = { id: string; kind: string; x: number; y: number; [k: string]: string | number };

/** The v1 shard path: view() objects, a keyed diff, whole changed entities encoded in one map. */
function v1Maker(): (w: World, tick: number) => { bytes: number; updates: number; frames: number } {
  const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });
  let last = new Map<string, Ent>();
  let seq = 0;
  const same = (a: Ent, b: Ent): boolean => {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (a[k] !== b[k]) return false;
    return true;
  };
  return (w, tick) => {
    const views: Ent[] = new Array<Ent>(w.ids.length);
    for (let i = 0; i < w.ids.length; i++) views[i] = { id: w.ids[i]!, kind: 'point', x: Math.round(w.body[i * 4]!), y: Math.round(w.body[i * 4 + 1]!) };
    const next = new Map<string, Ent>();
    for (const v of views) next.set(v.id, v);
    const ents: Ent[] = [];
    for (const v of views) {
      const p = last.get(v.id);
      if (p === undefined || !same(p, v)) ents.push(v);
    }
    const gone: string[] = [];
    for (const id of last.keys()) if (!next.has(id)) gone.push(id);
    last = next;
    if (ents.length === 0 && gone.length === 0) return { bytes: 0, updates: 0, frames: 0 };
    const bytes = packr.pack({ op: 'state', realm: 'world', seq: seq++, tick, key: false, ents, gone, at: Date.now() }).length;
    return { bytes, updates: ents.length, frames: 1 };
  };
}

function v2Maker(cell: number): (w: World, tick: number) => { bytes: number; updates: number; frames: number } {
  const rep = new Replica('world', { fields: { x: { type: 'int' }, y: { type: 'int' } } }, cell);
  return (w, tick) => {
    rep.begin();
    for (let i = 0; i < w.ids.length; i++) {
      const r = rep.row(w.ids[i]!, 'point');
      rep.set(r, 0, w.body[i * 4]!);
      rep.set(r, 1, w.body[i * 4 + 1]!);
    }
    const out = rep.frames(tick, Date.now());
    let bytes = 0;
    for (const f of out.frames) bytes += f.bytes.length;
    return { bytes, updates: -1, frames: out.frames.length };
  };
}

/** Entities whose sent (rounded) position changed between two ticks: the same count for every variant. */
function changed(prev: Float64Array, w: World): number {
  let n = 0;
  for (let i = 0; i < w.ids.length; i++) {
    if (Math.round(prev[i * 4]!) !== Math.round(w.body[i * 4]!) || Math.round(prev[i * 4 + 1]!) !== Math.round(w.body[i * 4 + 1]!)) n++;
  }
  return n;
}

function run(variant: string, make: () => (w: World, tick: number) => { bytes: number; updates: number; frames: number }, n: number, ticks: number): Omit<ReplicationRow, 'speedup' | 'bytesRatio'> {
  const w = world(n);
  const f = make();
  f(w, 0); // the first frame is a keyframe: not measured
  const times: number[] = [];
  let bytes = 0;
  let updates = 0;
  let frames = 0;
  for (let t = 1; t <= ticks; t++) {
    const prev = w.body.slice();
    step(w, 0.1);
    const t0 = performance.now();
    const r = f(w, t);
    times.push(performance.now() - t0);
    bytes += r.bytes;
    updates += changed(prev, w);
    frames += r.frames;
  }
  times.sort((a, b) => a - b);
  const total = times.reduce((a, b) => a + b, 0);
  return {
    variant,
    entities: n,
    ticks,
    tickUs: Number((times[times.length >> 1]! * 1000).toFixed(1)),
    nsPerUpdate: Number(((total * 1e6) / Math.max(1, updates)).toFixed(0)),
    bytesPerUpdate: Number((bytes / Math.max(1, updates)).toFixed(2)),
    framesPerTick: Number((frames / ticks).toFixed(1)),
  };
}

export function replicationBench(o: { quick: boolean }): ReplicationRow[] {
  const rows: ReplicationRow[] = [];
  for (const n of o.quick ? [1000] : [100, 10_000]) {
    const ticks = o.quick ? 30 : n >= 10_000 ? 100 : 1000;
    // Warm-up rounds so the JIT has compiled each path before it is measured.
    run('warm', v1Maker, n, 10);
    run('warm', () => v2Maker(0), n, 10);
    const base = run('v1: objects + keyed diff, whole entities (baseline)', v1Maker, n, ticks);
    rows.push({ ...base, speedup: null, bytesRatio: null });
    for (const [label, cell] of [['v2: columns, one whole-realm stream', 0], ['v2: columns, cells of 100 (AoI)', 100]] as const) {
      const r = run(label, () => v2Maker(cell), n, ticks);
      rows.push({ ...r, speedup: Number((base.nsPerUpdate / Math.max(1, r.nsPerUpdate)).toFixed(2)), bytesRatio: Number((r.bytesPerUpdate / base.bytesPerUpdate).toFixed(3)) });
    }
  }
  return rows;
}
