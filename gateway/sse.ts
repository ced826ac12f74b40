// Server-Sent Events fallback (docs/gateway.md § Server-Sent Events fallback): for networks
// that block WebSockets, `GET /api/realms/:id/stream` and `GET /api/stream?topics=…` open a
// `text/event-stream` that is a gateway connection like a JSON-text WebSocket — the same hello,
// state frames, pushes, flow control and player session — with inputs and other ops over HTTP
// (gateway/sse-ops.ts). A reconnect with `Last-Event-ID` is the same player, gets the pushes
// it missed (still in the replay log) and fresh pictures of its realms.
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { ErrorCode, TickverseError, isTickverseError, type ErrorCode as Code } from '../protocol/errors.js';
import type { RealmInfo } from '../protocol/realm.js';
import { helloFor } from './hello.js';
import { bearer, originAllowed, tokenMatches } from './auth.js';
import { encode } from './codec.js';
import { newConn, type Conn } from './connection.js';
import type { GatewayContext } from './context.js';
import { gameOfToken } from './game-tokens.js';
import { httpStatus } from './http-util.js';
import { parseRequest, RequestError } from './requests.js';
import { SseHub, type SseSink } from './sse-hub.js';
import { SseSocket } from './sse-socket.js';
import { bump } from './stats.js';
import { addTextSubscribers, subscribeTopic, textTopic } from './text-mode.js';
import { accessError } from './ws-ops.js';

/** EventSource waits this long before reconnecting after the stream ends (the `retry:` field). */
export const SSE_RETRY_MS = 1000;

/** What a stream request asked for, read while uWS's HttpRequest is valid. */
interface StreamAsk {
  remote: string;
  origin: string;
  host: string;
  token: string | null;
  /** A resume token (Last-Event-ID's, `?resume=` or X-Tickverse-Resume) and the last message id seen. */
  resume: string | null;
  after: number | null;
  realms: string[];
  topics: string[];
}

/** A closed stream's connection, kept subscribed to its push topics while its player's grace runs. */
interface Ghost {
  conn: Conn;
  topics: string[];
  sink: SseSink;
}

/** `<resume token>.<n>` → its parts; anything else names nothing. */
export function parseEventId(id: string): { token: string; seq: number } | null {
  const dot = id.lastIndexOf('.');
  if (dot <= 0) return null;
  const seq = Number(id.slice(dot + 1));
  return Number.isSafeInteger(seq) && seq >= 0 ? { token: id.slice(0, dot), seq } : null;
}

