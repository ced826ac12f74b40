// Requests from players on SSE streams, over HTTP (docs/gateway.md § Server-Sent Events
// fallback). A request names its player with the resume token from the stream's hello
// (header `X-Tickverse-Resume`, or a body field `resume`) and runs on that player's newest
// stream connection exactly as a JSON text frame would on a WebSocket: the same screening,
// access rules (an anonymous player only as itself, no relay emits), rate limit and replies.
import type { TemplatedApp } from 'uWebSockets.js';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { Reply as WireReply } from '../protocol/wire.js';
import type { Conn } from './connection.js';
import { toWireError, type GatewayContext } from './context.js';
import { httpStatus, json, param, route, type Handler, type Reply, type RequestInfo } from './http-util.js';
import { runAction } from './orchestrator.js';
import { isRecord } from './requests.js';
import { screenText } from './screen-text.js';
import { bump } from './stats.js';
import { toJson } from './text-mode.js';
import { accessError, runOp } from './ws-ops.js';

export const RESUME_HEADER = 'x-tickverse-resume';

type ResumeHandler = (info: RequestInfo, body: () => Promise<unknown>, resume: string | null) => Reply | Promise<Reply>;

/** route() with the request's `X-Tickverse-Resume` header handed to the handler (uWS's request is only readable synchronously). */
export function withResume(ctx: GatewayContext, paramCount: number, handler: ResumeHandler): ReturnType<typeof route> {
  return (res, req) => {
    const resume = req.getHeader(RESUME_HEADER) || null;
    const h: Handler = (info, body) => handler(info, body, resume);
    route(ctx, paramCount, h)(res, req);
  };
}

/** The connection a resume token's requests run on: the player's newest SSE stream, else its newest connection. */
export function playerConn(ctx: GatewayContext, token: string): Conn {
  const s = ctx.players.sessions.find(token);
  if (s === null) throw new TickverseError(ErrorCode.UNAUTHORIZED, 'the resume token names no live player session: open a stream (GET /api/stream) and use the token from its hello');
  let any: Conn | null = null;
  let stream: Conn | null = null;
  for (const c of s.conns) {
    if (c.ws === null) continue;
    any = c;
    if (c.sse) stream = c;
  }
  const conn = stream ?? any;
  if (conn === null) throw new TickverseError(ErrorCode.UNAUTHORIZED, 'this player has no open connection: reopen its stream (with Last-Event-ID) first');
  return conn;
}

const replyError = (ctx: GatewayContext, id: WireReply['id'] | null, code: ErrorCode, message: string): WireReply => {
  bump(ctx.stats.errors, code);
  return { op: 'reply', id, ok: false, error: { code, message } };
};

/** One request (a JSON text frame's object) on `conn`; resolves with the reply message. */
export async function runHttpOp(ctx: GatewayContext, conn: Conn, msg: unknown): Promise<WireReply | Record<string, unknown>> {
  const { opts } = ctx;
  const now = Date.now();
  conn.lastSeen = now;
  conn.messages++;
  ctx.stats.messagesIn++;
  const id = isRecord(msg) && (typeof msg.id === 'number' || typeof msg.id === 'string') ? msg.id : null;
  if (!conn.bucket.take(now)) return replyError(ctx, id, ErrorCode.RATE_LIMITED, `more than ${opts.ratePerSec} messages/s (burst ${opts.rateBurst}); request ignored`);
  if (ctx.closing) return replyError(ctx, id, ErrorCode.ENGINE_STOPPED, 'the server is shutting down');
  const bytes = Buffer.from(JSON.stringify(msg) ?? 'null', 'utf8');
  if (bytes.length > opts.maxPayloadBytes) return replyError(ctx, id, ErrorCode.PAYLOAD_TOO_LARGE, `request of ${bytes.length} bytes; the limit is ${opts.maxPayloadBytes}`);
  const screened = screenText(bytes, opts, (op) => accessError(ctx, conn, op));
  if (screened.ok && 'action' in screened) return runAction(ctx, conn, screened.action);
  if (!screened.ok) return replyError(ctx, screened.id, screened.code, screened.message);
  const req = screened.req;
  try {
    const result = await runOp(ctx, conn, req);
    return { op: 'reply', id: req.id, ok: true, result: result ?? null };
  } catch (e) {
    const w = toWireError(e);
    if (w.internal) opts.logger.error({ session: conn.session, op: req.op, error: (e as Error)?.stack ?? String(e) }, 'request crashed');
    return replyError(ctx, req.id, w.code, w.message);
  }
}

/** A reply message as the HTTP answer: its error's status, the message as JSON. */
function asHttp(reply: WireReply | Record<string, unknown>): Reply {
  const err = reply.ok === false ? (reply.error as { code?: ErrorCode } | undefined) : undefined;
  return { status: err?.code !== undefined ? httpStatus(err.code) : '200 OK', type: 'application/json; charset=utf-8', body: toJson(reply) };
}

/** The resume token of a request: the header, else a `resume` field of the body. */
function tokenOf(resume: string | null, b: unknown): string {
  const t = resume ?? (isRecord(b) && typeof b.resume === 'string' ? b.resume : null);
  if (t === null) throw new TickverseError(ErrorCode.UNAUTHORIZED, `this request needs the player's resume token (header "X-Tickverse-Resume" or body field "resume")`);
  return t;
}

/** `POST /api/realms/:id/input` from a player (not the admin): `{data}` as the player of `token`. */
export async function playerInput(ctx: GatewayContext, realm: string, resume: string | null, b: unknown): Promise<Reply> {
  const conn = playerConn(ctx, tokenOf(resume, b));
  if (!isRecord(b) || !('data' in b)) throw new TickverseError(ErrorCode.BAD_REQUEST, 'body must be {"data": any}');
  const reply = await runHttpOp(ctx, conn, { op: 'input', id: 0, realm, data: b.data });
  if (reply.ok === false) {
    const e = reply.error as { code: ErrorCode; message: string };
    throw new TickverseError(e.code, e.message);
  }
  return json({ ok: true }, '202 Accepted');
}

/** Whether a request should go the player way: it names a player and no admin token. */
export const isPlayerRequest = (info: RequestInfo, resume: string | null, b: unknown): boolean =>
  info.authorization === '' && (resume !== null || (isRecord(b) && typeof b.resume === 'string'));

export function mountSseOps(app: TemplatedApp, ctx: GatewayContext): void {
  // Any op, as a JSON text frame's object; the answer is the reply message.
  app.post(
    '/api/stream/op',
    withResume(ctx, 0, async (_info, body, resume) => {
      const b = await body();
      const conn = playerConn(ctx, tokenOf(resume, b));
      const msg = isRecord(b) && 'resume' in b ? { ...b, resume: undefined } : b;
      return asHttp(await runHttpOp(ctx, conn, msg));
    }),
  );
  // The realm-scoped ops of a stream, as routes of the realm.
  for (const op of ['leave', 'focus', 'keyframe'] as const) {
    app.post(
      `/api/realms/:id/${op}`,
      withResume(ctx, 1, async (info, body, resume) => {
        const b = await body();
        const conn = playerConn(ctx, tokenOf(resume, b));
        const extra = op === 'focus' && isRecord(b) ? { x: b.x, y: b.y } : {};
        return asHttp(await runHttpOp(ctx, conn, { op, id: 0, realm: param(info, 0), ...extra }));
      }),
    );
  }
}
