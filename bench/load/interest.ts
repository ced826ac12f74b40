// The open world's area of interest, defined once for both servers and the clients: square
// cells of `size` world units on the stress kind's 1000 × 1000 torus, a client interested in
// the 2 × 2 cells nearest its focus (the gateway's rule, protocol/interest.ts, at radius 0.5;
// no wrap at the torus edge, as the gateway's grid has none), and the seeded focus points.
import { fnv1a } from '../../protocol/frames.js';
import { SeededRandom } from '../../workers/random.js';
import { SIZE } from '../../workers/kinds/torus.js';
import { cellsAround as blockAround, halfCellOf } from '../../protocol/interest.js';
import { cellOfKey } from '../../protocol/state-wire.js';

/** The interest radius both servers use: the 2 × 2 cells nearest the focus (per-cell frame headers amortised over 4× fewer, larger cells than 3 × 3 for the same interest). */
export const RADIUS = 0.5;

/** Cell size so that (2·radius + 1)² cells hold about `interest` of `entities` spread evenly over the torus. */
export function cellSizeFor(entities: number, interest: number, radius = RADIUS): number {
  const side = 2 * radius + 1;
  const size = Math.round(Math.sqrt((interest * SIZE * SIZE) / (entities * side * side)));
  return Math.max(1, Math.min(SIZE, size));
}

/** The cell of a position along one axis (as protocol/view-schema.ts cellOf, on the rounded position). */
export const cellOf = (v: number, size: number): number => Math.floor(v / size);

/** A cell as one number (cx, cy in −32768..32767). */
export const cellKey = (cx: number, cy: number): number => (cx + 32768) * 65536 + (cy + 32768);

/** The cells a client focused at (x, y) follows, as [cx, cy] pairs. */
export function cellsAround(x: number, y: number, size: number, radius = RADIUS): [number, number][] {
  return [...blockAround(halfCellOf(x, size), halfCellOf(y, size), radius)].map(cellOfKey);
}

/**
 * Client i's focus point: seeded (the same in every run and for both servers), inside a
 * cell whose whole neighbourhood lies on the torus (full cells only), so every client
 * follows the same number of cells.
 */
export function focusPoints(n: number, size: number, radius = RADIUS): [number, number][] {
  const full = Math.floor(SIZE / size);
  const span = Math.max(1, full - 2 * radius);
  const rng = new SeededRandom(fnv1a('bench-load focus'));
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const x = Math.floor((radius + rng.next() * span) * size);
    const y = Math.floor((radius + rng.next() * span) * size);
    out.push([x, y]);
  }
  return out;
}
