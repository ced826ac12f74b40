// Which cells a client follows: a block of 2 × radius + 1 cells a side, centred on the focus
// cell for whole radii and on the cell corner nearest the focus for half radii.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockStart, cellsAround, halfCellOf, isRadius } from '../protocol/interest.js';

describe('interest blocks', () => {
  it('hold the focus, have 2r + 1 cells a side, and are centred within half a cell of the focus', () => {
    const radius = fc.integer({ min: 0, max: 8 }).map((n) => n / 2);
    fc.assert(
      fc.property(fc.double({ min: -5000, max: 5000, noNaN: true }), fc.constantFrom(1, 10, 33, 100.5), radius, (v, size, r) => {
        const h = halfCellOf(v, size);
        const cell = Math.floor(h / 2); // the focus cell
        const x0 = blockStart(h, r);
        const side = 2 * r + 1;
        expect(cell).toBeGreaterThanOrEqual(x0);
        expect(cell).toBeLessThan(x0 + side);
        // Whole radii: centred on the focus cell's centre; half radii: on the corner nearest the focus half cell.
        const centre = x0 + side / 2;
        if (side % 2 === 1) expect(centre).toBe(cell + 0.5);
        else expect(centre).toBe(h % 2 === 0 ? cell + 0 : cell + 1);
      }),
    );
  });

  it('radius 1 is the 3 × 3 around the focus cell, 0.5 the 2 × 2 nearest the focus, 0 the focus cell', () => {
    const at = (x: number, y: number, r: number): string[] => [...cellsAround(halfCellOf(x, 100), halfCellOf(y, 100), r)].sort();
    expect(at(550, 550, 1)).toEqual(['4,4', '4,5', '4,6', '5,4', '5,5', '5,6', '6,4', '6,5', '6,6']);
    expect(at(520, 580, 0.5)).toEqual(['4,5', '4,6', '5,5', '5,6']);
    expect(at(580, 520, 0.5)).toEqual(['5,4', '5,5', '6,4', '6,5']);
    expect(at(-30, -70, 0.5)).toEqual(['-1,-1', '-1,-2', '0,-1', '0,-2']);
    expect(at(550, 550, 0)).toEqual(['5,5']);
    expect(at(550, 550, 1.5)).toHaveLength(16);
  });

  it('radii are multiples of a half cell up to 4', () => {
    expect([0, 0.5, 1, 2.5, 4].every(isRadius)).toBe(true);
    expect([-0.5, 0.25, 4.5, Number.NaN].some(isRadius)).toBe(false);
  });
});
