// Issue 11, item 5: unguessable session ids; a player acts only on its own entity; a per-realm
// player cap (PLAYER_LIMIT); player entities removed when the player leaves or disconnects.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import type { EntityView } from '../protocol/realm.js';
import type { HelloPush } from '../protocol/wire.js';
import type { RealmView } from '../client/index.js';
import { RawClient, adminClient, client, startStack, until, type Stack } from './gateway-helpers.js';

const code = (c: string) => expect.objectContaining({ code: c });

async function watch(stack: Stack, realm: string): Promise<RealmView> {
  const c = await client(stack);
  const view = await c.join(realm);
  await view.ready();
  return view;
}

const players = (view: RealmView): EntityView[] => [...view.entities.values()].filter((e) => e.kind === 'player');

describe('sessions and player entities', () => {
  it('session ids are 128 random bits, never sequential', async () => {
    const stack = await startStack();
    const sessions: string[] = [];
    for (let i = 0; i < 20; i++) {
      const raw = await RawClient.open(stack.url);
      sessions.push((raw.messages[0] as HelloPush).session);
    }
    expect(new Set(sessions).size).toBe(20);
    for (const s of sessions) expect(s).toMatch(/^s[A-Za-z0-9_-]{22}$/);
  });

  it('a player moves only its own entity: not an NPC, not another player', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern', params: { merchant: false } });
    const view = await watch(stack, 'tav');
    const a = await client(stack);
    const b = await client(stack);
    const bId = `player:${b.session}`;
    await b.input('tav', { move: { id: bId, dx: 0, dy: 0 } });
    await until("b's entity", () => view.entities.get(bId));
    const before = new Map(['barkeep', bId].map((id) => [id, { ...view.entities.get(id)! }]));
    // Three pushes of 5 towards the far side: 10 units or more, were they obeyed (the room is 20 × 12).
    for (const [id, e] of before) {
      for (let i = 0; i < 3; i++) await a.input('tav', { move: { id, dx: e.x < 10 ? 5 : -5, dy: e.y < 6 ? 5 : -5 } });
    }
    const aId = `player:${a.session}`;
    await a.input('tav', { move: { id: aId, dx: 1, dy: 0 } });
    await until("a's own entity (after its other inputs)", () => view.entities.get(aId));
    for (const [id, e] of before) {
      const now = view.entities.get(id)!;
      // NPCs and players drift by themselves (a damped random walk), a few tenths per second.
      expect(Math.abs(now.x - e.x), `${id} x`).toBeLessThan(3);
      expect(Math.abs(now.y - e.y), `${id} y`).toBeLessThan(3);
    }
    expect(players(view).map((e) => e.id).sort()).toEqual([aId, bId].sort());
    // A move without an id is the player's own.
    const x = view.entities.get(aId)!.x;
    await a.input('tav', { move: { dx: x < 10 ? 5 : -5, dy: 0 } });
    await until("a's entity to move by its id-less move", () => Math.abs(view.entities.get(aId)!.x - x) > 3);
  });

  it('relay entities belong to the player that created them, unless the realm is shared', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'lobby', game_id: 'g' });
    await stack.engine.register({ realm_id: 'open', game_id: 'g', params: { shared: true } });
    const lobby = await watch(stack, 'lobby');
    const open = await watch(stack, 'open');
    const a = await client(stack);
    const b = await client(stack);
    for (const realm of ['lobby', 'open']) await a.input(realm, { set: { id: 'a1', x: 1, y: 1 } });
    await until('a1 in both', () => lobby.entities.get('a1') && open.entities.get('a1'));
    for (const realm of ['lobby', 'open']) {
      await b.input(realm, { set: { id: 'a1', x: 99, y: 99 } });
      await b.input(realm, { set: { id: 'b1', x: 2, y: 2 } });
    }
    await until('b1 in both (after b\'s attempt on a1)', () => lobby.entities.get('b1') && open.entities.get('b1'));
    expect(lobby.entities.get('a1')).toMatchObject({ x: 1, y: 1 });
    expect(open.entities.get('a1')).toMatchObject({ x: 99, y: 99 });
    await b.input('lobby', { remove: 'a1' });
    await b.input('lobby', { remove: 'b1' });
    await until('b1 removed by its owner', () => !lobby.entities.has('b1'));
    expect(lobby.entities.has('a1')).toBe(true);
  });

  it('caps players per realm with PLAYER_LIMIT; a slot frees when one leaves', async () => {
    const stack = await startStack({ maxPlayersPerRealm: 3, reconnectGraceMs: 0 });
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    const cs = [await client(stack), await client(stack), await client(stack), await client(stack)];
    for (const c of cs.slice(0, 3)) expect(await c.input('tav', { say: 'hi' })).toBeNull();
    await expect(cs[3]!.input('tav', { say: 'me too' })).rejects.toThrow(code(ErrorCode.PLAYER_LIMIT));
    // Players already in keep playing; an authenticated game server speaking for named players is not counted.
    expect(await cs[0]!.input('tav', { say: 'again' })).toBeNull();
    const server = await adminClient(stack);
    expect(await server.input('tav', { say: 'npc line' }, 'bot-1')).toBeNull();
    cs[0]!.close();
    await until('a free player slot', async () => (await cs[3]!.input('tav', { say: 'now?' }).then(() => true, () => false)) || undefined);
    await expect(cs[1]!.input('tav', { say: 'still in' })).resolves.toBeNull();
  });

  it('the kind caps player entities too (kind param maxPlayers)', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern', params: { maxPlayers: 2 } });
    const view = await watch(stack, 'tav');
    const cs = [await client(stack), await client(stack), await client(stack)];
    for (const c of cs) await c.input('tav', { move: { id: `player:${c.session}`, dx: 1, dy: 1 } });
    // Inputs apply at the realm's next local tick: once two players are in view, three more
    // frames are more than enough for a third to show up if the cap let it in.
    await until('two players in view', () => players(view).length >= 2);
    const tick = view.tick;
    await until('three more frames', () => view.tick >= tick + 3);
    expect(players(view)).toHaveLength(2);
  });

  it("a player's entities go when it leaves the realm or disconnects (no reconnect grace)", async () => {
    const stack = await startStack({ reconnectGraceMs: 0 });
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    await stack.engine.register({ realm_id: 'lobby', game_id: 'g' });
    const tav = await watch(stack, 'tav');
    const lobby = await watch(stack, 'lobby');
    const npcs = [...tav.entities.values()].filter((e) => e.kind !== 'player').length;

    const a = await client(stack);
    await a.input('tav', { move: { id: `player:${a.session}`, dx: 1, dy: 1 } });
    await until("a's entity", () => tav.entities.has(`player:${a.session}`));
    await a.leave('tav');
    await until("a's entity to go after leave", () => !tav.entities.has(`player:${a.session}`), 5_000);

    const b = await client(stack);
    await b.input('tav', { move: { id: `player:${b.session}`, dx: 1, dy: 1 } });
    await b.input('lobby', { set: { id: 'b-hat', x: 1, y: 1 } });
    await b.input('lobby', { set: { id: 'b-cart', x: 2, y: 1 } });
    await until("b's entities", () => tav.entities.has(`player:${b.session}`) && lobby.entities.has('b-cart'));
    b.close();
    await until("b's entities to go after it disconnected", () => !tav.entities.has(`player:${b.session}`) && lobby.entities.size === 0, 5_000);

    // Many players arriving and leaving at once leave nothing behind.
    const crowd = await Promise.all(new Array(40).fill(0).map(() => client(stack)));
    await Promise.all(crowd.map((c) => c.input('tav', { move: { id: `player:${c.session}`, dx: 1, dy: 0 } })));
    await until('the crowd in the tavern', () => players(tav).length === 40);
    for (const c of crowd) c.close();
    await until('the crowd gone', () => players(tav).length === 0, 5_000);
    expect(tav.entities.size).toBe(npcs);
  });
});
