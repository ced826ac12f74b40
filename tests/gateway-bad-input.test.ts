// Hostile and broken clients: every case ends in the documented error reply or close code,
// and the server, the other connections and the realms carry on.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import { CloseCode, type ReplyError, type ReplyOk, type ServerMessage } from '../protocol/wire.js';
import type { StateFrame } from '../protocol/realm.js';
import { encode } from '../client/codec.js';
import { WsOpcode } from '../client/node-ws.js';
import { RawClient, TOKEN, adminClient, client, getJson, startStack, until, type Stack } from './gateway-helpers.js';
import { hostileCorpus } from './hardening-gateway-corpus.js';

/** A second, well-behaved client that must keep receiving frames whatever the others do. */
async function bystander(stack: Stack, realm: string) {
  const c = await client(stack);
  const view = await c.join(realm);
  await view.ready();
  return {
    /** Resolves after the bystander's view advanced by `n` more frames. */
    async advances(n = 3): Promise<void> {
      const from = view.frames;
      await until(`bystander to receive ${n} more frames of ${realm}`, () => view.frames >= from + n);
      expect(view.synced).toBe(true);
    },
  };
}

async function healthy(stack: Stack): Promise<void> {
  const tick = stack.engine.controlTick;
  await stack.engine.onControlTick(tick + 2);
  const h = await getJson(`${stack.http}/api/health`);
  expect(h.status).toBe(200);
  expect((h.body as { status: string }).status).toBe('ok');
}

function errorOf(m: unknown): ReplyError['error'] {
  const r = m as ReplyError;
  expect(r.op).toBe('reply');
  expect(r.ok).toBe(false);
  return r.error;
}

/** msgpack map header + string key helpers for hand-made frames. */
const str = (s: string): number[] => [0xa0 | s.length, ...Buffer.from(s)];

