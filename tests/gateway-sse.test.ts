// The Server-Sent Events fallback, read by curl (a real HTTP client, spawned): realm and
// multiverse streams carry the same JSON messages as a JSON-text WebSocket, with ids; a
// reconnect with Last-Event-ID is the same player and gets what it missed; heartbeats; caps;
// inputs over HTTP with the stream's resume token; cleanup when the client goes away.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import { CloseCode } from '../protocol/wire.js';
import type { EntityView } from '../protocol/realm.js';
import { getJson, startStack, until, type Stack } from './gateway-helpers.js';

interface SseEvent {
  id: string | null;
  event: string | null;
  data: string;
  json: Record<string, unknown>;
}

/** `curl -N` reading an event stream: every event parsed, comment lines kept. */
class Curl {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  raw = '';
  exited = false;
  private readonly proc: ChildProcess;
  private buf = '';

  constructor(url: string, headers: Record<string, string> = {}) {
    const args = ['-N', '-s', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
    this.proc = spawn('curl', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (d: string) => this.take(d));
    this.proc.on('exit', () => (this.exited = true));
    running.add(this);
  }

  private take(d: string): void {
    this.raw += d;
    this.buf += d;
    for (let end = this.buf.indexOf('\n\n'); end >= 0; end = this.buf.indexOf('\n\n')) {
      const block = this.buf.slice(0, end);
      this.buf = this.buf.slice(end + 2);
      let id: string | null = null;
      let event: string | null = null;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line);
        else if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) this.events.push({ id, event, data: data.join('\n'), json: JSON.parse(data.join('\n')) as Record<string, unknown> });
    }
  }

  messages(op: string): Record<string, unknown>[] {
    return this.events.filter((e) => e.json.op === op).map((e) => e.json);
  }

  async waitFor(what: string, pred: (e: SseEvent) => boolean, ms = 10_000): Promise<SseEvent> {
    return until(what, () => this.events.find(pred), ms);
  }

  get hello(): Record<string, unknown> {
    return this.events.find((e) => e.json.op === 'hello')!.json;
  }

  get lastId(): string {
    return [...this.events].reverse().find((e) => e.id !== null)!.id!;
  }

  kill(): void {
    this.proc.kill('SIGKILL');
    running.delete(this);
  }
}
const running = new Set<Curl>();
afterEach(() => {
  for (const c of [...running]) c.kill();
});

