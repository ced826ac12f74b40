// The SDK on a network that blocks WebSockets, for real: a node:http proxy in front of the
// gateway forwards plain HTTP (the event stream included) and answers every Upgrade with 403.
// TickverseClient (transport 'auto') falls back to Server-Sent Events + HTTP on its own: it
// joins a realm, sees entities update, sends input, follows pushes and resumes after a drop.
import { createServer, request, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TickverseClient } from '../client/index.js';
import { NodeWebSocket } from '../client/node-ws.js';
import { ErrorCode } from '../protocol/errors.js';
import type { HelloPush, RegistryPush } from '../protocol/wire.js';
import { startStack, until } from './gateway-helpers.js';

interface Proxy {
  url: string;
  /** Upgrade requests refused. */
  refused: number;
  /** Cuts every open connection through the proxy (a network drop). */
  dropAll(): void;
  close(): Promise<void>;
}

async function blockingProxy(target: number): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const p = { refused: 0 } as Proxy;
  const server: Server = createServer((req, res) => {
    const up = request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (_req, socket: Socket) => {
    p.refused++;
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  p.url = `ws://127.0.0.1:${port}/ws`;
  p.dropAll = () => {
    for (const s of sockets) s.destroy();
  };
  p.close = () => new Promise<void>((r) => {
    p.dropAll();
    server.close(() => r());
  });
  proxies.push(p);
  return p;
}
const proxies: Proxy[] = [];
const clients: TickverseClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const p of proxies.splice(0)) await p.close();
});

describe('client: SSE fallback when WebSockets are blocked', () => {
  it('joins a realm, sees entities update, sends input and follows pushes over SSE + HTTP', async () => {
    const stack = await startStack({ reconnectGraceMs: 10_000 });
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern', params: { merchant: false } });
    const proxy = await blockingProxy(stack.gateway.port);
    const c = new TickverseClient({ url: proxy.url, WebSocket: NodeWebSocket, reconnect: { initialMs: 50, maxMs: 200 } });
    clients.push(c);
    const hello = await c.connect();
    expect(proxy.refused).toBeGreaterThanOrEqual(1);
    expect(c.transportInUse).toBe('sse');
    expect(hello).toMatchObject({ op: 'hello', authed: false });

    const view = await c.join('tav');
    await view.ready();
    await c.input('tav', { move: { dx: 1, dy: 0 } });
    const me = `player:${hello.session}`;
    const first = await until('my entity in the view', () => view.entities.get(me));
    await c.input('tav', { move: { dx: first.x < 10 ? 4 : -4, dy: 0 } });
    await until('the view to see it move', () => Math.abs((view.entities.get(me)?.x ?? first.x) - first.x) > 2);

    // Pushes and coded errors come through as over a WebSocket.
    const pushes: RegistryPush[] = [];
    c.on('registry', (p) => pushes.push(p));
    await c.subscribe('registry');
    await stack.engine.register({ realm_id: 'tav2', game_id: 'g', kind: 'tavern' });
    await until('a registry push', () => pushes.find((p) => p.realm.realmId === 'tav2'));
    await expect(c.get('nope')).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_REALM });

    // A dropped network: the client reconnects over SSE as the same player, its realm resynced.
    const opens: [HelloPush, { resumed: boolean }][] = [];
    c.on('open', (h, info) => opens.push([h, info]));
    proxy.dropAll();
    const [again, info] = await until('the reconnect', () => opens[0]);
    expect(info.resumed).toBe(true);
    expect(again).toMatchObject({ session: hello.session, resumed: true });
    await view.ready();
    const x = view.entities.get(me)!.x;
    await c.input('tav', { move: { dx: x < 10 ? 4 : -4, dy: 0 } });
    await until('it moves after the resume', () => Math.abs((view.entities.get(me)?.x ?? x) - x) > 2);
  });

  it("transport 'websocket' does not fall back: connecting through the blocking proxy fails", async () => {
    const stack = await startStack();
    const proxy = await blockingProxy(stack.gateway.port);
    const c = new TickverseClient({ url: proxy.url, WebSocket: NodeWebSocket, transport: 'websocket', reconnect: false });
    clients.push(c);
    await expect(c.connect()).rejects.toMatchObject({ code: ErrorCode.DISCONNECTED });
    expect(c.transportInUse).toBe('websocket');
  });
});
