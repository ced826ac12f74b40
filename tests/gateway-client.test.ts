// The client SDK: request/reply, timeouts, the live entity map with gap detection, and
// reconnect with backoff that restores auth, subscriptions and joins.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import type { StateFrame } from '../protocol/realm.js';
import { Backoff, RealmView, TickverseClient } from '../client/index.js';
import { NodeWebSocket } from '../client/node-ws.js';
import { TOKEN, client, startStack, until } from './gateway-helpers.js';

const code = (c: string) => expect.objectContaining({ code: c });

/** Wire v2 frames of a whole-realm stream with fields x, y (integers): entity [handle, id, x]. */
type Ent = [number, string, number];
const spawn = (ents: Ent[]): number[] | (string | number)[] => ents.flatMap(([h, id, x]) => [h, id, 'npc', x, 0]);
const keyframe = (seq: number, ents: Ent[]): StateFrame => ({ op: 'state', realm: 'r', seq, tick: seq, at: 0, key: true, fields: ['x', 'y'], scale: [1, 1], spawn: spawn(ents) });
/** A delta moving entity `h` (the only record) by dx, and removing handles `gone`. */
const delta = (seq: number, h: number, dx: number, gone: number[] = []): StateFrame => ({ op: 'state', realm: 'r', seq, tick: seq, at: 0, update: [h, 1, dx], gone });

/** A NodeWebSocket whose instances the test can reach (to cut the connection under the client). */
function trackedSockets(): { Ctor: typeof NodeWebSocket; sockets: NodeWebSocket[] } {
  const sockets: NodeWebSocket[] = [];
  class Tracked extends NodeWebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return { Ctor: Tracked, sockets };
}

describe('client: RealmView', () => {
  it('applies keyframes and in-order deltas, detects gaps, ignores stale frames', () => {
    const v = new RealmView('r');
    expect(v.apply(delta(5, 0, 1))).toBe('waiting');
    expect(v.synced).toBe(false);
    expect(v.apply(keyframe(6, [[0, 'a', 1], [1, 'b', 2]]))).toBe('keyframe');
    expect([...v.entities.keys()]).toEqual(['a', 'b']);
    expect(v.entities.get('a')).toEqual({ id: 'a', kind: 'npc', x: 1, y: 0 });
    expect(v.apply(delta(7, 0, 4, [1]))).toBe('delta');
    expect(v.entities.get('a')?.x).toBe(5);
    expect(v.entities.has('b')).toBe(false);
    expect(v.apply(delta(7, 0, 4))).toBe('stale');
    expect(v.entities.get('a')?.x).toBe(5);
    expect(v.apply(delta(9, 0, 4))).toBe('gap');
    expect(v.synced).toBe(false);
    expect(v.gaps).toBe(1);
    expect(v.apply(delta(10, 0, 1))).toBe('waiting');
    expect(v.entities.get('a')?.x).toBe(5);
    expect(v.apply(keyframe(11, [[4, 'c', 3]]))).toBe('keyframe');
    expect([...v.entities.keys()]).toEqual(['c']);
    expect(v.seq).toBe(11);
  });

  it('ready() resolves on the next keyframe', async () => {
    const v = new RealmView('r');
    const ready = v.ready();
    v.apply(keyframe(1, [[0, 'a', 1]]));
    await expect(ready).resolves.toBe(v);
  });
});

describe('client: Backoff', () => {
  it('grows exponentially, caps, jitters, resets and gives up', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0, maxAttempts: 6 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000, 1000, null]);
    b.reset();
    expect(b.next()).toBe(100);
    const j = new Backoff({ initialMs: 1000, jitter: 0.5 }, () => 0);
    expect(j.next()).toBe(500);
    const k = new Backoff({ initialMs: 1000, jitter: 0.5 }, () => 1);
    expect(k.next()).toBe(1500);
  });
});

