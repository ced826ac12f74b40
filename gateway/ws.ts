// The /ws endpoint: upgrade (origin allow-list, per-IP cap, optional token), per-connection
// limits (rate, payload, nesting, bad-frame streaks), screen → run → exactly one reply.
import type { HttpRequest, HttpResponse, WebSocket, WebSocketBehavior, us_socket_context_t } from 'uWebSockets.js';
import { ErrorCode, type ErrorCode as Code } from '../protocol/errors.js';
import { CloseCode, type ReplyError, type ReplyOk, type RequestId } from '../protocol/wire.js';
import { helloFor } from './hello.js';
import { bearer, originAllowed, tokenMatches } from './auth.js';
import { newConn, type Conn, type ConnData } from './connection.js';
import { toWireError, type GatewayContext } from './context.js';
import { encode } from './codec.js';
import { peekRequestId, screenRequest, type Screened } from './screen.js';
import { screenText } from './screen-text.js';
import { setTextMode } from './text-mode.js';
import { runAction } from './orchestrator.js';
import { bump } from './stats.js';
import { hardBackpressureLimit, hardPayloadLimit } from './flow.js';
import { UWS_IDLE_TIMEOUT_S } from './housekeeping.js';
import { accessError, runOp } from './ws-ops.js';
import { gameOfToken } from './game-tokens.js';
import type { PlayerSession } from './sessions.js';

/** Error lines logged per connection before further ones are only counted. */
const LOGGED_ERRORS_PER_CONN = 5;

const badTokens = new WeakSet<Conn>();
/** Upgrades that named a live player session (`?resume=`), from the upgrade to the open. */
const resuming = new WeakMap<Conn, { session: PlayerSession; token: string }>();
const loggedErrors = new WeakMap<Conn, number>();