const tavern = (stack: Stack, id = 'tav'): Promise<unknown> => stack.engine.register({ realm_id: id, game_id: 'g', kind: 'tavern', params: { merchant: false } });
const entity = async (stack: Stack, realm: string, id: string): Promise<EntityView | undefined> => (await stack.engine.entities(realm)).find((e) => e.id === id);
const input = (stack: Stack, realm: string, token: string, data: unknown): Promise<{ status: number; body: unknown }> =>
  getJson(`${stack.http}/api/realms/${realm}/input`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tickverse-resume': token }, body: JSON.stringify({ data }) });

describe('gateway: Server-Sent Events fallback', () => {
  it('a realm stream carries the hello, a keyframe and deltas as JSON data lines with ids; the player moves over HTTP with its resume token', async () => {
    const stack = await startStack();
    await tavern(stack);
    const c = new Curl(`${stack.http}/api/realms/tav/stream`);
    await c.waitFor('the hello', (e) => e.json.op === 'hello');
    const token = c.hello.resume as string;
    expect(c.hello).toMatchObject({ op: 'hello', v: 2, authed: false, resumed: false });
    expect(c.events[0]!.id).toMatch(new RegExp(`^${token.replace(/[.]/g, '\\.')}\\.\\d+$`));
    const key = await c.waitFor('a tavern keyframe', (e) => e.json.op === 'state' && e.json.key === true);
    expect(key.id).not.toBeNull();
    expect(key.json.realm).toBe('tav');

    const me = `player:${c.hello.session as string}`;
    expect(await input(stack, 'tav', token, { move: { dx: 1, dy: 0 } })).toMatchObject({ status: 202, body: { ok: true } });
    const first = await until('the player entity', () => entity(stack, 'tav', me));
    expect((await input(stack, 'tav', token, { move: { dx: first.x < 10 ? 4 : -4, dy: 0 } })).status).toBe(202);
    await until('the entity to move', async () => Math.abs(((await entity(stack, 'tav', me))?.x ?? first.x) - first.x) > 2);
    // Deltas follow the keyframe, each with the next id; the spawn of the player's entity is among them.
    const deltas = await until('deltas on the stream', () => {
      const d = c.events.filter((e) => e.json.op === 'state' && e.json.key !== true);
      return d.length >= 2 ? d : undefined;
    });
    const seqs = deltas.map((e) => Number(e.id!.split('.').pop()));
    expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
    expect(c.raw).toContain(me);
    // The realm routes of a stream: a keyframe on request, as the `keyframe` op would send it.
    const keys = c.events.filter((e) => e.json.op === 'state' && e.json.key === true).length;
    const kf = await getJson(`${stack.http}/api/realms/tav/keyframe`, { method: 'POST', headers: { 'x-tickverse-resume': token } });
    expect(kf).toMatchObject({ status: 200, body: { op: 'reply', ok: true, result: { realm: 'tav' } } });
    await until('the asked-for keyframe', () => c.events.filter((e) => e.json.op === 'state' && e.json.key === true).length > keys);
    // A wrong token names nobody.
    expect(await input(stack, 'tav', `${c.hello.session as string}.${'A'.repeat(43)}`, { move: { dx: 1, dy: 0 } })).toMatchObject({ status: 401, body: { error: { code: ErrorCode.UNAUTHORIZED } } });
  });

  it('an anonymous SSE player may write to a relay but not emit cross-realm events through it (FORBIDDEN)', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'lobby', game_id: 'g', kind: 'relay' });
    const c = new Curl(`${stack.http}/api/realms/lobby/stream`);
    await c.waitFor('the hello', (e) => e.json.op === 'hello');
    const token = c.hello.resume as string;
    expect((await input(stack, 'lobby', token, { set: { id: 'p1', x: 1, y: 2 } })).status).toBe(202);
    expect(await input(stack, 'lobby', token, { emit: { type: 'shout', data: {} } })).toMatchObject({ status: 403, body: { error: { code: ErrorCode.FORBIDDEN } } });
    // The generic op route answers with the reply message, as a WebSocket would.
    const op = await getJson(`${stack.http}/api/stream/op`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tickverse-resume': token }, body: JSON.stringify({ op: 'register', id: 7, realm: { realm_id: 'x', game_id: 'g' } }) });
    expect(op).toMatchObject({ status: 401, body: { op: 'reply', id: 7, ok: false, error: { code: ErrorCode.UNAUTHORIZED } } });
  });

  it('the multiverse stream carries registry and event pushes', async () => {
    const stack = await startStack();
    await tavern(stack);
    const c = new Curl(`${stack.http}/api/stream?topics=registry,event:*`);
    await c.waitFor('the hello', (e) => e.json.op === 'hello');
    await tavern(stack, 'tav2');
    const reg = await c.waitFor('a registry push', (e) => e.json.op === 'registry' && (e.json.realm as { realmId: string }).realmId === 'tav2');
    expect(reg.id).not.toBeNull();
    stack.engine.publish({ type: 'greeting', data: { n: 1 }, to: 'tav' });
    const ev = await c.waitFor('the event push', (e) => e.json.op === 'event' && e.json.type === 'greeting');
    expect(ev.json).toMatchObject({ to: ['tav'], data: { n: 1 } });
    // Bad topics and unknown realms are refused with their codes before any stream opens.
    expect(await getJson(`${stack.http}/api/stream?topics=nonsense`)).toMatchObject({ status: 400 });
    expect(await getJson(`${stack.http}/api/realms/nope/stream`)).toMatchObject({ status: 404, body: { error: { code: ErrorCode.UNKNOWN_REALM } } });
  });

  it('a reconnect with Last-Event-ID is the same player: pushes it missed, then a fresh keyframe', async () => {
    const stack = await startStack({ reconnectGraceMs: 10_000 });
    await tavern(stack);
    const a = new Curl(`${stack.http}/api/stream?topics=registry&realms=tav`);
    await a.waitFor('a tavern keyframe', (e) => e.json.op === 'state' && e.json.key === true);
    const first = a.hello;
    const last = a.lastId;
    a.kill();
    await until('the gateway to see the stream go', () => stack.gateway.stats().connections === 0);
    await tavern(stack, 'missed'); // pushed while the player was away
    const b = new Curl(`${stack.http}/api/stream?topics=registry&realms=tav`, { 'last-event-id': last });
    await b.waitFor('the hello', (e) => e.json.op === 'hello');
    expect(b.hello).toMatchObject({ session: first.session, resumed: true, rejoined: ['tav'] });
    const missed = await b.waitFor('the missed registry push', (e) => e.json.op === 'registry' && (e.json.realm as { realmId: string }).realmId === 'missed');
    const key = await b.waitFor('a fresh tavern keyframe', (e) => e.json.op === 'state' && e.json.key === true);
    expect(b.events.indexOf(missed)).toBeLessThan(b.events.indexOf(key));
    // Only what came after the last id is replayed, with the ids it had.
    const seqOf = (id: string): number => Number(id.split('.').pop());
    const replayed = b.events.filter((e) => e.json.op === 'registry');
    expect(replayed.every((e) => seqOf(e.id!) > seqOf(last) && (e.json.realm as { realmId: string }).realmId === 'missed')).toBe(true);
    // Still following registry: a later change arrives live.
    await tavern(stack, 'later');
    await b.waitFor('a live registry push', (e) => e.json.op === 'registry' && (e.json.realm as { realmId: string }).realmId === 'later');
    expect(stack.gateway.stats().connections).toBe(1);
  });

  it('writes a heartbeat comment every sseHeartbeatMs', async () => {
    const stack = await startStack({ sseHeartbeatMs: 50 });
    const c = new Curl(`${stack.http}/api/stream`);
    await until('two heartbeats', () => c.comments.filter((l) => l === ': heartbeat').length >= 2);
  });

  it('caps streams per IP (CONNECTION_LIMIT) and per player (PLAYER_CONNECTION_LIMIT) with HTTP 429', async () => {
    const stack = await startStack({ maxConnectionsPerIp: 1, connectionLimitExempt: [], maxConnectionsPerPlayer: 1 });
    const a = new Curl(`${stack.http}/api/stream`);
    await a.waitFor('the hello', (e) => e.json.op === 'hello');
    expect(await getJson(`${stack.http}/api/stream`)).toMatchObject({ status: 429, body: { error: { code: ErrorCode.CONNECTION_LIMIT } } });
    const other = await startStack({ maxConnectionsPerPlayer: 1 });
    const p = new Curl(`${other.http}/api/stream`);
    await p.waitFor('the hello', (e) => e.json.op === 'hello');
    expect(await getJson(`${other.http}/api/stream`, { headers: { 'last-event-id': p.lastId } })).toMatchObject({ status: 429, body: { error: { code: ErrorCode.PLAYER_CONNECTION_LIMIT } } });
    const capped = await startStack({ maxSseStreams: 1 });
    const q = new Curl(`${capped.http}/api/stream`);
    await q.waitFor('the hello', (e) => e.json.op === 'hello');
    expect(await getJson(`${capped.http}/api/stream`)).toMatchObject({ status: 429, body: { error: { code: ErrorCode.CONNECTION_LIMIT } } });
  });

  it('a stream that stops reading gets the same flow control: state frames pause, then a 4003 close event', async () => {
    const stack = await startStack({ maxBackpressureBytes: 64 * 1024, slowClientMs: 400 }, { tickHz: 50, ticksPerControl: 5, ringBytes: 16 << 20 });
    await stack.engine.register({ realm_id: 'busy', game_id: 'g', kind: 'stress', params: { entities: 10_000, emitEvery: 0 } });
    let got = '';
    const s = connect(stack.gateway.port, '127.0.0.1', () => s.write(`GET /api/realms/busy/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    let stopped = false;
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (!stopped && got.includes('"op":"hello"')) {
        stopped = true;
        s.pause(); // and read no more
      }
    });
    await until('the gateway to close the slow stream', () => stack.gateway.stats().backpressureCloses >= 1, 30_000);
    // State frames had stopped for it (counted as dropped) before it was closed; it is gone.
    expect(stack.gateway.stats()).toMatchObject({ connections: 0, lagging: 0 });
    expect(stack.gateway.stats().framesDropped).toBeGreaterThan(0);
    s.resume();
    // The response ends (the last chunk) after an `event: close` saying why.
    await until('the end of the response', () => got.endsWith('0\r\n\r\n'), 30_000);
    expect(got).toMatch(new RegExp(`event: close\\ndata: \\{"code":${CloseCode.SLOW_CONSUMER},`));
    s.destroy();
  });

  it('a client that goes away is dropped like a closed WebSocket: connections and realm members back down', async () => {
    const stack = await startStack({ reconnectGraceMs: 0 });
    await tavern(stack);
    const c = new Curl(`${stack.http}/api/realms/tav/stream`);
    await c.waitFor('a tavern keyframe', (e) => e.json.op === 'state' && e.json.key === true);
    const token = c.hello.resume as string;
    expect((await input(stack, 'tav', token, { move: { dx: 1, dy: 0 } })).status).toBe(202);
    const me = `player:${c.hello.session as string}`;
    await until('the player entity', () => entity(stack, 'tav', me));
    expect(stack.gateway.stats()).toMatchObject({ connections: 1, joined: 1, streams: 1 });
    c.kill();
    await until('the stream dropped', () => stack.gateway.stats().connections === 0 && stack.gateway.stats().streams === 0);
    // No grace: the player left, its entity is gone, its token names nobody.
    await until('the entity removed', async () => (await entity(stack, 'tav', me)) === undefined);
    expect((await input(stack, 'tav', token, { move: { dx: 1, dy: 0 } })).status).toBe(401);
  });
});
