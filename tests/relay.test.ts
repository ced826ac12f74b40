// The relay kind's `set` is a merge (docs/protocol.md § input): fields a set leaves out keep
// their values; a new entity starts at kind "entity", (0, 0).
import { describe, expect, it } from 'vitest';
import { startEngine } from './helpers.js';
import type { Engine } from '../engine/index.js';
import type { EntityView } from '../protocol/realm.js';

async function entityAfter(engine: Engine, id: string, check: (e: EntityView | undefined) => boolean): Promise<EntityView | undefined> {
  for (let i = 0; i < 2000; i++) {
    const e = (await engine.entities('r')).find((x) => x.id === id);
    if (check(e)) return e;
    await engine.onControlTick(engine.controlTick + 1);
  }
  throw new Error(`entity ${id} never reached the expected state`);
}

describe('relay kind', () => {
  it('merges a set into the entity: missing fields are kept, given ones replaced', async () => {
    const engine = await startEngine({ shards: 1, mode: 'max' });
    await engine.register({ realm_id: 'r', game_id: 'g' });
    await engine.input('r', 'p1', { set: { id: 'hero', kind: 'knight', x: 4, y: 5, hp: 10, name: 'Ada' } });
    await entityAfter(engine, 'hero', (e) => e?.hp === 10);
    await engine.input('r', 'p1', { set: { id: 'hero', hp: 3 } });
    const e = await entityAfter(engine, 'hero', (x) => x?.hp === 3);
    expect(e).toEqual({ id: 'hero', kind: 'knight', x: 4, y: 5, hp: 3, name: 'Ada' });
    await engine.input('r', 'p1', { set: { id: 'fresh', hp: 1 } });
    expect(await entityAfter(engine, 'fresh', (x) => x !== undefined)).toEqual({ id: 'fresh', kind: 'entity', x: 0, y: 0, hp: 1 });
  });
});
