// Every WebSocket operation against a real engine and a real uWS server: its reply, its
// error codes, and the pushes (state, registry, tick, event, left) it leads to.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import type { StateFrame } from '../protocol/realm.js';
import type { EventPush, LeftPush, RegistryPush, TickPush } from '../protocol/wire.js';
import type { TickverseClient } from '../client/index.js';
import { RawClient, TOKEN, adminClient, client, getJson, startStack, until } from './gateway-helpers.js';

const code = (c: string) => expect.objectContaining({ code: c });

function collect<T>(c: TickverseClient, event: 'event' | 'registry' | 'tick' | 'left'): T[] {
  const out: T[] = [];
  c.on(event, (m: unknown) => out.push(m as T));
  return out;
}

describe('gateway: operations', () => {
  it('hello, ping and auth', async () => {
    const stack = await startStack();
    const raw = await RawClient.open(stack.url);
    const hello = raw.messages[0]!;
    expect(hello).toMatchObject({ op: 'hello', v: 2, server: 'tickverse', authed: false, readNeedsToken: false });
    expect((hello as { session: string }).session).toMatch(/^s/);
    expect((hello as { limits: { maxPayloadBytes: number } }).limits.maxPayloadBytes).toBe(64 * 1024);

    const pong = await raw.call({ op: 'ping', t: 123 });
    expect(pong).toMatchObject({ op: 'reply', ok: true, result: { t: 123, controlTick: expect.any(Number), now: expect.any(Number) } });
    // String ids are echoed as well.
    const s = await raw.call({ op: 'ping', id: 'abc' });
    expect(s.id).toBe('abc');

    const bad = await raw.call({ op: 'auth', token: 'nope' });
    expect(bad).toMatchObject({ ok: false, error: { code: ErrorCode.UNAUTHORIZED } });
    const denied = await raw.call({ op: 'register', realm: { realm_id: 'x', game_id: 'g' } });
    expect(denied).toMatchObject({ ok: false, error: { code: ErrorCode.UNAUTHORIZED, message: expect.stringContaining('token') } });
    for (const op of ['unregister', 'pause', 'resume']) {
      expect(await raw.call({ op, realm: 'x' })).toMatchObject({ ok: false, error: { code: ErrorCode.UNAUTHORIZED } });
    }
    expect(await raw.call({ op: 'publish', type: 'x' })).toMatchObject({ ok: false, error: { code: ErrorCode.UNAUTHORIZED } });
    const ok = await raw.call({ op: 'auth', token: TOKEN });
    expect(ok).toMatchObject({ ok: true, result: { authed: true } });
    expect(await raw.call({ op: 'register', realm: { realm_id: 'x', game_id: 'g' } })).toMatchObject({ ok: true, result: { realmId: 'x', state: 'running' } });
  });

  it('without a token configured, mutating operations are disabled', async () => {
    const stack = await startStack({ token: null });
    const c = await client(stack);
    await expect(c.register({ realm_id: 'x', game_id: 'g' })).rejects.toThrow(code(ErrorCode.UNAUTHORIZED));
    await expect(c.auth('anything-at-all-1234')).rejects.toThrow(code(ErrorCode.UNAUTHORIZED));
    expect((await c.list()).realms).toEqual([]);
  });

  it('register, list, get, entities, stats, unregister — with registry pushes', async () => {
    const stack = await startStack();
    const admin = await adminClient(stack);
    const watcher = await client(stack);
    const pushes = collect<RegistryPush>(watcher, 'registry');
    expect(await watcher.subscribe('registry')).toEqual({ topics: ['registry'] });

    const info = await admin.register({
      realm_id: 'tav',
      game_id: 'demo',
      developer_name: 'Dev',
      description: 'a tavern',
      kind: 'tavern',
      realm_type: 'tavern',
      adjacency: 'cluster_main',
      resonance: 0.7,
      density: 0.4,
    });
    expect(info).toMatchObject({ realmId: 'tav', gameId: 'demo', developerName: 'Dev', kind: 'tavern', state: 'running' });
    expect(info.stat7Canonical).toMatch(/^stat7:tavern\/0\/cluster_main\//);
    await expect(admin.register({ realm_id: 'tav', game_id: 'demo' })).rejects.toThrow(code(ErrorCode.DUPLICATE_REALM));

    expect((await watcher.list()).realms.map((r) => r.realmId)).toEqual(['tav']);
    expect(await watcher.get('tav')).toMatchObject({ realmId: 'tav', kind: 'tavern' });
    const ents = await watcher.entities('tav');
    expect(ents.realm).toBe('tav');
    expect(ents.entities.some((e) => e.id === 'barkeep')).toBe(true);
    const stats = await watcher.stats();
    expect(stats.engine.realms).toBe(1);
    expect(stats.gateway.connections).toBe(2);

    await until('a "registered" push', () => pushes.find((p) => p.change === 'registered' && p.realm.realmId === 'tav'));
    expect(await admin.unregister('tav')).toEqual({ realm: 'tav' });
    await expect(watcher.get('tav')).rejects.toThrow(code(ErrorCode.UNKNOWN_REALM));
    await until('an "unregistered" push', () => pushes.find((p) => p.change === 'unregistered' && p.realm.realmId === 'tav'));

    expect(await watcher.unsubscribe('registry')).toEqual({ topics: [] });
  });

  it('a client joining a realm sees its NPCs move', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    const c = await client(stack);
    const view = await c.join('tav');
    await view.ready();
    expect(view.synced).toBe(true);
    expect(view.entities.get('barkeep')).toMatchObject({ kind: 'npc', name: 'Barkeep Brannoc' });
    const first = new Map([...view.entities].map(([id, e]) => [id, `${e.x},${e.y}`]));
    await until('an NPC to move', () => [...view.entities].some(([id, e]) => first.has(id) && first.get(id) !== `${e.x},${e.y}`));
    expect(view.gaps).toBe(0);
    expect(view.frames).toBeGreaterThan(1);
    expect(stack.gateway.stats()).toMatchObject({ streams: 1, joined: 1 });

    // Joining again is harmless (the current picture is resent); leaving stops the stream.
    await c.join('tav');
    expect(await c.leave('tav')).toEqual({ realm: 'tav' });
    expect(stack.gateway.stats()).toMatchObject({ streams: 0, joined: 0 });
    await expect(c.join('nope')).rejects.toThrow(code(ErrorCode.UNKNOWN_REALM));
  });

  it('a late joiner gets the cached keyframe + deltas, and the realm keeps one engine watch', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    const a = await client(stack);
    const va = await a.join('tav');
    await va.ready();
    await until('a few frames', () => va.frames >= 4);
    const b = await RawClient.open(stack.url);
    expect((await b.call({ op: 'join', realm: 'tav' })).ok).toBe(true);
    const frames = await until('b to get a keyframe and a delta', () => {
      const f = b.messages.filter((m): m is StateFrame => m.op === 'state');
      return f.length >= 2 && f.some((x) => !x.key) ? f : undefined;
    });
    expect(frames[0]!.key).toBe(true);
    for (let i = 1; i < frames.length; i++) if (!frames[i]!.key) expect(frames[i]!.seq).toBe(frames[i - 1]!.seq + 1);
    // `keyframe` on a joined realm resends the picture to this client only.
    const before = b.messages.length;
    expect(await b.call({ op: 'keyframe', realm: 'tav' })).toMatchObject({ ok: true, result: { realm: 'tav' } });
    await b.waitFor('a keyframe after the keyframe request', (m) => b.messages.indexOf(m) >= before && m.op === 'state' && m.key === true);
    expect(va.gaps).toBe(0);
  });

  it('a cross-realm event published by one client reaches the target realm and a subscriber', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'sink', game_id: 'g', subscribe: ['greeting'] });
    await stack.engine.register({ realm_id: 'other', game_id: 'g', adjacency: 'cluster_far' });
    const publisher = await adminClient(stack);
    const sub = await client(stack);
    const events = collect<EventPush>(sub, 'event');
    await sub.subscribe('event:greeting', 'to:sink');

    const data = { text: 'hello', n: 42, nested: { list: [1, 'two', null, true], f: 1.5 } };
    const receipt = await publisher.publish({ type: 'greeting', to: 'sink', data });
    expect(receipt).toEqual({ controlTick: expect.any(Number), seq: expect.any(Number) });
    const got = await until('the event push', () => events.find((e) => e.seq === receipt.seq && e.via === 'unicast'));
    expect(got).toMatchObject({ op: 'event', from: 'external', type: 'greeting', to: ['sink'], data });
    // Subscribed to two matching topics: delivered once per topic.
    await until('the second copy (to:sink)', () => events.filter((e) => e.seq === receipt.seq).length === 2);
    await until('the sink realm to have received it', async () => (await publisher.get('sink')).eventsIn >= 1);

    // Broadcast to subscribers of the type, and a STAT7 selector.
    const b = await publisher.publish({ type: 'greeting', data: 'all' });
    const bc = await until('the broadcast push', () => events.find((e) => e.seq === b.seq));
    expect(bc).toMatchObject({ via: 'broadcast', to: ['sink'], data: 'all' });
    const s = await publisher.publish({ type: 'greeting', selector: { adjacency: 'cluster_far' }, data: null });
    const sel = await until('the selector push', () => events.find((e) => e.seq === s.seq));
    expect(sel).toMatchObject({ via: 'selector', to: ['other'], data: null });
    await expect(publisher.publish({ type: 'greeting', to: 'nope' })).rejects.toThrow(code(ErrorCode.UNKNOWN_REALM));
    await expect(publisher.publish({ type: 'x', selector: { colour: 'red' } as never })).rejects.toThrow(code(ErrorCode.INVALID_SELECTOR));
  });

  it('events emitted by realms reach event:* subscribers', async () => {
    const stack = await startStack({}, { tickHz: 50 });
    const sub = await client(stack);
    const events = collect<EventPush>(sub, 'event');
    await sub.subscribe('event:*');
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern', adjacency: 'a1' });
    await stack.engine.register({ realm_id: 'forest', game_id: 'g', kind: 'forest', adjacency: 'a1' });
    // The tavern rings a bell every 50 ticks (broadcast to subscribers of "bell": the forest).
    const bell = await until('the tavern bell reaching the forest', () => events.find((e) => e.type === 'bell' && e.from === 'tav' && e.to.length > 0));
    expect(bell).toMatchObject({ via: 'broadcast', to: ['forest'] });
    const hello = await until('the forest hello event', () => events.find((e) => e.type === 'hello' && e.from === 'forest'));
    expect(hello.via).toBe('selector');
    expect(hello.to).toContain('tav');
    expect(hello.data).toEqual({ from: 'forest' });
  });

  it('player input drives a relay realm; joined clients see the entity appear and go', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'lobby', game_id: 'g' });
    const player = await client(stack);
    const view = await player.join('lobby');
    expect(await player.input('lobby', { set: { id: 'p1', x: 3, y: 4, hp: 10, name: 'Ann' } })).toBeNull();
    const e = await until('entity p1 to appear', () => view.entities.get('p1'));
    expect(e).toMatchObject({ id: 'p1', x: 3, y: 4, hp: 10, name: 'Ann' });
    await player.input('lobby', { set: { id: 'p1', x: 5, y: 4 } });
    await until('p1 to move', () => view.entities.get('p1')?.x === 5);
    await player.input('lobby', { remove: 'p1' });
    await until('p1 to go', () => !view.entities.has('p1'));
    expect(view.gaps).toBe(0);
    await expect(player.input('nope', {})).rejects.toThrow(code(ErrorCode.UNKNOWN_REALM));
  });

  it('player names: the session id unless authenticated', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    const anon = await client(stack);
    const view = await anon.join('tav');
    await anon.input('tav', { move: { id: `player:${anon.session}`, dx: 1, dy: 0 } }, 'someone-else');
    await until('the anonymous player entity', () => view.entities.get(`player:${anon.session}`));
    expect(view.entities.has('player:someone-else')).toBe(false);
    const admin = await adminClient(stack);
    await admin.input('tav', { move: { id: 'player:bot-7', dx: 1, dy: 0 } }, 'bot-7');
    await until('the named player entity', () => view.entities.get('player:bot-7'));
  });

  it('pause and resume', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    const admin = await adminClient(stack);
    const pushes = collect<RegistryPush>(admin, 'registry');
    await admin.subscribe('registry');
    expect(await admin.pause('tav')).toMatchObject({ realmId: 'tav', state: 'paused' });
    await until('a state push for the pause', () => pushes.find((p) => p.change === 'state' && p.realm.state === 'paused'));
    const tick = (await admin.get('tav')).localTick;
    await stack.engine.onControlTick(stack.engine.controlTick + 2);
    expect((await admin.get('tav')).localTick).toBe(tick);
    expect(await admin.resume('tav')).toMatchObject({ state: 'running' });
    await until('local ticks to advance again', async () => (await admin.get('tav')).localTick > tick);
    await expect(admin.pause('nope')).rejects.toThrow(code(ErrorCode.UNKNOWN_REALM));
  });

  it('control-tick summaries for ticks subscribers', async () => {
    const stack = await startStack();
    const c = await client(stack);
    const ticks = collect<TickPush>(c, 'tick');
    await c.subscribe('ticks');
    await until('three tick pushes', () => ticks.length >= 3);
    expect(ticks[0]).toMatchObject({ op: 'tick', ct: expect.any(Number), durationMs: expect.any(Number), barrierMs: expect.any(Number), shards: [expect.objectContaining({ shard: 0 })] });
    expect(ticks[1]!.ct).toBe(ticks[0]!.ct + 1);
  });

  it('joined clients are told when a realm is unregistered', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    const c = await client(stack);
    const left = collect<LeftPush>(c, 'left');
    await (await c.join('tav')).ready();
    await stack.engine.unregister('tav');
    await until('a "left" push', () => left.find((l) => l.realm === 'tav'));
    expect(left[0]).toEqual({ op: 'left', realm: 'tav', reason: 'unregistered' });
    expect(c.realm('tav')).toBeUndefined();
    expect(stack.gateway.stats().streams).toBe(0);
  });

  it('limits: joins and topics per connection', async () => {
    const stack = await startStack({ maxJoins: 2, maxTopics: 2 });
    for (const id of ['a', 'b', 'c']) await stack.engine.register({ realm_id: id, game_id: 'g' });
    const c = await client(stack);
    await c.join('a');
    await c.join('b');
    await expect(c.join('c')).rejects.toThrow(code(ErrorCode.LIMIT_EXCEEDED));
    await c.subscribe('registry', 'ticks');
    await expect(c.subscribe('event:x')).rejects.toThrow(code(ErrorCode.LIMIT_EXCEEDED));
    await c.leave('a');
    await c.join('c');
  });

  it('readNeedsToken: reading and joining need the token too', async () => {
    const stack = await startStack({ readNeedsToken: true });
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    const anon = await client(stack);
    expect(anon.hello?.readNeedsToken).toBe(true);
    await expect(anon.list()).rejects.toThrow(code(ErrorCode.UNAUTHORIZED));
    await expect(anon.join('tav')).rejects.toThrow(code(ErrorCode.UNAUTHORIZED));
    await expect(anon.subscribe('registry')).rejects.toThrow(code(ErrorCode.UNAUTHORIZED));
    await expect(anon.input('tav', {})).rejects.toThrow(code(ErrorCode.UNAUTHORIZED));
    expect((await anon.ping()).now).toBeGreaterThan(0);
    const authed = await adminClient(stack);
    expect((await authed.list()).realms).toHaveLength(1);
    expect((await getJson(`${stack.http}/api/realms`)).status).toBe(401);
    expect((await getJson(`${stack.http}/api/health`)).status).toBe(200);
  });

  it('keyframe requires a joined realm', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    const c = await client(stack);
    await expect(c.keyframe('tav')).rejects.toThrow(code(ErrorCode.BAD_REQUEST));
  });
});
