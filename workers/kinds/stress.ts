// Benchmark kind: `entities` points moving on a torus, `work` extra integer mixing rounds
// per entity per tick (tunable cost), and a cross-realm event every `emitEvery` ticks:
// unicast to `peer` when given, else a broadcast to every realm subscribed to 'stress'.
import type { EntityView } from '../../protocol/realm.js';
import type { Json } from '../realm.js';
import { defineKind } from '../define-kind.js';
import { scatterPoints, stepPoint } from './torus.js';

interface StressState {
  n: number;
  work: number;
  emitEvery: number;
  /** x, y, vx, vy per entity, packed. */
  body: Float64Array;
  acc: number;
  peers: number;
  peer: string | null;
  /** Entity ids, made once when first replicated (not part of the state). */
  ids?: string[];
}


function num(v: unknown, fallback: number, min: number, max: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.floor(v))) : fallback;
}

/** Every event counts as a peer's (its data is the sender's local tick). */
const count = (s: StressState): void => void s.peers++;

export default defineKind<StressState, { stress: number }>({
  name: 'stress',
  create(params, ctx) {
    const n = num(params.entities, 100, 0, 100_000);
    const body = scatterPoints(n, ctx.random);
    const peer = typeof params.peer === 'string' ? params.peer : null;
    return { n, work: num(params.work, 0, 0, 10_000), emitEvery: num(params.emitEvery, 10, 0, 1_000_000), body, acc: 0, peers: 0, peer };
  },
  tick(s, ctx) {
    const b = s.body;
    const dt = ctx.dt;
    let acc = s.acc | 0;
    for (let i = 0; i < s.n; i++) {
      const o = i * 4;
      stepPoint(b, o, dt);
      for (let k = 0; k < s.work; k++) acc = Math.imul(acc ^ (k + i), 0x01000193) | 0;
    }
    s.acc = acc;
    if (s.emitEvery > 0 && ctx.tick % s.emitEvery === 0) {
      if (s.peer !== null) ctx.emit({ type: 'stress', to: s.peer, data: ctx.tick });
      else ctx.emit({ type: 'stress', data: ctx.tick });
    }
  },
  on: { stress: count },
  onOtherEvent: count,
  // Whole units on the wire, as view() rounds them; a registration's `cell` param turns on area-of-interest cells.
  schema: { fields: { x: { type: 'int' }, y: { type: 'int' } } },
  replicate(s, out) {
    const ids = (s.ids ??= Array.from({ length: s.n }, (_, i) => `e${i}`));
    const b = s.body;
    for (let i = 0; i < s.n; i++) {
      const r = out.row(ids[i]!, 'point');
      out.set(r, 0, b[i * 4]!);
      out.set(r, 1, b[i * 4 + 1]!);
    }
  },
  view(s): EntityView[] {
    const out: EntityView[] = new Array<EntityView>(s.n);
    for (let i = 0; i < s.n; i++) {
      out[i] = { id: `e${i}`, kind: 'point', x: Math.round(s.body[i * 4]!), y: Math.round(s.body[i * 4 + 1]!) };
    }
    return out;
  },
  entityCount: (s) => s.n,
  // A Float64Array does not survive MessagePack: the snapshot holds the numbers as an array.
  snapshot: (s): Json => ({ n: s.n, work: s.work, emitEvery: s.emitEvery, body: Array.from(s.body), acc: s.acc, peers: s.peers, peer: s.peer }),
  restore(snap) {
    const o = snap as { n: number; work: number; emitEvery: number; body: number[]; acc: number; peers: number; peer: string | null };
    return { n: o.n, work: o.work, emitEvery: o.emitEvery, body: Float64Array.from(o.body), acc: o.acc, peers: o.peers, peer: o.peer };
  },
});
