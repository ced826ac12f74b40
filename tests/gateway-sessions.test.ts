// Player sessions: a player that reconnects with its resume token within the grace window is
// the same player (same name, same entity, a fresh keyframe of its realms); past the grace its
// entity is removed; one player identity has at most maxConnectionsPerPlayer connections.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import type { EntityView, StateFrame } from '../protocol/realm.js';
import { CloseCode, type HelloPush } from '../protocol/wire.js';
import { RawClient, startStack, until, type Stack } from './gateway-helpers.js';

const hello = (c: RawClient): HelloPush => c.messages[0] as HelloPush;
const resumeUrl = (stack: Stack, token: string): string => `${stack.url}?resume=${encodeURIComponent(token)}`;

async function entity(stack: Stack, realm: string, id: string): Promise<EntityView | undefined> {
  return (await stack.engine.entities(realm)).find((e) => e.id === id);
}

/** A player in tavern "tav": joined, and its entity created by a move. */
async function seatedPlayer(stack: Stack, url = stack.url): Promise<{ c: RawClient; id: string }> {
  const c = await RawClient.open(url);
  expect((await c.call({ op: 'join', realm: 'tav' })).ok).toBe(true);
  expect((await c.call({ op: 'input', realm: 'tav', data: { move: { dx: 1, dy: 0 } } })).ok).toBe(true);
  const id = `player:${hello(c).session}`;
  await until(`${id} in the tavern`, () => entity(stack, 'tav', id));
  return { c, id };
}

/** The HTTP status and JSON body of a WebSocket upgrade request (refusals have a body). */
function upgrade(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () =>
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`),
    );
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? '0');
      if (buf.length < end + 4 + length) return;
      s.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), body: buf.subarray(end + 4, end + 4 + length).toString('utf8') });
    });
    s.on('error', reject);
  });
}

describe('player sessions', () => {
  it('hello carries an unguessable resume token (≥ 128 random bits), separate from the public player name', async () => {
    const stack = await startStack({ reconnectGraceMs: 5_000 });
    const tokens = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const h = hello(await RawClient.open(stack.url));
      expect(h).toMatchObject({ resumed: false, rejoined: [], reconnectGraceMs: 5_000 });
      const [name, secret] = h.resume.split('.');
      expect(name).toBe(h.session);
      expect(Buffer.from(secret!, 'base64url').length).toBeGreaterThanOrEqual(16);
      tokens.add(secret!);
    }
    expect(tokens.size).toBe(10);
  });

  it('reconnecting within the grace resumes the same player: same name, same entity, a fresh keyframe of its realms', async () => {
    const stack = await startStack({ reconnectGraceMs: 10_000, sweepMs: 20 });
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern', params: { merchant: false } });
    const { c, id } = await seatedPlayer(stack);
    const first = hello(c);
    const before = (await entity(stack, 'tav', id))!;
    c.ws.terminate(); // a dropped network, no close handshake
    await until('the gateway to see the drop', () => stack.gateway.stats().connections === 0);

    const back = await RawClient.open(resumeUrl(stack, first.resume));
    expect(hello(back)).toMatchObject({ session: first.session, resumed: true, rejoined: ['tav'], resume: first.resume });
    // Rejoined without asking: the tavern's picture arrives, holding the entity it left behind.
    const key = await back.waitFor<StateFrame>('a tavern keyframe after the resume', (m) => m.op === 'state' && m.realm === 'tav' && m.key === true);
    expect(key.spawn).toContain(id);
    // Its inputs are the same player's: the old entity moves (a new player would get a second one).
    expect((await back.call({ op: 'input', realm: 'tav', data: { move: { dx: before.x < 10 ? 4 : -4, dy: 0 } } })).ok).toBe(true);
    await until('the same entity to move', async () => Math.abs(((await entity(stack, 'tav', id))?.x ?? before.x) - before.x) > 2);
    const players = (await stack.engine.entities('tav')).filter((e) => e.kind === 'player');
    expect(players.map((e) => e.id)).toEqual([id]);
  });

  it('past the grace the player leaves: its entity is removed and the old token starts a new player', async () => {
    const stack = await startStack({ reconnectGraceMs: 300, sweepMs: 20 });
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern', params: { merchant: false } });
    const { c, id } = await seatedPlayer(stack);
    const first = hello(c);
    c.ws.close();
    await until(`${id} removed after the grace`, async () => (await entity(stack, 'tav', id)) === undefined);
    const late = await RawClient.open(resumeUrl(stack, first.resume));
    expect(hello(late)).toMatchObject({ resumed: false, rejoined: [] });
    expect(hello(late).session).not.toBe(first.session);
    // A forged token (right name, wrong secret) resumes nothing either.
    const live = await RawClient.open(stack.url);
    const forged = `${hello(live).session}.${'A'.repeat(43)}`;
    expect(hello(await RawClient.open(resumeUrl(stack, forged)))).toMatchObject({ resumed: false });
  });

  it('an idle-timeout close (4004) keeps the player for the grace too', async () => {
    const stack = await startStack({ idleTimeoutMs: 600, sweepMs: 20, reconnectGraceMs: 10_000 });
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern', params: { merchant: false } });
    const { c, id } = await seatedPlayer(stack);
    c.ws.pauseReading(); // cannot answer the server's ping
    await until('the idle close', () => stack.gateway.stats().connections === 0);
    c.ws.resumeReading();
    expect((await c.waitClosed()).code).toBe(CloseCode.IDLE_TIMEOUT);
    const back = await RawClient.open(resumeUrl(stack, hello(c).resume));
    expect(hello(back)).toMatchObject({ session: hello(c).session, resumed: true });
    expect(await entity(stack, 'tav', id)).toBeDefined();
  });

  it('one player has at most maxConnectionsPerPlayer connections (HTTP 429 PLAYER_CONNECTION_LIMIT); they share one seat', async () => {
    const stack = await startStack({ maxConnectionsPerPlayer: 2, reconnectGraceMs: 0 });
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern', params: { merchant: false } });
    const { c: a, id } = await seatedPlayer(stack);
    const token = hello(a).resume;
    const b = await RawClient.open(resumeUrl(stack, token));
    expect(hello(b)).toMatchObject({ session: hello(a).session, resumed: true });
    const refused = await upgrade(stack.gateway.port, `/ws?resume=${encodeURIComponent(token)}`);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: ErrorCode.PLAYER_CONNECTION_LIMIT } });
    expect(refused.body).not.toContain(token.split('.')[1]);
    // Both connections are one player: b's inputs move a's entity, and a leaving does not remove it.
    expect((await b.call({ op: 'input', realm: 'tav', data: { say: 'still here' } })).ok).toBe(true);
    a.ws.close();
    await until('a slot to free', () => stack.gateway.stats().connections === 1);
    const again = await RawClient.open(resumeUrl(stack, token));
    expect(hello(again).resumed).toBe(true);
    await stack.engine.onControlTick(stack.engine.controlTick + 3); // no grace: a leave would have landed by now
    expect(await entity(stack, 'tav', id)).toBeDefined();
    // The last connection gone (no grace configured): the player leaves at once.
    b.ws.close();
    again.ws.close();
    await until(`${id} removed`, async () => (await entity(stack, 'tav', id)) === undefined);
  });
});
