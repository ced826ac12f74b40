// Game-scoped tokens: the register reply carries a token that lets the game's server write to
// that game's realms only; anonymous connections may not make a relay emit events.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import { CloseCode, type EventPush, type HelloPush } from '../protocol/wire.js';
import { RawClient, TOKEN, startStack, until, type Stack } from './gateway-helpers.js';

const entityIds = async (stack: Stack, realm: string): Promise<string[]> => (await stack.engine.entities(realm)).map((e) => e.id);

async function registerGame(stack: Stack, realm: string, game: string): Promise<string> {
  const admin = await RawClient.open(`${stack.url}?token=${TOKEN}`);
  const r = await admin.call({ op: 'register', realm: { realm_id: realm, game_id: game } });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return (r.result as { gameToken: string }).gameToken;
}

describe('game-scoped tokens', () => {
  it('a game token writes to its own game realms and is refused (FORBIDDEN) elsewhere; it grants no admin op', async () => {
    const stack = await startStack();
    const token = await registerGame(stack, 'mine', 'g1');
    await registerGame(stack, 'theirs', 'g2');
    expect(token).toMatch(/^tvg\.g1\.[A-Za-z0-9_-]{43}$/);
    const game = await RawClient.open(`${stack.url}?token=${encodeURIComponent(token)}`);
    expect(game.messages[0]).toMatchObject({ authed: false, game: 'g1' } satisfies Partial<HelloPush>);
    expect((await game.call({ op: 'input', realm: 'mine', data: { set: { id: 'crate', x: 1, y: 2 } }, player: 'bot-1' })).ok).toBe(true);
    await until('the crate in its own realm', async () => (await entityIds(stack, 'mine')).includes('crate'));
    const other = await game.call({ op: 'input', realm: 'theirs', data: { set: { id: 'graffiti', x: 0, y: 0 } } });
    expect(other).toMatchObject({ ok: false, error: { code: ErrorCode.FORBIDDEN } });
    expect(await game.call({ op: 'publish', type: 'x', to: 'theirs' })).toMatchObject({ ok: false, error: { code: ErrorCode.UNAUTHORIZED } });
    expect(await game.call({ op: 'unregister', realm: 'theirs' })).toMatchObject({ ok: false, error: { code: ErrorCode.UNAUTHORIZED } });
    // The same token through `auth`; a token edited to name another game is wrong (close 4001).
    const later = await RawClient.open(stack.url);
    expect(await later.call({ op: 'auth', token })).toMatchObject({ ok: true, result: { authed: true, game: 'g1' } });
    const forged = new RawClient(`${stack.url}?token=${encodeURIComponent(token.replace('tvg.g1.', 'tvg.g2.'))}`);
    expect((await forged.closed).code).toBe(CloseCode.UNAUTHORIZED);
    expect(await entityIds(stack, 'theirs')).toEqual([]);
  });

  it('a relay never emits for an anonymous player (FORBIDDEN); the player may still keep its own entity', async () => {
    const stack = await startStack();
    const token = await registerGame(stack, 'relay', 'g1');
    await stack.engine.register({ realm_id: 'sink', game_id: 'g1' });
    await stack.engine.register({ realm_id: 'tav', game_id: 'g1', kind: 'tavern', params: { merchant: false } });
    const watcher = await RawClient.open(stack.url);
    expect((await watcher.call({ op: 'subscribe', topics: ['event:*'] })).ok).toBe(true);
    const anon = await RawClient.open(stack.url);
    const emit = await anon.call({ op: 'input', realm: 'relay', data: { emit: { type: 'spam', to: 'sink' } } });
    expect(emit).toMatchObject({ ok: false, error: { code: ErrorCode.FORBIDDEN } });
    const set = await anon.call({ op: 'input', realm: 'relay', data: { set: { id: 'mine', x: 0, y: 0 } } });
    expect(set.ok).toBe(true);
    // Players still play hosted kinds as themselves.
    expect((await anon.call({ op: 'input', realm: 'tav', data: { say: 'hi' } })).ok).toBe(true);
    // The game's own server may emit: its event arrives, the anonymous one never did.
    const game = await RawClient.open(`${stack.url}?token=${encodeURIComponent(token)}`);
    expect((await game.call({ op: 'input', realm: 'relay', data: { emit: { type: 'legit', to: 'sink' } } })).ok).toBe(true);
    await watcher.waitFor<EventPush>('the game server event', (m) => m.op === 'event' && m.type === 'legit');
    expect(watcher.messages.some((m) => m.op === 'event' && m.type === 'spam')).toBe(false);
    expect(await entityIds(stack, 'relay')).toEqual(['mine']);
  });
});
