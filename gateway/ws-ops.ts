// The WebSocket operations: access checks, then one handler per op. Handlers return the
// result (or a promise of it) or throw a TickverseError with the documented code.
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import { Access, OP_ACCESS, type ResultMap, type WireRequest } from '../protocol/wire.js';
import { tokenMatches } from './auth.js';
import type { Conn } from './connection.js';
import { gatewayStats, type GatewayContext } from './context.js';

/** Why `conn` may not run `op` (UNAUTHORIZED), or null. */
export function accessError(ctx: GatewayContext, conn: Conn, op: WireRequest['op']): TickverseError | null {
  const access = OP_ACCESS[op];
  if (access === Access.OPEN || conn.authed) return null;
  if (access === Access.ADMIN) {
    if (ctx.opts.token === null) return new TickverseError(ErrorCode.UNAUTHORIZED, `"${op}" is disabled: this server has no token configured`);
    return new TickverseError(ErrorCode.UNAUTHORIZED, `"${op}" needs a token: send {op: "auth", token} first`);
  }
  if (ctx.opts.readNeedsToken) return new TickverseError(ErrorCode.UNAUTHORIZED, `"${op}" needs a token on this server: send {op: "auth", token} first`);
  return null;
}

export function checkAccess(ctx: GatewayContext, conn: Conn, op: WireRequest['op']): void {
  const e = accessError(ctx, conn, op);
  if (e !== null) throw e;
}

export function engineStatsView(ctx: GatewayContext): ResultMap['stats']['engine'] {
  const s = ctx.engine.stats();
  return { controlTick: s.controlTick, realms: s.realms, shards: s.shards, uptimeMs: s.uptimeMs, realmsByState: s.realmsByState, eventsRouted: s.eventsRouted };
}

/** `value`, after `durable` settles when the engine returned a promise for it. */
export function whenDurable<T>(durable: unknown, value: T): T | Promise<T> {
  return durable instanceof Promise ? durable.then(() => value) : value;
}

type Handled = ResultMap[keyof ResultMap] | Promise<ResultMap[keyof ResultMap]>;

export function runOp(ctx: GatewayContext, conn: Conn, req: WireRequest): Handled {
  checkAccess(ctx, conn, req.op);
  const { engine } = ctx;
  switch (req.op) {
    case 'auth':
      if (!tokenMatches(req.token, ctx.opts.token)) throw new TickverseError(ErrorCode.UNAUTHORIZED, 'wrong token');
      conn.authed = true;
      return { authed: true };
    case 'ping':
      return { t: req.t ?? null, now: Date.now(), controlTick: engine.controlTick };
    case 'register':
      return engine.register(req.realm);
    case 'unregister':
      return engine.unregister(req.realm).then(() => ({ realm: req.realm }));
    case 'list':
      return { realms: engine.list() };
    case 'get':
      return engine.get(req.realm);
    case 'entities':
      return engine.entities(req.realm).then((entities) => ({ realm: req.realm, entities }));
    case 'stats':
      return { engine: engineStatsView(ctx), gateway: gatewayStats(ctx) };
    case 'publish': {
      const r = engine.publish({
        type: req.type,
        data: req.data,
        ...(req.to !== undefined ? { to: req.to } : {}),
        ...(req.selector !== undefined ? { selector: req.selector } : {}),
      });
      // Acknowledge once the engine says the event is durable (at once without persistence).
      return whenDurable(r.durable, { controlTick: r.controlTick, seq: r.seq });
    }
    case 'subscribe': {
      const fresh = req.topics.filter((t) => !conn.topics.has(t));
      if (conn.topics.size + fresh.length > ctx.opts.maxTopics) {
        throw new TickverseError(ErrorCode.LIMIT_EXCEEDED, `a connection may subscribe to at most ${ctx.opts.maxTopics} topics`, { limit: ctx.opts.maxTopics });
      }
      for (const t of fresh) {
        conn.topics.add(t);
        conn.ws?.subscribe(t);
        ctx.pushes.add(t, conn);
      }
      return { topics: [...conn.topics] };
    }
    case 'unsubscribe':
      for (const t of req.topics) {
        if (!conn.topics.delete(t)) continue;
        conn.ws?.unsubscribe(t);
        ctx.pushes.remove(t, conn);
      }
      return { topics: [...conn.topics] };
    case 'join': {
      const info = engine.get(req.realm);
      if (conn.realms.has(req.realm)) {
        ctx.streams.keyframe(conn, req.realm);
        return info;
      }
      if (conn.realms.size >= ctx.opts.maxJoins) {
        throw new TickverseError(ErrorCode.LIMIT_EXCEEDED, `a connection may join at most ${ctx.opts.maxJoins} realms`, { limit: ctx.opts.maxJoins });
      }
      ctx.streams.join(conn, req.realm, info.cellSize);
      return info;
    }
    case 'leave':
      ctx.streams.leave(conn, req.realm);
      ctx.players.leave(conn, req.realm);
      return { realm: req.realm };
    case 'input':
      // A game server (authenticated) may speak for named players; anyone else is its own player, counted per realm.
      // The realm is checked first: `data` is decoded only when the engine takes it (screen.ts).
      engine.get(req.realm);
      if (conn.authed && req.player !== undefined) return whenDurable(engine.input(req.realm, req.player, req.data), null);
      return ctx.players.admit(conn, req.realm, () => whenDurable(engine.input(req.realm, conn.session, req.data), null));
    case 'keyframe':
      if (!conn.realms.has(req.realm)) throw new TickverseError(ErrorCode.BAD_REQUEST, `join realm "${req.realm}" before asking for its keyframe`);
      ctx.streams.keyframe(conn, req.realm);
      return { realm: req.realm };
    case 'focus':
      if (!conn.realms.has(req.realm)) throw new TickverseError(ErrorCode.BAD_REQUEST, `join realm "${req.realm}" before setting its focus`);
      ctx.streams.focus(conn, req.realm, req.x !== undefined && req.y !== undefined ? [req.x, req.y] : null);
      return { realm: req.realm, cells: ctx.streams.cellsOf(conn, req.realm) };
    case 'pause':
      return engine.pause(req.realm);
    case 'resume':
      return engine.resume(req.realm);
  }
}