const list = (v: string | undefined): string[] => (v ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');

function readAsk(res: HttpResponse, req: HttpRequest, realm: string | null): StreamAsk {
  const last = parseEventId(req.getHeader('last-event-id'));
  const named = req.getHeader('x-tickverse-resume') || req.getQuery('resume') || null;
  let r: string;
  try {
    r = realm === null ? '' : decodeURIComponent(realm);
  } catch {
    throw new TickverseError(ErrorCode.NOT_FOUND, 'malformed path');
  }
  return {
    remote: Buffer.from(res.getRemoteAddressAsText()).toString(),
    origin: req.getHeader('origin'),
    host: req.getHeader('host'),
    token: req.getQuery('token') || bearer(req.getHeader('authorization')),
    resume: last?.token ?? named,
    after: last?.seq ?? null,
    realms: realm === null ? list(req.getQuery('realms')) : [r],
    topics: list(req.getQuery('topics')),
  };
}

export function mountSse(app: TemplatedApp, ctx: GatewayContext): void {
  const { opts, stats, flow } = ctx;
  const log = opts.logger;
  const hub = new SseHub(opts.sseReplayMessages);
  addTextSubscribers(app, hub);
  const sockets = new Set<SseSocket>();
  /**
   * Players whose last stream closed, in their grace: the closed connection stays subscribed to
   * its push topics so what is pushed meanwhile goes into the replay log for a resume.
   */
  const ghosts = new Map<string, Ghost>();
  /** The player is back (or gone for good): its closed connection stops following the topics; returns them. */
  const bury = (name: string): string[] => {
    const g = ghosts.get(name);
    if (g === undefined) return [];
    ghosts.delete(name);
    for (const t of g.topics) {
      hub.remove(textTopic(t), g.sink);
      ctx.pushes.remove(t, g.conn);
    }
    return g.topics;
  };

  const timer = setInterval(() => {
    if (ctx.closing) {
      clearInterval(timer);
      return;
    }
    const now = Date.now();
    for (const s of sockets) s.heartbeat(now);
    const alive = (name: string): boolean => ctx.players.sessions.alive(name);
    for (const name of [...ghosts.keys()]) if (!alive(name)) bury(name);
    hub.sweep(alive);
  }, opts.sseHeartbeatMs);
  timer.unref();

  const refuse = (res: HttpResponse, code: Code, message: string): void => {
    const status = httpStatus(code);
    bump(stats.http, status.slice(0, 3));
    bump(stats.errors, code);
    res.cork(() => {
      res.writeStatus(status).writeHeader('content-type', 'application/json; charset=utf-8').writeHeader('cache-control', 'no-store');
      res.end(JSON.stringify({ error: { code, message } }));
    });
  };

  /** Checks everything a stream needs before it opens; throws the coded refusal. */
  const admit = (ask: StreamAsk, conn: Conn): RealmInfo[] => {
    if (ctx.closing) throw new TickverseError(ErrorCode.ENGINE_STOPPED, 'the server is shutting down');
    if (!originAllowed(ask.origin, ask.host, opts.allowedOrigins, opts.publicOrigin)) throw new TickverseError(ErrorCode.FORBIDDEN, 'origin not allowed');
    if (ask.token !== null && !conn.authed && conn.game === null) throw new TickverseError(ErrorCode.UNAUTHORIZED, 'wrong token');
    for (const op of ['join', 'subscribe'] as const) {
      const denied = accessError(ctx, conn, op);
      if (denied !== null) throw denied;
    }
    if (ask.realms.length > opts.maxJoins) throw new TickverseError(ErrorCode.LIMIT_EXCEEDED, `a connection may join at most ${opts.maxJoins} realms`, { limit: opts.maxJoins });
    if (ask.topics.length > opts.maxTopics) throw new TickverseError(ErrorCode.LIMIT_EXCEEDED, `a connection may subscribe to at most ${opts.maxTopics} topics`, { limit: opts.maxTopics });
    if (ask.topics.length > 0) {
      try {
        parseRequest({ op: 'subscribe', id: 0, topics: ask.topics });
      } catch (e) {
        if (e instanceof RequestError) throw new TickverseError(e.code, `?topics=: ${e.message}`);
        throw e;
      }
    }
    const realms = ask.realms.map((r) => ctx.engine.get(r)); // UNKNOWN_REALM (404) for a realm that is not there
    if (opts.maxSseStreams > 0 && sockets.size >= opts.maxSseStreams) {
      throw new TickverseError(ErrorCode.CONNECTION_LIMIT, `this server already has its maximum of ${opts.maxSseStreams} event streams open`);
    }
    if (!ctx.ipLimits.admits(conn.ipKey)) throw new TickverseError(ErrorCode.CONNECTION_LIMIT, `this address already has ${opts.maxConnectionsPerIp} connections open`);
    return realms;
  };

  const close = (conn: Conn, sock: SseSocket, code: number, reason: string): void => {
    if (conn.ws !== sock) return;
    conn.ws = null;
    sockets.delete(sock);
    ctx.conns.delete(conn);
    ctx.ipLimits.closed(conn.ipKey);
    stats.connections--;
    if (conn.lagging) {
      conn.lagging = false;
      conn.missedFrom.clear();
      stats.lagging--;
    }
    const player = conn.player;
    // As for a WebSocket: before the streams forget its realms (a resume rejoins them); no grace at shutdown.
    ctx.players.sessions.detach(conn, ctx.closing ? null : Date.now());
    ctx.streams.dropConn(conn);
    const grace = player !== null && player.conns.size === 0 && ctx.players.sessions.alive(player.name);
    if (grace && conn.topics.size > 0) {
      // Pushes while it is away are logged for its resume (flow control skips a connection without a socket).
      const log = hub.log(conn.session);
      const g: Ghost = { conn, topics: [...conn.topics], sink: { message: (text) => hub.remember(log, log.nextSeq++, text) } };
      bury(conn.session);
      ghosts.set(conn.session, g);
      for (const t of g.topics) hub.add(textTopic(t), g.sink);
    } else for (const t of conn.topics) ctx.pushes.remove(t, conn);
    conn.topics.clear();
    const why = conn.closeReason ?? (code === 1006 ? 'client' : reason);
    bump(stats.closes, why);
    log.info({ session: conn.session, code, reason: why, ms: Date.now() - conn.openedAt, dropped: conn.framesDropped || undefined }, 'event stream closed');
  };

  const open = (res: HttpResponse, req: HttpRequest, realm: string | null): void => {
    let ask: StreamAsk;
    let conn: Conn;
    let realms: RealmInfo[];
    let resumed: ReturnType<typeof ctx.players.sessions.find> = null;
    try {
      ask = readAsk(res, req, realm);
      const authed = ask.token !== null && tokenMatches(ask.token, opts.token);
      resumed = ctx.players.sessions.find(ask.resume);
      conn = newConn({
        remote: ask.remote,
        ipKey: ctx.ipLimits.keyFor(ask.remote),
        origin: ask.origin,
        authed,
        text: true,
        sse: true,
        ratePerSec: opts.ratePerSec,
        rateBurst: opts.rateBurst,
        now: Date.now(),
        ...(resumed !== null ? { session: resumed.name } : {}),
      });
      conn.game = ask.token === null || authed ? null : gameOfToken(ask.token, opts.token);
      realms = admit(ask, conn);
      if (resumed !== null && ctx.players.sessions.full(resumed)) {
        throw new TickverseError(ErrorCode.PLAYER_CONNECTION_LIMIT, `this player already has ${opts.maxConnectionsPerPlayer} connections open`);
      }
    } catch (e) {
      const known = isTickverseError(e);
      if (!known) log.error({ error: (e as Error)?.stack ?? String(e) }, 'event stream request crashed');
      refuse(res, known ? e.code : ErrorCode.INTERNAL, known ? e.message : 'internal error');
      return;
    }
    const sock = new SseSocket(res, conn, hub, (code, reason) => close(conn, sock, code, reason));
    res.onAborted(() => sock.aborted());
    conn.ws = sock;
    sockets.add(sock);
    ctx.conns.add(conn);
    ctx.ipLimits.opened(conn.ipKey);
    stats.connections++;
    stats.connectionsOpened++;
    bump(stats.http, '200');
    res.cork(() => {
      res.writeStatus('200 OK');
      res.writeHeader('content-type', 'text/event-stream; charset=utf-8');
      res.writeHeader('cache-control', 'no-store');
      res.writeHeader('x-content-type-options', 'nosniff');
      // Reverse proxies (nginx) must pass events on as they come.
      res.writeHeader('x-accel-buffering', 'no');
      if (ask.origin !== '') res.writeHeader('access-control-allow-origin', ask.origin).writeHeader('vary', 'origin');
      res.write(`retry: ${SSE_RETRY_MS}\n\n`);

      const { rejoin, token } = ctx.players.sessions.attach(conn, resumed === null ? null : { session: resumed, token: ask.resume! });
      const wasResumed = resumed !== null && conn.player === resumed;
      sock.identify(token, hub.log(conn.session));
      const again = ctx.players.stillThere(rejoin, opts.maxJoins);
      const hello = helloFor(opts, conn, token, wasResumed, again.map((r) => r.realmId));
      flow.send(conn, encode(hello), true);
      // Topics its closed stream followed carry on here (as its realms are rejoined).
      const inherited = bury(conn.session);
      const replayed = wasResumed && ask.after !== null ? sock.replay(ask.after) : 0;
      log.info({ session: conn.session, remote: conn.remote, authed: conn.authed, resumed: wasResumed || undefined, replayed: replayed || undefined }, 'event stream open');
      // Pictures of the realms it had joined and of the ones asked for: never replayed, always fresh.
      for (const r of [...again, ...realms]) {
        if (conn.ws === null) return;
        if (!conn.realms.has(r.realmId) && conn.realms.size < opts.maxJoins) ctx.streams.join(conn, r.realmId, r.cellSize);
      }
      for (const t of [...inherited, ...ask.topics]) {
        if (conn.topics.has(t) || conn.topics.size >= opts.maxTopics) continue;
        conn.topics.add(t);
        subscribeTopic(conn, t);
        ctx.pushes.add(t, conn);
      }
    });
  };

  app.get('/api/realms/:id/stream', (res, req) => open(res, req, req.getParameter(0) ?? ''));
  app.get('/api/stream', (res, req) => open(res, req, null));
}