describe('gateway: bad input', () => {
  it('answers each malformed or invalid message with a documented error, on the same connection', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    const other = await bystander(stack, 'tav');
    const raw = await RawClient.open(stack.url);

    const corpus: { name: string; bytes: Uint8Array; code: string; id?: number | string | null }[] = [
      { name: 'garbage bytes', bytes: new Uint8Array([0xc1, 0xff, 0x00]), code: ErrorCode.BAD_FRAME, id: null },
      { name: 'truncated map', bytes: new Uint8Array([0x82, ...str('op'), ...str('ping')]), code: ErrorCode.BAD_FRAME },
      { name: 'not a map (array)', bytes: encode([1, 2, 3]), code: ErrorCode.BAD_FRAME, id: null },
      { name: 'not a map (string)', bytes: encode('ping'), code: ErrorCode.BAD_FRAME, id: null },
      { name: 'empty message', bytes: new Uint8Array(0), code: ErrorCode.BAD_FRAME, id: null },
      { name: 'trailing bytes', bytes: new Uint8Array([...encode({ op: 'ping', id: 1 }), 0x00]), code: ErrorCode.BAD_FRAME },
      { name: 'map32 claiming 4 billion entries', bytes: new Uint8Array([0xdf, 0xff, 0xff, 0xff, 0xff, ...str('op')]), code: ErrorCode.BAD_FRAME, id: null },
      { name: 'str32 longer than the message', bytes: new Uint8Array([0x81, ...str('op'), 0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61]), code: ErrorCode.BAD_FRAME, id: null },
      { name: 'array32 longer than the message', bytes: new Uint8Array([0x81, ...str('xs'), 0xdd, 0x7f, 0xff, 0xff, 0xff, 0x01]), code: ErrorCode.BAD_FRAME, id: null },
      { name: 'deep nesting (10,000 arrays)', bytes: new Uint8Array([0x81, ...str('x'), ...new Array<number>(10_000).fill(0x91), 0x00]), code: ErrorCode.BAD_FRAME, id: null },
      { name: 'extension type (msgpackr record / timestamp)', bytes: new Uint8Array([0x82, ...str('op'), ...str('ping'), ...str('id'), 0xd6, 0xff, 0, 0, 0, 1]), code: ErrorCode.BAD_FRAME },
      { name: 'missing id', bytes: encode({ op: 'ping' }), code: ErrorCode.BAD_REQUEST, id: null },
      { name: 'id of the wrong type', bytes: encode({ op: 'ping', id: { x: 1 } }), code: ErrorCode.BAD_REQUEST, id: null },
      { name: 'negative id', bytes: encode({ op: 'ping', id: -5 }), code: ErrorCode.BAD_REQUEST, id: null },
      { name: 'op of the wrong type', bytes: encode({ op: 7, id: 'a' }), code: ErrorCode.BAD_REQUEST, id: 'a' },
      { name: 'unknown op', bytes: encode({ op: 'explode', id: 'b' }), code: ErrorCode.UNKNOWN_OP, id: 'b' },
      { name: 'join without realm', bytes: encode({ op: 'join', id: 'c' }), code: ErrorCode.BAD_REQUEST, id: 'c' },
      { name: 'join with a numeric realm', bytes: encode({ op: 'join', id: 'd', realm: 42 }), code: ErrorCode.BAD_REQUEST, id: 'd' },
      { name: 'hostile realm length', bytes: encode({ op: 'get', id: 'e', realm: 'r'.repeat(5000) }), code: ErrorCode.BAD_REQUEST, id: 'e' },
      { name: 'subscribe to a bogus topic', bytes: encode({ op: 'subscribe', id: 'f', topics: ['../../etc'] }), code: ErrorCode.BAD_REQUEST, id: 'f' },
      { name: 'subscribe with too many topics', bytes: encode({ op: 'subscribe', id: 'g', topics: new Array(100).fill('registry') }), code: ErrorCode.BAD_REQUEST, id: 'g' },
      { name: 'input without data', bytes: encode({ op: 'input', id: 'h', realm: 'tav' }), code: ErrorCode.BAD_REQUEST, id: 'h' },
      { name: 'ping with a string t', bytes: encode({ op: 'ping', id: 'i', t: 'now' }), code: ErrorCode.BAD_REQUEST, id: 'i' },
      // Admin ops are refused before their fields are read (shapes are checked for authenticated clients: next test).
      { name: 'register with a list, no token', bytes: encode({ op: 'register', id: 'j', realm: [1] }), code: ErrorCode.UNAUTHORIZED, id: 'j' },
      { name: 'publish with to and selector, no token', bytes: encode({ op: 'publish', id: 'k', type: 'x', to: 'tav', selector: { realm: 'x' } }), code: ErrorCode.UNAUTHORIZED, id: 'k' },
      // Deep chains and lies in every field, huge and odd ids, wide maps (issue 11).
      ...hostileCorpus().map((c) => ({ name: c.name, bytes: c.bytes, code: c.code, id: c.id })),
    ];
    for (let i = 0; i < corpus.length; i++) {
      const c = corpus[i]!;
      const before = raw.messages.length;
      raw.sendBytes(c.bytes);
      const m = await raw.next(`reply to "${c.name}"`, (x) => x.op === 'reply');
      expect((m as ReplyError).ok, c.name).toBe(false);
      const err = errorOf(m);
      expect(err.code, c.name).toBe(c.code);
      expect(err.message.length, c.name).toBeGreaterThan(5);
      if (c.id !== undefined) expect((m as ReplyError).id, c.name).toBe(c.id);
      expect(raw.messages.length).toBeGreaterThan(before);
      // Keep the bad-message streak below the close threshold: a valid request resets it.
      const pingId = raw.send({ op: 'ping' });
      const pong = await raw.next(`ping after "${c.name}"`, (x) => x.op === 'reply');
      expect(pong.op === 'reply' && pong.id === pingId && pong.ok, `still usable after "${c.name}"`).toBe(true);
    }

    // A text frame is JSON (protocol.md § 1.1): malformed JSON is refused the same way, in JSON.
    raw.ws.send('{"op":"ping","id":1');
    const textErr = await until('a JSON reply to a malformed text frame', () => raw.texts.map((t) => JSON.parse(t) as { op: string; error?: { code: string } }).find((m) => m.op === 'reply'));
    expect(textErr.error?.code).toBe(ErrorCode.BAD_FRAME);
    raw.texts.length = 0;

    // `__proto__` keys do not pollute anything.
    const proto = await raw.call({ op: 'ping', __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } } as never);
    expect(proto.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    await other.advances();
    await healthy(stack);
  });

  it('engine errors come back with the engine codes', async () => {
    const stack = await startStack();
    const raw = await RawClient.open(stack.url, { headers: { authorization: `Bearer ${TOKEN}` } });
    const cases: [Record<string, unknown>, string][] = [
      [{ op: 'get', realm: 'nope' }, ErrorCode.UNKNOWN_REALM],
      [{ op: 'join', realm: 'nope' }, ErrorCode.UNKNOWN_REALM],
      [{ op: 'entities', realm: 'nope' }, ErrorCode.UNKNOWN_REALM],
      [{ op: 'input', realm: 'nope', data: 1 }, ErrorCode.UNKNOWN_REALM],
      [{ op: 'unregister', realm: 'nope' }, ErrorCode.UNKNOWN_REALM],
      [{ op: 'pause', realm: 'nope' }, ErrorCode.UNKNOWN_REALM],
      [{ op: 'register', realm: { realm_id: 'a b', game_id: 'g' } }, ErrorCode.INVALID_ARGUMENT],
      [{ op: 'register', realm: { realm_id: 'a', game_id: 'g', kind: 'dragon' } }, ErrorCode.UNKNOWN_KIND],
      [{ op: 'register', realm: { realm_id: 'a', game_id: 'g', stat7: { horizon: 'NOON' } } }, ErrorCode.INVALID_COORDINATE],
      [{ op: 'publish', type: '' }, ErrorCode.BAD_REQUEST],
      [{ op: 'publish', type: 'has space' }, ErrorCode.INVALID_ARGUMENT],
      [{ op: 'publish', type: 'x', selector: { colour: 'red' } }, ErrorCode.INVALID_SELECTOR],
      [{ op: 'publish', type: 'x', to: 'nope' }, ErrorCode.UNKNOWN_REALM],
      [{ op: 'keyframe', realm: 'nope' }, ErrorCode.BAD_REQUEST],
      [{ op: 'register', realm: [1] }, ErrorCode.BAD_REQUEST],
      [{ op: 'publish', type: 'x', to: 'tav', selector: { realm: 'x' } }, ErrorCode.BAD_REQUEST],
    ];
    for (const [req, code] of cases) {
      const r = await raw.call(req);
      expect(errorOf(r).code, JSON.stringify(req)).toBe(code);
    }
    await healthy(stack);
  });

  it('closes with 1009 when a message exceeds the maximum payload; others carry on', async () => {
    const stack = await startStack({ maxPayloadBytes: 4096 });
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    const other = await bystander(stack, 'tav');
    const raw = await RawClient.open(stack.url);
    raw.sendBytes(encode({ op: 'ping', id: 1, pad: 'x'.repeat(10_000) }));
    const closed = await raw.waitClosed();
    expect(closed.code).toBe(CloseCode.MESSAGE_TOO_BIG);
    expect(closed.reason).toMatch(/limit is 4096/);
    // Far beyond the limit (past the WebSocket layer's hard cap) the connection is simply dropped.
    const huge = await RawClient.open(stack.url);
    huge.sendBytes(new Uint8Array(3 << 20));
    const dropped = await huge.waitClosed();
    expect([CloseCode.MESSAGE_TOO_BIG, 1006]).toContain(dropped.code);
    await other.advances();
    await healthy(stack);
  });

  it('closes with 4002 after a streak of bad messages', async () => {
    const stack = await startStack({ badFramesCloseAfter: 5 });
    const raw = await RawClient.open(stack.url);
    for (let i = 0; i < 10; i++) raw.sendBytes(new Uint8Array([0xc1]));
    const closed = await raw.waitClosed();
    expect(closed.code).toBe(CloseCode.BAD_FRAMES);
    expect(raw.messages.filter((m) => m.op === 'reply' && !m.ok)).toHaveLength(5);
    await healthy(stack);
  });

  it('survives invalid WebSocket framing (reserved opcode) without harming others', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    const other = await bystander(stack, 'tav');
    const raw = await RawClient.open(stack.url);
    raw.ws.sendFrame(0x3, new Uint8Array([1, 2, 3]));
    const closed = await raw.waitClosed();
    expect(closed.code).not.toBe(CloseCode.NORMAL);
    // A fragmented message is reassembled by the server and works.
    const raw3 = await RawClient.open(stack.url);
    const bytes = encode({ op: 'ping', id: 77 });
    raw3.ws.sendFrame(WsOpcode.BINARY, bytes.subarray(0, 3), false);
    raw3.ws.sendFrame(WsOpcode.CONTINUATION, bytes.subarray(3), true);
    const r = await raw3.waitFor<ReplyOk>('reply to a fragmented ping', (m) => m.op === 'reply' && m.id === 77);
    expect(r.ok).toBe(true);
    await other.advances();
    await healthy(stack);
  });

  it('rate-limits a flooding connection (RATE_LIMITED replies, then close 4029) while others carry on', async () => {
    const stack = await startStack({ ratePerSec: 50, rateBurst: 20, rateCloseAfter: 100 });
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    const other = await bystander(stack, 'tav');
    const raw = await RawClient.open(stack.url);
    const ping = encode({ op: 'ping', id: 1 });
    for (let i = 0; i < 1000; i++) raw.sendBytes(ping);
    const closed = await raw.waitClosed();
    expect(closed.code).toBe(CloseCode.RATE_LIMITED);
    const replies = raw.messages.filter((m): m is Extract<ServerMessage, { op: 'reply' }> => m.op === 'reply');
    const ok = replies.filter((m) => m.ok).length;
    const limited = replies.filter((m) => !m.ok && m.error.code === ErrorCode.RATE_LIMITED);
    expect(ok).toBeGreaterThanOrEqual(20);
    expect(ok).toBeLessThan(1000);
    // The close came once more than 100 strikes were outstanding (strikes fade with time only).
    expect(limited.length).toBeGreaterThanOrEqual(100);
    expect(replies.at(-1)).toMatchObject({ ok: false, error: { code: ErrorCode.RATE_LIMITED } });
    expect((limited[0] as ReplyError).id).toBe(1);
    await other.advances();
    await healthy(stack);
    const metrics = await stack.gateway.metricsText();
    expect(metrics).toMatch(/tickverse_ws_closes_total\{reason="rate limit exceeded"\} 1/);
  });

  it('a client that stops reading loses deltas, is closed with 4003, and nobody else notices', async () => {
    const stack = await startStack({ maxBackpressureBytes: 128 * 1024, slowClientMs: 400, sweepMs: 20 }, { tickHz: 50, ticksPerControl: 5, ringBytes: 16 << 20 });
    await stack.engine.register({ realm_id: 'busy', game_id: 'g', kind: 'stress', params: { entities: 10_000, emitEvery: 0 } });
    const other = await bystander(stack, 'busy');
    const slow = await RawClient.open(stack.url);
    const joined = await slow.call({ op: 'join', realm: 'busy' });
    expect(joined.ok).toBe(true);
    slow.ws.pauseReading();
    await until('the gateway to close the slow client', () => stack.gateway.stats().backpressureCloses >= 1, 30_000);
    expect(stack.gateway.stats().framesDropped).toBeGreaterThan(0);
    await other.advances(5);
    slow.ws.resumeReading();
    const closed = await slow.waitClosed();
    expect(closed.code).toBe(CloseCode.SLOW_CONSUMER);
    // What it did receive before the close is a consistent prefix: frames in order, keyframe first.
    const frames = slow.messages.filter((m): m is StateFrame => m.op === 'state');
    expect(frames.length).toBeGreaterThan(0);
    expect(frames[0]!.key).toBe(true);
    await healthy(stack);
    const metrics = await stack.gateway.metricsText();
    expect(metrics).toMatch(/tickverse_ws_backpressure_closes_total 1/);
  });

  it('a client that falls behind and catches up gets a keyframe and a consistent picture', async () => {
    const stack = await startStack({ maxBackpressureBytes: 128 * 1024, slowClientMs: 60_000, sweepMs: 20 }, { tickHz: 50, ticksPerControl: 5, ringBytes: 16 << 20 });
    await stack.engine.register({ realm_id: 'busy', game_id: 'g', kind: 'stress', params: { entities: 10_000, emitEvery: 0 } });
    const slow = await RawClient.open(stack.url);
    expect((await slow.call({ op: 'join', realm: 'busy' })).ok).toBe(true);
    await slow.waitFor('the first keyframe', (m) => m.op === 'state' && m.key === true);
    slow.ws.pauseReading();
    await until('the gateway to pause state frames for the paused client', () => stack.gateway.stats().lagging > 0, 30_000);
    // Let a few more frames go by unsent, then stop the realm so that catching up does not
    // depend on how fast this (shared) machine reads.
    const published = stack.gateway.stats().framesPublished;
    await until('more frames published while the client lags', () => stack.gateway.stats().framesPublished > published + 3);
    await stack.engine.pause('busy');
    slow.ws.resumeReading();
    await until('the client to catch up', () => stack.gateway.stats().lagging === 0 && stack.gateway.stats().framesDropped > 0, 30_000);
    await stack.engine.resume('busy');
    // Once caught up, the gateway resends the realm's picture privately: the stream the client
    // saw jumps over the missed deltas only at a keyframe, and continues gaplessly after it.
    const frames = await until('frames after the catch-up', () => {
      const f = slow.messages.filter((m): m is StateFrame => m.op === 'state');
      const jump = f.findIndex((x, i) => i > 0 && x.seq !== f[i - 1]!.seq + 1);
      return jump > 0 && f.length > jump + 5 ? f : undefined;
    }, 30_000);
    for (let i = 1; i < frames.length; i++) {
      const f = frames[i]!;
      if (f.seq !== frames[i - 1]!.seq + 1) expect(f.key, `frame ${i} (seq ${f.seq} after ${frames[i - 1]!.seq}) must be a keyframe`).toBe(true);
      // A stress keyframe: 10,000 spawn records of handle, id, kind, x, y.
      if (f.key === true) expect(f.spawn).toHaveLength(10_000 * 5);
    }
    expect(slow.closeEvent).toBeNull();
    await healthy(stack);
  });

  it('closes an idle connection with 4004 (after a ping it did not answer)', async () => {
    const stack = await startStack({ idleTimeoutMs: 600, sweepMs: 20 });
    const raw = await RawClient.open(stack.url);
    raw.ws.pauseReading(); // cannot answer the server's ping
    await until('the server to close the idle connection', () => stack.gateway.stats().connections === 0, 10_000);
    raw.ws.resumeReading();
    const closed = await raw.waitClosed();
    expect(closed.code).toBe(CloseCode.IDLE_TIMEOUT);
    // A client that answers pings stays connected past the timeout.
    const alive = await RawClient.open(stack.url);
    const start = stack.engine.controlTick;
    await stack.engine.onControlTick(start + 15); // ~1.5 s at 20 Hz / K=2: over twice the timeout
    expect(alive.closeEvent).toBeNull();
    expect((await alive.call({ op: 'ping' })).ok).toBe(true);
  });

  it('refuses a browser origin that is not allowed (HTTP 403), accepts allowed ones and non-browsers', async () => {
    const stack = await startStack({ allowedOrigins: ['https://game.example.com'] });
    const bad = new RawClient(stack.url, { headers: { Origin: 'https://evil.example.com' } });
    const closed = await bad.closed;
    expect(closed.code).toBe(1006);
    expect(bad.ws.httpStatus).toBe(403);
    const good = await RawClient.open(stack.url, { headers: { Origin: 'https://game.example.com' } });
    expect((await good.call({ op: 'ping' })).ok).toBe(true);
    const none = await RawClient.open(stack.url);
    expect((await none.call({ op: 'ping' })).ok).toBe(true);
  });

  it('same-origin by default: the page origin must match the Host', async () => {
    const stack = await startStack();
    const host = new URL(stack.http).host;
    const ok = await RawClient.open(stack.url, { headers: { Origin: `http://${host}` } });
    expect((await ok.call({ op: 'ping' })).ok).toBe(true);
    const bad = new RawClient(stack.url, { headers: { Origin: 'http://elsewhere.example' } });
    await bad.closed;
    expect(bad.ws.httpStatus).toBe(403);
  });

  it('a wrong token in the URL closes with 4001; a right one authenticates', async () => {
    const stack = await startStack();
    const bad = new RawClient(`${stack.url}?token=wrong-token-123456789`);
    const closed = await bad.closed;
    expect(closed.code).toBe(CloseCode.UNAUTHORIZED);
    const good = await RawClient.open(`${stack.url}?token=${TOKEN}`);
    const hello = good.messages.find((m) => m.op === 'hello') as { authed: boolean };
    expect(hello.authed).toBe(true);
    const admin = await adminClient(stack);
    expect((await admin.ping()).now).toBeGreaterThan(0);
  });
});
