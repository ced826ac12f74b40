// Registers `n` stress realms in a ring (each realm's peer is the next), all at once.
import type { Engine } from '../engine/index.js';

export async function registerStressRing(engine: Engine, prefix: string, n: number, params: { entities: number; emitEvery: number }): Promise<void> {
  const regs = [];
  for (let i = 0; i < n; i++) {
    regs.push(engine.register({ realm_id: `${prefix}-${i}`, game_id: 'bench', kind: 'stress', params: { ...params, peer: `${prefix}-${(i + 1) % n}` } }));
  }
  await Promise.all(regs);
}
