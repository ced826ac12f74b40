// Which area-of-interest cells a client follows: a square block of cells, `2 × radius + 1`
// per side, around its focus. Whole radii centre the block on the focus cell (1 → 3 × 3);
// half radii take the block whose centre is nearest the focus (0.5 → the 2 × 2 cells nearest
// it), which is why focus is tracked in half cells. Shared by the gateway and the load bench.
import { cellOf } from './view-schema.js';
import { streamKey } from './state-wire.js';

/** Interest radii are multiples of a half cell, up to this many cells. */
export const MAX_RADIUS = 4;

export const isRadius = (r: number): boolean => Number.isInteger(r * 2) && r >= 0 && r <= MAX_RADIUS;

/** A position along one axis in half cells (what the shard reports for tracked players). */
export const halfCellOf = (v: number, cellSize: number): number => cellOf(v, cellSize / 2);

/** The first cell of the block along one axis, for a focus `h` half cells from the origin. */
export function blockStart(h: number, radius: number): number {
  const side = 2 * radius + 1;
  // Odd sides centre on the focus cell; even ones start half a cell back, so the block's centre is the nearest corner.
  return side % 2 === 1 ? Math.floor(h / 2) - (side - 1) / 2 : Math.floor((h - 1) / 2) - (side / 2 - 1);
}

/** The stream keys of the cells around a focus given in half cells. */
export function cellsAround(hx: number, hy: number, radius: number): Set<string> {
  const side = 2 * radius + 1;
  const x0 = blockStart(hx, radius);
  const y0 = blockStart(hy, radius);
  const out = new Set<string>();
  for (let dx = 0; dx < side; dx++) for (let dy = 0; dy < side; dy++) out.add(streamKey([x0 + dx, y0 + dy]));
  return out;
}
