// Issue 11, item 6: the slow-client bound at send time (the 4003 close frame reaches the
// client), conflicting Content-Length refused, floods closed although some messages get
// through, a per-IP connection cap, and full-origin checks that do not trust a DNS name in Host.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import { CloseCode, type ServerMessage } from '../protocol/wire.js';
import { encode } from '../client/codec.js';
import { RawClient, TOKEN, client, startStack, until } from './gateway-helpers.js';

interface RawResponse {
  status: number;
  head: string;
  body: string;
  /** Resolves when the server closed the connection. */
  closed: Promise<void>;
}

/** Sends raw bytes over TCP; resolves with the first complete HTTP response. */
function rawHttp(port: number, request: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(request));
    let closedResolve: () => void = () => {};
    const closed = new Promise<void>((r) => (closedResolve = r));
    let buf = Buffer.alloc(0);
    let done = false;
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (done || end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? '0');
      if (buf.length < end + 4 + length) return;
      done = true;
      resolve({ status: Number(head.split(' ')[1]), head, body: buf.subarray(end + 4, end + 4 + length).toString('utf8'), closed });
    });
    s.on('error', reject);
    s.on('close', () => closedResolve());
  });
}

const upgradeRequest = (port: number, headers = ''): string =>
  `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n`;

describe('gateway limits', () => {
  it('a client that stops reading is closed with 4003 before its buffer passes the hard limit: the close frame arrives', async () => {
    // Default sweepMs (250): the bound must hold between sweeps too.
    const stack = await startStack({ maxBackpressureBytes: 128 * 1024, slowClientMs: 400 }, { tickHz: 50, ticksPerControl: 5, ringBytes: 16 << 20 });
    await stack.engine.register({ realm_id: 'busy', game_id: 'g', kind: 'stress', params: { entities: 10_000, emitEvery: 0 } });
    const other = await client(stack);
    const view = await other.join('busy');
    await view.ready();
    const slow = await RawClient.open(stack.url);
    expect((await slow.call({ op: 'join', realm: 'busy' })).ok).toBe(true);
    slow.ws.pauseReading();
    await until('the gateway to close the slow client', () => stack.gateway.stats().backpressureCloses >= 1, 30_000);
    // A slow client is slow to read its close frame too: 5 s later it is still there to read
    // (uWS's closing timeout was 0–4 s with its idle timer off; ws.ts).
    await new Promise((r) => setTimeout(r, 5_000));
    slow.ws.resumeReading();
    const closed = await slow.waitClosed();
    expect(closed.code).toBe(CloseCode.SLOW_CONSUMER);
    expect(closed.reason).toMatch(/too slow/);
    const metrics = await stack.gateway.metricsText();
    expect(metrics).toMatch(/tickverse_ws_send_drops_total 0\b/);
    const frames = view.frames;
    await until('the other client to keep receiving', () => view.frames > frames + 3);
    expect(view.gaps).toBe(0);
  });

  it('refuses a request with conflicting Content-Length headers (400) and closes the connection', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    const body = JSON.stringify({ type: 'rumor', to: 'tav', data: { text: 'x' } });
    const post = (lengths: string[], extra = ''): Promise<RawResponse> =>
      rawHttp(
        stack.gateway.port,
        `POST /api/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n${lengths.map((l) => `Content-Length: ${l}\r\n`).join('')}${extra}\r\n${body}`,
      );
    const n = String(Buffer.byteLength(body));
    for (const lengths of [[n, String(Number(n) + 5)], [String(Number(n) + 5), n]]) {
      const r = await post(lengths);
      expect(r.status, lengths.join(' / ')).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({ error: { code: ErrorCode.BAD_REQUEST, message: expect.stringMatching(/conflicting Content-Length/) } });
      await r.closed;
    }
    // A list in one header: uWS's own parser refuses it.
    const list = await post([`${n}, 3`]);
    expect(list.status).toBe(400);
    await list.closed;
    const te = await post([n], 'Transfer-Encoding: chunked\r\n');
    expect(te.status).toBe(400);
    await te.closed;
    // The same length twice is not a conflict.
    expect((await post([n, n])).status).toBe(202);
    expect((await post([n])).status).toBe(202);
  });

  it('closes a flood at 1,000 messages/s with 4029 although some of its messages get through', async () => {
    const stack = await startStack(); // 100/s, burst 200, close after 200 strikes
    const flood = await RawClient.open(stack.url);
    const ping = encode({ op: 'ping', id: 1 });
    const started = Date.now();
    const timer = setInterval(() => {
      if (flood.closeEvent === null) for (let i = 0; i < 10; i++) flood.sendBytes(ping);
    }, 10);
    try {
      const closed = await flood.waitClosed(10_000);
      expect(closed.code).toBe(CloseCode.RATE_LIMITED);
    } finally {
      clearInterval(timer);
    }
    expect(Date.now() - started).toBeLessThan(5_000);
    const replies = flood.messages.filter((m): m is Extract<ServerMessage, { op: 'reply' }> => m.op === 'reply');
    expect(replies.filter((m) => m.ok).length).toBeGreaterThanOrEqual(200);
    expect(replies.some((m) => !m.ok && m.error.code === ErrorCode.RATE_LIMITED)).toBe(true);
  });

  it('throttles a client a little over its rate without closing it', async () => {
    const stack = await startStack({ ratePerSec: 100, rateBurst: 20 });
    const raw = await RawClient.open(stack.url);
    const ping = encode({ op: 'ping', id: 2 });
    let sent = 0;
    const timer = setInterval(() => {
      for (let i = 0; i < 3; i++, sent++) raw.sendBytes(ping); // 150/s
    }, 20);
    await until('two seconds of sending at 150/s', () => sent >= 300, 10_000);
    clearInterval(timer);
    const last = raw.send({ op: 'ping', id: 'last' });
    await until('the last reply', () => raw.messages.find((m) => m.op === 'reply' && m.id === last));
    expect(raw.closeEvent).toBeNull();
    expect(raw.messages.some((m) => m.op === 'reply' && !m.ok && m.error.code === ErrorCode.RATE_LIMITED)).toBe(true);
  });

  it('caps WebSockets per IP address (HTTP 429, CONNECTION_LIMIT); a slot frees on close', async () => {
    const stack = await startStack({ maxConnectionsPerIp: 3, connectionLimitExempt: [] });
    const open = [await RawClient.open(stack.url), await RawClient.open(stack.url), await RawClient.open(stack.url)];
    const refused = await rawHttp(stack.gateway.port, upgradeRequest(stack.gateway.port));
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: ErrorCode.CONNECTION_LIMIT } });
    const sdk = new RawClient(stack.url);
    await sdk.closed;
    expect(sdk.ws.httpStatus).toBe(429);
    open[0]!.ws.close();
    await until('a free slot', () => stack.gateway.stats().connections === 2);
    const again = await RawClient.open(stack.url);
    expect((await again.call({ op: 'ping' })).ok).toBe(true);
    // Loopback is exempt by default (benchmarks, a local reverse proxy).
    const local = await startStack({ maxConnectionsPerIp: 1 });
    const two = [await RawClient.open(local.url), await RawClient.open(local.url)];
    for (const c of two) expect((await c.call({ op: 'ping' })).ok).toBe(true);
  });

  it('compares the full origin (scheme, host, port) and does not trust a DNS name in Host', async () => {
    const stack = await startStack();
    const host = new URL(stack.http).host;
    const status = async (headers: Record<string, string>): Promise<number> => {
      const c = new RawClient(stack.url, { headers });
      const outcome = await c.opened.then(() => 101, async () => (await c.closed, c.ws.httpStatus ?? 0));
      c.ws.terminate();
      return outcome;
    };
    expect(await status({ Origin: `http://${host}` })).toBe(101);
    expect(await status({ Origin: `https://${host}` })).toBe(403);
    expect(await status({ Origin: 'http://127.0.0.1:1' })).toBe(403);
    // DNS rebinding: the page's name resolves to this server, so Host and Origin agree.
    expect(await status({ Host: `evil.example:${stack.gateway.port}`, Origin: `http://evil.example:${stack.gateway.port}` })).toBe(403);
    expect(await status({ Origin: 'null' })).toBe(403);
    const pub = await startStack({ publicOrigin: 'https://game.example.com:443' });
    const pubStatus = async (origin: string): Promise<number> => {
      const c = new RawClient(pub.url, { headers: { Origin: origin } });
      const outcome = await c.opened.then(() => 101, async () => (await c.closed, c.ws.httpStatus ?? 0));
      c.ws.terminate();
      return outcome;
    };
    expect(await pubStatus('https://game.example.com')).toBe(101);
    expect(await pubStatus('http://game.example.com')).toBe(403);
    expect(await pubStatus(`http://${new URL(pub.http).host}`)).toBe(403);
    const listed = await startStack({ allowedOrigins: ['https://a.example.com:8443'] });
    const c = new RawClient(listed.url, { headers: { Origin: 'http://a.example.com:8443' } });
    await c.closed;
    expect(c.ws.httpStatus).toBe(403);
    expect((await RawClient.open(listed.url, { headers: { Origin: 'https://A.example.com:8443' } })).closeEvent).toBeNull();
  });
});
