// Area of interest end to end: engine → shard replica → gateway cell topics → SDK view.
// A client sees exactly the entities in the cells around its focus — a point it set, or its
// own player entity — and entities arrive and leave as the focus or they move.
import { describe, expect, it } from 'vitest';
import type { RealmView, TickverseClient } from '../client/index.js';
import type { EntityView } from '../protocol/realm.js';
import { cellOf } from '../protocol/view-schema.js';
import type { CellsPush } from '../protocol/wire.js';
import { adminClient, client, startStack, until, type Stack } from './gateway-helpers.js';

const CELL = 100;

/** The realm's own entities whose cell is within one cell of `at`. */
function around(truth: EntityView[], at: [number, number]): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const e of truth) {
    const cx = cellOf(e.x, CELL);
    const cy = cellOf(e.y, CELL);
    if (Math.abs(cx - at[0]) <= 1 && Math.abs(cy - at[1]) <= 1) out.set(e.id, [e.x, e.y]);
  }
  return out;
}

const shown = (v: RealmView): Map<string, [number, number]> => new Map([...v.entities.values()].map((e) => [e.id, [e.x, e.y]]));

/** Pauses the realm and waits until the view shows its last tick: then the picture must be exact. */
async function settle(stack: Stack, realm: string, view: RealmView): Promise<EntityView[]> {
  await stack.engine.pause(realm);
  const tick = stack.engine.get(realm).localTick;
  await until('the view to reach the paused tick', () => view.tick >= tick - 1 && view.synced);
  return stack.engine.entities(realm);
}

function cellsPushes(c: TickverseClient): CellsPush[] {
  const seen: CellsPush[] = [];
  const v = c.realm('w')!;
  const set = v.setCells.bind(v);
  v.setCells = (p) => {
    seen.push(p);
    set(p);
  };
  return seen;
}