export function wsBehavior(ctx: GatewayContext): WebSocketBehavior<ConnData> {
  const { opts, stats, flow } = ctx;
  const log = opts.logger;
  const refusedIps = new Set<string>();

  const replyError = (conn: Conn, id: RequestId | null, code: Code, message: string, corked: boolean, detail?: ReplyError['error']['detail']): void => {
    bump(stats.errors, code);
    const n = (loggedErrors.get(conn) ?? 0) + 1;
    loggedErrors.set(conn, n);
    if (n <= LOGGED_ERRORS_PER_CONN) log.warn({ session: conn.session, id, code, error: message }, 'request failed');
    else if (n === LOGGED_ERRORS_PER_CONN + 1) log.warn({ session: conn.session }, 'further request errors on this connection are counted, not logged');
    const msg: ReplyError = { op: 'reply', id, ok: false, error: detail === undefined ? { code, message } : { code, message, detail } };
    flow.send(conn, encode(msg), corked);
  };

  const replyOk = (conn: Conn, id: RequestId, result: unknown, corked: boolean): void => {
    const msg: ReplyOk = { op: 'reply', id, ok: true, result: result ?? null };
    let bytes: Uint8Array;
    try {
      bytes = encode(msg);
    } catch (e) {
      log.error({ session: conn.session, id, error: (e as Error).message }, 'cannot encode reply');
      replyError(conn, id, ErrorCode.INTERNAL, 'internal error', corked);
      return;
    }
    flow.send(conn, bytes, corked);
  };

  const close = (conn: Conn, code: number, reason: string): void => {
    const ws = conn.ws;
    if (ws === null) return;
    conn.closeReason = reason;
    ws.end(code, reason);
  };

  /** A protocol violation: an error reply, or a close when they keep coming. */
  const badInput = (conn: Conn, id: RequestId | null, code: Code, message: string): void => {
    if (++conn.badFrames > opts.badFramesCloseAfter) {
      bump(stats.errors, code);
      close(conn, CloseCode.BAD_FRAMES, 'too many bad messages');
      return;
    }
    replyError(conn, id, code, message, true);
  };

  const refuse = (res: HttpResponse, status: string, code: Code, message: string): void => {
    bump(stats.http, status.slice(0, 3));
    bump(stats.errors, code);
    res.cork(() => {
      res.writeStatus(status).writeHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify({ error: { code, message } }));
    });
  };

  return {
    // Hard limits in uWS, above ours: a message between the two gets a clean 1009 close from
    // us; beyond the hard one uWS drops the connection. Sends are checked against the hard
    // backpressure limit before they are made (flow.ts), so uWS never has to drop one.
    maxPayloadLength: hardPayloadLimit(opts.maxPayloadBytes),
    maxBackpressure: hardBackpressureLimit(opts.maxBackpressureBytes),
    closeOnBackpressureLimit: false,
    // Idle handling is ours (ms resolution, a close code). uWS's timer is at its maximum only
    // because uWS gives a socket it ended that timer's margin to take its close frame: 12–16 s
    // at 960 (at 0, 0–4 s: a slow client closed with 4003 often never read the frame). Our
    // pings (housekeeping.ts) keep live connections under it.
    idleTimeout: UWS_IDLE_TIMEOUT_S,
    sendPingsAutomatically: false,

    upgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t) {
      const origin = req.getHeader('origin');
      const host = req.getHeader('host');
      const key = req.getHeader('sec-websocket-key');
      // No subprotocols are defined: accept the first one offered, if any (browsers need one echoed).
      const protocol = req.getHeader('sec-websocket-protocol').split(',')[0]!.trim();
      const extensions = req.getHeader('sec-websocket-extensions');
      const given = req.getQuery('token') ?? bearer(req.getHeader('authorization'));
      const remote = Buffer.from(res.getRemoteAddressAsText()).toString();
      if (ctx.closing) {
        res.writeStatus('503 Service Unavailable').end('shutting down');
        return;
      }
      if (!originAllowed(origin, host, opts.allowedOrigins, opts.publicOrigin)) {
        bump(stats.http, '403');
        log.warn({ remote, origin }, 'websocket origin refused');
        res.writeStatus('403 Forbidden').writeHeader('content-type', 'text/plain').end('origin not allowed');
        return;
      }
      const ipKey = ctx.ipLimits.keyFor(remote);
      if (!ctx.ipLimits.admits(ipKey)) {
        // Logged once per address until its connections drop below the cap.
        if (!refusedIps.has(ipKey!)) log.warn({ remote, open: ctx.ipLimits.count(ipKey!) }, 'websocket refused: per-IP connection limit');
        refusedIps.add(ipKey!);
        refuse(res, '429 Too Many Requests', ErrorCode.CONNECTION_LIMIT, `this address already has ${opts.maxConnectionsPerIp} connections open`);
        return;
      }
      // A resume token that names no live session is no error: the connection starts a new player.
      const resumeToken = req.getQuery('resume') || null;
      const resumed = ctx.players.sessions.find(resumeToken);
      if (resumed !== null && ctx.players.sessions.full(resumed)) {
        log.info({ remote, session: resumed.name }, 'websocket refused: per-player connection limit');
        refuse(res, '429 Too Many Requests', ErrorCode.PLAYER_CONNECTION_LIMIT, `this player already has ${opts.maxConnectionsPerPlayer} connections open`);
        return;
      }
      const authed = given !== null && tokenMatches(given, opts.token);
      const game = given === null || authed ? null : gameOfToken(given, opts.token);
      const text = req.getQuery('format') === 'json';
      const conn = newConn({ remote, ipKey, origin, authed, text, ratePerSec: opts.ratePerSec, rateBurst: opts.rateBurst, now: Date.now(), ...(resumed !== null ? { session: resumed.name } : {}) });
      conn.game = game;
      if (given !== null && !authed && game === null) badTokens.add(conn);
      if (resumed !== null) resuming.set(conn, { session: resumed, token: resumeToken! });
      res.upgrade<ConnData>({ conn }, key, protocol, extensions, context);
    },

    open(ws: WebSocket<ConnData>) {
      const conn = ws.getUserData().conn;
      conn.ws = ws;
      ctx.conns.add(conn);
      ctx.ipLimits.opened(conn.ipKey);
      stats.connections++;
      stats.connectionsOpened++;
      if (badTokens.has(conn)) {
        log.warn({ session: conn.session, remote: conn.remote }, 'websocket refused: wrong token');
        close(conn, CloseCode.UNAUTHORIZED, 'wrong token');
        return;
      }
      const resumed = resuming.get(conn) ?? null;
      const { rejoin: realms, token } = ctx.players.sessions.attach(conn, resumed);
      const wasResumed = resumed !== null && conn.player === resumed.session;
      log.info({ session: conn.session, remote: conn.remote, origin: conn.origin || undefined, authed: conn.authed, game: conn.game ?? undefined, resumed: wasResumed || undefined }, 'websocket open');
      // Realms the player's last connection had joined, still there: pictures follow the hello.
      const rejoin = ctx.players.stillThere(realms, opts.maxJoins);
      const rejoined = rejoin.map((r) => r.realmId);
      const hello = helloFor(opts, conn, token, wasResumed, rejoined);
      flow.send(conn, encode(hello), true);
      for (const r of rejoin) ctx.streams.join(conn, r.realmId, r.cellSize);
    },

    message(ws: WebSocket<ConnData>, message: ArrayBuffer, isBinary: boolean) {
      const conn = ws.getUserData().conn;
      const now = Date.now();
      conn.lastSeen = now;
      conn.pinged = false;
      conn.messages++;
      stats.messagesIn++;
      if (message.byteLength > opts.maxPayloadBytes) {
        bump(stats.errors, ErrorCode.PAYLOAD_TOO_LARGE);
        close(conn, CloseCode.MESSAGE_TOO_BIG, `message of ${message.byteLength} bytes; the limit is ${opts.maxPayloadBytes}`);
        return;
      }
      // A view, valid during this callback only: screenRequest copies what outlives it.
      const bytes = new Uint8Array(message);
      if (!conn.bucket.take(now)) {
        // Strikes fade with time only, so a flood that gets a message through now and then is still closed.
        if (conn.strikes.add(now) > opts.rateCloseAfter) {
          bump(stats.errors, ErrorCode.RATE_LIMITED);
          close(conn, CloseCode.RATE_LIMITED, 'rate limit exceeded');
        } else {
          const id = peekRequestId(bytes, isBinary, opts);
          replyError(conn, id, ErrorCode.RATE_LIMITED, `more than ${opts.ratePerSec} messages/s (burst ${opts.rateBurst}); message ignored`, true);
        }
        return;
      }
      if (ctx.closing) {
        replyError(conn, peekRequestId(bytes, isBinary, opts), ErrorCode.ENGINE_STOPPED, 'the server is shutting down', true);
        return;
      }
      // Replies and pushes go in the encoding the client spoke last.
      setTextMode(conn, ws, !isBinary);
      const access = (op: Parameters<typeof accessError>[2]) => accessError(ctx, conn, op);
      const textual = isBinary ? null : screenText(bytes, opts, access);
      if (textual !== null && textual.ok && 'action' in textual) {
        void runAction(ctx, conn, textual.action).then((reply) => flow.send(conn, encode(reply), false));
        return;
      }
      const screened: Screened = textual ?? screenRequest(bytes, isBinary, opts, access);
      if (!screened.ok) {
        if (screened.bad) badInput(conn, screened.id, screened.code, screened.message);
        else replyError(conn, screened.id, screened.code, screened.message, true);
        return;
      }
      const req = screened.req;
      conn.badFrames = 0;
      const id = req.id;
      let out;
      try {
        out = runOp(ctx, conn, req);
      } catch (e) {
        const w = toWireError(e);
        if (w.internal) log.error({ session: conn.session, op: req.op, error: (e as Error)?.stack ?? String(e) }, 'request crashed');
        replyError(conn, id, w.code, w.message, true, w.detail);
        return;
      }
      if (out instanceof Promise) {
        out.then(
          (result) => replyOk(conn, id, result, false),
          (e: unknown) => {
            const w = toWireError(e);
            if (w.internal) log.error({ session: conn.session, op: req.op, error: (e as Error)?.stack ?? String(e) }, 'request crashed');
            replyError(conn, id, w.code, w.message, false, w.detail);
          },
        );
      } else replyOk(conn, id, out, true);
    },

    dropped(ws: WebSocket<ConnData>) {
      // uWS refused a message at its hard limit: flow control should have prevented it.
      const conn = ws.getUserData().conn;
      conn.framesDropped++;
      stats.framesDropped++;
      stats.sendDrops++;
      if (!conn.lagging) flow.startLag(conn, ws.getBufferedAmount());
    },

    drain(ws: WebSocket<ConnData>) {
      const conn = ws.getUserData().conn;
      if (conn.lagging && ws.getBufferedAmount() < opts.maxBackpressureBytes / 2) flow.recover(conn);
    },

    pong(ws: WebSocket<ConnData>) {
      const conn = ws.getUserData().conn;
      conn.lastSeen = Date.now();
      conn.pinged = false;
    },

    close(ws: WebSocket<ConnData>, code: number, message: ArrayBuffer) {
      const conn = ws.getUserData().conn;
      conn.ws = null;
      ctx.conns.delete(conn);
      ctx.ipLimits.closed(conn.ipKey);
      if (conn.ipKey !== null && ctx.ipLimits.admits(conn.ipKey)) refusedIps.delete(conn.ipKey);
      stats.connections--;
      if (conn.lagging) {
        conn.lagging = false;
        conn.missedFrom.clear();
        stats.lagging--;
      }
      // Before the streams forget its realms: a resume rejoins them. At shutdown nobody can come back: no grace.
      ctx.players.sessions.detach(conn, ctx.closing ? null : Date.now());
      ctx.streams.dropConn(conn);
      for (const t of conn.topics) ctx.pushes.remove(t, conn);
      conn.topics.clear();
      const reason = conn.closeReason ?? (code === CloseCode.NORMAL || code === CloseCode.GOING_AWAY ? 'client' : code === CloseCode.MESSAGE_TOO_BIG ? 'message too big' : `client code ${code}`);
      bump(stats.closes, reason);
      let text = '';
      try {
        text = Buffer.from(message).toString('utf8').slice(0, 120);
      } catch {
        // neutered or empty
      }
      log.info(
        { session: conn.session, code, reason, message: text || undefined, ms: Date.now() - conn.openedAt, messages: conn.messages, dropped: conn.framesDropped || undefined },
        'websocket closed',
      );
    },
  };
}