describe('client: TickverseClient', () => {
  it('validates its url and needs a WebSocket implementation on Node 20', () => {
    expect(() => new TickverseClient({ url: 'http://x' })).toThrow(code(ErrorCode.INVALID_OPTION));
    if (typeof (globalThis as { WebSocket?: unknown }).WebSocket !== 'function') {
      expect(() => new TickverseClient({ url: 'ws://127.0.0.1:1/ws' })).toThrow(/NodeWebSocket/);
    }
  });

  it('connect() fails with DISCONNECTED when nobody listens; requests fail when not connected', async () => {
    const c = new TickverseClient({ url: 'ws://127.0.0.1:1/ws', WebSocket: NodeWebSocket, reconnect: false });
    await expect(c.connect()).rejects.toThrow(code(ErrorCode.DISCONNECTED));
    await expect(c.ping()).rejects.toThrow(code(ErrorCode.DISCONNECTED));
    c.close();
  });

  it('authenticates with options.token and times requests out', async () => {
    const stack = await startStack();
    const c = await client(stack, { token: TOKEN, requestTimeoutMs: 5000 });
    expect(c.state).toBe('open');
    await c.register({ realm_id: 'r1', game_id: 'g' });
    // A request the server answers slowly: entities of a realm whose shard queries are fine, with a 1 ms timeout.
    await expect(c.request('entities', { realm: 'r1' }, 1)).rejects.toThrow(code(ErrorCode.TIMEOUT));
    const wrong = new TickverseClient({ url: stack.url, WebSocket: NodeWebSocket, token: 'wrong-token-0123456789', reconnect: false });
    await expect(wrong.connect()).rejects.toThrow(code(ErrorCode.UNAUTHORIZED));
    wrong.close();
  });

  it('pending requests fail with DISCONNECTED when the connection drops', async () => {
    const stack = await startStack();
    const { Ctor, sockets } = trackedSockets();
    const c = await client(stack, { WebSocket: Ctor, reconnect: false });
    await stack.engine.register({ realm_id: 'r', game_id: 'g' });
    const pending = c.entities('r');
    sockets[0]!.terminate();
    await expect(pending).rejects.toThrow(code(ErrorCode.DISCONNECTED));
    await until('the client to report closed', () => c.state === 'closed');
  });

  it('reconnects with backoff and resyncs auth, subscriptions and joined realms from a keyframe', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    const { Ctor, sockets } = trackedSockets();
    const c = await client(stack, { WebSocket: Ctor, token: TOKEN, reconnect: { initialMs: 20, maxMs: 200 } });
    const opens: boolean[] = [];
    c.on('open', (_h, { resumed }) => opens.push(resumed));
    const reconnecting: number[] = [];
    c.on('reconnecting', ({ attempt }) => reconnecting.push(attempt));
    const registry: unknown[] = [];
    c.on('registry', (m) => registry.push(m));
    await c.subscribe('registry');
    const view = await c.join('tav');
    await view.ready();
    const keyframes = view.keyframes;
    const firstSession = c.session;

    sockets[0]!.terminate();
    await until('the client to reconnect', () => opens.includes(true));
    expect(reconnecting).toEqual([1]);
    expect(sockets).toHaveLength(2);
    // Within the reconnect grace the SDK resumes with `?resume=`: the same player.
    expect(c.session).toBe(firstSession);
    expect(c.hello?.resumed).toBe(true);
    await view.ready();
    expect(view.keyframes).toBeGreaterThan(keyframes);
    const frames = view.frames;
    await until('frames to flow again', () => view.frames > frames + 2);
    // Auth was restored (register needs the token), and so was the registry subscription.
    await c.register({ realm_id: 'after', game_id: 'g' });
    await until('a registry push after the reconnect', () => registry.length > 0);
    expect(stack.gateway.stats().streams).toBe(1);
  });

  it('asks for a keyframe by itself when the stream has a gap', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    const c = await client(stack);
    const view = await c.join('tav');
    await view.ready();
    const keys = view.keyframes;
    // Simulate a lost delta: the next real delta of the realm's stream then looks like a gap.
    view.model.streams.get('')!.seq -= 1;
    await until('the view to notice the gap and resync', () => view.gaps === 1 && view.synced && view.keyframes > keys);
  });

  it('a server shutdown closes with 1001 and the client starts reconnecting', async () => {
    const stack = await startStack();
    const c = await client(stack, { reconnect: { initialMs: 50, maxMs: 100, maxAttempts: 2 } });
    const closes: { code: number; willReconnect: boolean }[] = [];
    c.on('close', (e) => closes.push(e));
    const reconnecting: number[] = [];
    c.on('reconnecting', ({ attempt }) => reconnecting.push(attempt));
    const errors: Error[] = [];
    c.on('error', (e) => errors.push(e));
    await stack.gateway.close();
    await until('the close event', () => closes[0]);
    expect(closes[0]).toMatchObject({ code: 1001, willReconnect: true });
    await until('the client to give up after 2 attempts', () => c.state === 'closed' && errors.length > 0);
    expect(reconnecting).toEqual([1, 2]);
    expect(errors[0]).toMatchObject({ code: ErrorCode.DISCONNECTED });
  });
});