describe('area of interest', () => {
  it('a spectator sees exactly the entities in the 3 × 3 cells around its focus point, also after the point moves and the entities move', async () => {
    const stack = await startStack({}, { tickHz: 50, ticksPerControl: 5 });
    await stack.engine.register({ realm_id: 'w', game_id: 'g', kind: 'stress', params: { entities: 2000, emitEvery: 0, cell: CELL } });
    const c = await client(stack);
    const view = await c.join('w');
    const pushes = cellsPushes(c);
    const r = await c.focus('w', 550, 550);
    expect(r.cells).toHaveLength(9);
    expect(new Set(r.cells.map((x) => x.join(',')))).toEqual(new Set(['4,4', '4,5', '4,6', '5,4', '5,5', '5,6', '6,4', '6,5', '6,6']));
    await until('the cells push', () => pushes.length > 0);
    expect(pushes.at(-1)).toMatchObject({ op: 'cells', realm: 'w', size: CELL });

    let truth = await settle(stack, 'w', view);
    let want = around(truth, [5, 5]);
    expect(want.size).toBeGreaterThan(100); // ~9 % of 2,000
    await until('the view to match the 9 cells', () => JSON.stringify([...shown(view)].sort()) === JSON.stringify([...want].sort()));

    // The focus moves far away: the old cells' entities go, the new cells' pictures arrive from the cache.
    await c.focus('w', 150, 850);
    want = around(truth, [1, 8]);
    await until('the view to match the new cells', () => JSON.stringify([...shown(view)].sort()) === JSON.stringify([...want].sort()));

    // The entities move for a while (crossing cell borders); the picture is exact again once paused.
    await stack.engine.resume('w');
    const t0 = stack.engine.get('w').localTick;
    await until('100 ticks of movement', () => stack.engine.get('w').localTick > t0 + 100);
    truth = await settle(stack, 'w', view);
    want = around(truth, [1, 8]);
    await until('the view to match after movement', () => JSON.stringify([...shown(view)].sort()) === JSON.stringify([...want].sort()));
    expect(view.gaps).toBe(0);
    await c.close();
  });

  it('by default a player follows the cells around its own entity, and they move with it', async () => {
    const stack = await startStack({}, { tickHz: 50, ticksPerControl: 5 });
    await stack.engine.register({ realm_id: 'w', game_id: 'g', params: { cell: CELL, shared: false } });
    // A game server places NPCs: one near each corner of a 1000 × 1000 world.
    const game = await adminClient(stack);
    for (const [id, x, y] of [['sw', 150, 150], ['se', 850, 150], ['ne', 850, 850], ['nw', 150, 850]] as const) {
      await game.input('w', { set: { id, kind: 'npc', x, y } }, 'game');
    }
    const c = await client(stack);
    const me = c.hello!.session;
    // The player's entity exists before anyone watches the realm: its cell is known from the start.
    await c.input('w', { set: { id: me, kind: 'player', x: 120, y: 180 } });
    await until('the player entity', () => stack.engine.get('w').entities === 5);
    const view = await c.join('w');
    const pushes = cellsPushes(c);
    await until('the player cells around [1, 1]', () => pushes.some((p) => p.cells.some(([x, y]) => x === 1 && y === 1) && p.cells.length === 9));
    await until('the player and the south-west NPC, nothing else', () => view.entities.size === 2 && view.entities.has('sw') && view.entities.has(me));

    await c.input('w', { set: { id: me, kind: 'player', x: 880, y: 820 } });
    await until('the cells to follow the player to [8, 8]', () => pushes.at(-1)!.cells.some(([x, y]) => x === 8 && y === 8));
    await until('the north-east NPC in view, the south-west one gone', () => view.entities.has('ne') && !view.entities.has('sw') && view.entities.get(me)?.x === 880);
    expect([...view.entities.keys()].sort()).toEqual([me, 'ne'].sort());

    // A point focus overrides the player; focus() without a point goes back to it.
    await c.focus('w', 150, 850);
    await until('the north-west NPC only', () => view.entities.size === 1 && view.entities.has('nw'));
    await c.focus('w');
    await until('back around the player', () => view.entities.has('ne') && view.entities.has(me) && !view.entities.has('nw'));
    await c.close();
    await game.close();
  });

  it('with interestRadius 0.5 a player follows the 2 × 2 cells nearest its entity, which change as it crosses half a cell', async () => {
    const stack = await startStack({ interestRadius: 0.5 }, { tickHz: 50, ticksPerControl: 5 });
    await stack.engine.register({ realm_id: 'w', game_id: 'g', params: { cell: CELL, shared: false } });
    const game = await adminClient(stack);
    // One NPC in each cell around [1, 1]'s north-west and south-east corners.
    for (const [id, x, y] of [['nw', 50, 250], ['se', 250, 50], ['far', 550, 550]] as const) await game.input('w', { set: { id, kind: 'npc', x, y } }, 'game');
    const c = await client(stack);
    const me = c.hello!.session;
    await c.input('w', { set: { id: me, kind: 'player', x: 120, y: 180 } });
    await until('the player entity', () => stack.engine.get('w').entities === 4);
    const view = await c.join('w');
    const pushes = cellsPushes(c);
    const cellsNow = (): string[] => (pushes.at(-1)?.cells ?? []).map((x) => x.join(',')).sort();
    await until('the 2 × 2 towards the north-west', () => cellsNow().join(' ') === '0,1 0,2 1,1 1,2');
    await until('the north-west NPC and the player', () => view.entities.size === 2 && view.entities.has('nw') && view.entities.has(me));
    // Still in cell [1, 1], across its centre: the block follows the nearest corner.
    await c.input('w', { set: { id: me, kind: 'player', x: 180, y: 120 } });
    await until('the 2 × 2 towards the south-east', () => cellsNow().join(' ') === '1,0 1,1 2,0 2,1');
    await until('the south-east NPC instead', () => view.entities.size === 2 && view.entities.has('se') && view.entities.has(me));
    // A point focus uses the same rule.
    const r = await c.focus('w', 530, 570);
    expect(r.cells.map((x) => x.join(',')).sort()).toEqual(['4,5', '4,6', '5,5', '5,6']);
    await until('the far NPC only', () => view.entities.size === 1 && view.entities.has('far'));
    await c.close();
    await game.close();
  });

  it('focus is refused for a realm not joined, and for half a point', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'w', game_id: 'g', params: { cell: CELL } });
    const c = await client(stack);
    await expect(c.focus('w', 1, 2)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await c.join('w');
    await expect(c.focus('w', 1)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(c.focus('w', 1, 2)).resolves.toMatchObject({ realm: 'w' });
    await c.close();
  });
});
