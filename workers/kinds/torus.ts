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

/** `n` points at random places with random velocities (±10 units/s), drawn in a fixed order from `random`. */
export function scatterPoints(n: number, random: () => number): Float64Array {
  const body = new Float64Array(n * 4);
  for (let i = 0; i < n; i++) {
    body[i * 4] = random() * SIZE;
    body[i * 4 + 1] = random() * SIZE;
    body[i * 4 + 2] = (random() - 0.5) * 20;
    body[i * 4 + 3] = (random() - 0.5) * 20;
  }
  return body;
}
