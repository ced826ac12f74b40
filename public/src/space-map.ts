// STAT7 → 3-D placement and looks: three chosen dimensions are the axes, the other four are
// colour, size, glow and (the leftover) nothing. Pure functions, no three.js, so they are testable.
import type { RealmInfo } from '../../client/index.js';
import { hueOf } from './lib/stats.js';

export const DIMENSIONS = ['realm', 'lineage', 'adjacency', 'horizon', 'luminosity', 'polarity', 'dimensionality'] as const;
export type Dimension = (typeof DIMENSIONS)[number];
const HORIZONS = ['GENESIS', 'EMERGENCE', 'PEAK', 'DECAY', 'CRYSTALLIZATION'];
const POLARITIES = ['LOGIC', 'CREATIVITY', 'ORDER', 'CHAOS', 'BALANCE'];

/** A dimension's value as a number in 0..1 over the realms shown (names: their sorted rank). */
export function axisValue(dim: Dimension, r: RealmInfo, names: ReadonlyMap<string, number>): number {
  const s = r.stat7;
  switch (dim) {
    case 'horizon':
      return HORIZONS.indexOf(s.horizon) / (HORIZONS.length - 1);
    case 'polarity':
      return POLARITIES.indexOf(s.polarity) / (POLARITIES.length - 1);
    case 'luminosity':
      return s.luminosity;
    case 'dimensionality':
      return s.dimensionality / 7;
    case 'lineage':
      return Math.min(1, s.lineage / 8);
    default:
      return names.get(`${dim}:${s[dim]}`) ?? 0.5;
  }
}

/** Rank of each name (realm type, adjacency) among the realms, spread over 0..1. */
export function nameRanks(realms: readonly RealmInfo[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const dim of ['realm', 'adjacency'] as const) {
    const names = [...new Set(realms.map((r) => r.stat7[dim]))].sort();
    names.forEach((n, i) => out.set(`${dim}:${n}`, names.length === 1 ? 0.5 : i / (names.length - 1)));
  }
  return out;
}

export interface Placement {
  realmId: string;
  x: number;
  y: number;
  z: number;
  /** Hue 0..360 from the adjacency cluster (or the realm type when adjacency is an axis). */
  hue: number;
  /** Sphere radius from dimensionality. */
  size: number;
  /** Emissive glow 0..1 from luminosity (or lineage when luminosity is an axis). */
  glow: number;
}

export const SPAN = 10;

/** Places every realm; realms in the same cell are nudged apart on a small circle. */
export function place(realms: readonly RealmInfo[], axes: readonly [Dimension, Dimension, Dimension]): Placement[] {
  const ranks = nameRanks(realms);
  const cells = new Map<string, number>();
  const free = DIMENSIONS.filter((d) => !axes.includes(d));
  const hueDim = free.includes('adjacency') ? 'adjacency' : 'realm';
  const glowDim: Dimension = free.includes('luminosity') ? 'luminosity' : 'lineage';
  return realms.map((r) => {
    const p = axes.map((d) => (axisValue(d, r, ranks) - 0.5) * SPAN);
    const key = p.map((v) => v.toFixed(2)).join();
    const n = cells.get(key) ?? 0;
    cells.set(key, n + 1);
    const a = n * 2.4;
    const nudge = n === 0 ? 0 : 0.6 * Math.sqrt(n);
    return {
      realmId: r.realmId,
      x: p[0]! + Math.cos(a) * nudge,
      y: p[1]!,
      z: p[2]! + Math.sin(a) * nudge,
      hue: hueOf(String(r.stat7[hueDim])),
      size: free.includes('dimensionality') ? 0.25 + r.stat7.dimensionality * 0.06 : 0.4,
      glow: axisValue(glowDim, r, ranks),
    };
  });
}
