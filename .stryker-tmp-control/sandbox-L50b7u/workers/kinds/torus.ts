// @ts-nocheck
// The stress world's motion: points with velocity on a SIZE × SIZE torus, packed as
// [x, y, vx, vy] per point. Shared with the Colyseus baseline so both run the same logic.
export const SIZE = 1000;

/** Moves the point at offset `o` of `b` by one step of `dt` seconds, wrapping at the edges. */
export function stepPoint(b: Float64Array, o: number, dt: number): void {
  let x = b[o]! + b[o + 2]! * dt;
  let y = b[o + 1]! + b[o + 3]! * dt;
  if (x < 0) x += SIZE;
  else if (x >= SIZE) x -= SIZE;
  if (y < 0) y += SIZE;
  else if (y >= SIZE) y -= SIZE;
  b[o] = x;
  b[o + 1] = y;
}
