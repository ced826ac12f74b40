// The WebSocket operations: access checks, then one handler per op. Handlers return the
// result (or a promise of it) or throw a TickverseError with the documented code.
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import { Access, OP_ACCESS, type ResultMap, type WireRequest } from '../protocol/wire.js';
import type { RealmInfo } from '../protocol/realm.js';
import { tokenMatches } from './auth.js';
import { createBackup, deleteBackup, listBackups, restoreBackup } from './backups.js';
import type { Conn } from './connection.js';
import { gatewayStats, type GatewayContext } from './context.js';
import { gameOfToken, gameToken } from './game-tokens.js';
import { subscribeTopic, unsubscribeTopic } from './text-mode.js';
import { inputTo, localRealm } from './cluster-hooks.js';

/** Why `conn` may not run `op` (UNAUTHORIZED), or null. */
export function accessError(ctx: GatewayContext, conn: Conn, op: WireRequest['op']): TickverseError | null {
  const access = OP_ACCESS[op];
  if (access === Access.OPEN || conn.authed) return null;
  if (access === Access.ADMIN) {
    if (conn.game !== null) return new TickverseError(ErrorCode.UNAUTHORIZED, `"${op}" needs the admin token: a game token only lets its game's server send inputs to that game's realms`);
    if (ctx.opts.token === null) return new TickverseError(ErrorCode.UNAUTHORIZED, `"${op}" is disabled: this server has no token configured`);
    return new TickverseError(ErrorCode.UNAUTHORIZED, `"${op}" needs a token: send {op: "auth", token} first`);
  }
  if (ctx.opts.readNeedsToken && conn.game === null) return new TickverseError(ErrorCode.UNAUTHORIZED, `"${op}" needs a token on this server: send {op: "auth", token} first`);
  return null;
}

/**
 * Whether `conn` may send `realm` inputs (FORBIDDEN otherwise): the admin token may; a game
 * token only for its own game's realms; an anonymous connection only as its own player, and a
 * relay never emits cross-realm events for it (its own entities it may still write: the relay
 * keeps each one to the player that created it).
 */
export function checkInputAccess(conn: Conn, realm: RealmInfo, data: unknown): void {
  if (conn.authed) return;
  if (conn.game !== null) {
    if (realm.gameId === conn.game) return;
    throw new TickverseError(ErrorCode.FORBIDDEN, `this connection's token is for game "${conn.game}"; realm "${realm.realmId}" belongs to game "${realm.gameId}"`);
  }
  // Untrusted `data` decodes its maps to Map (codec.ts); JSON text frames give plain objects.
  const has = (k: string): boolean => (data instanceof Map ? data.has(k) : typeof data === 'object' && data !== null && k in data);
  if (realm.kind === 'relay' && (has('emit') || has('transfer'))) {
    throw new TickverseError(ErrorCode.FORBIDDEN, `realm "${realm.realmId}" is a relay realm: emitting cross-realm events or transferring entities through it needs its game's token (from the register reply) or the admin token`);
  }
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
    case 'auth': {
      if (tokenMatches(req.token, ctx.opts.token)) {
        conn.authed = true;
        return { authed: true };
      }
      const game = gameOfToken(req.token, ctx.opts.token);
      if (game === null) throw new TickverseError(ErrorCode.UNAUTHORIZED, 'wrong token');
      conn.game = game;
      return { authed: true, game };
    }
    case 'ping':
      return { t: req.t ?? null, now: Date.now(), controlTick: engine.controlTick };
    case 'register': {
      // The reply carries the game's token, for its server (docs/gateway.md § Token scopes).
      const admin = ctx.opts.token!; // admin ops run only on a server with a token
      const placed = ctx.opts.cluster === null ? engine.register(req.realm) : ctx.opts.cluster.register(req.realm);
      return placed.then((info) => ({ ...info, gameToken: gameToken(admin, info.gameId) }));
    }
    case 'unregister':
      return (ctx.opts.cluster === null ? engine.unregister(req.realm) : ctx.opts.cluster.unregister(req.realm)).then(() => ({ realm: req.realm }));
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
        subscribeTopic(conn, t);
        ctx.pushes.add(t, conn);
      }
      return { topics: [...conn.topics] };
    }
    case 'unsubscribe':
      for (const t of req.topics) {
        if (!conn.topics.delete(t)) continue;
        unsubscribeTopic(conn, t);
        ctx.pushes.remove(t, conn);
      }
      return { topics: [...conn.topics] };
    case 'join': {
      const info = localRealm(engine, ctx.opts.cluster, req.realm);
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
      checkInputAccess(conn, localRealm(engine, ctx.opts.cluster, req.realm), req.data);
      if ((conn.authed || conn.game !== null) && req.player !== undefined) return whenDurable(inputTo(engine, ctx.opts.cluster, req.realm, req.player, req.data), null);
      return ctx.players.admit(conn, req.realm, () => whenDurable(inputTo(engine, ctx.opts.cluster, req.realm, conn.session, req.data), null));
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
    // The same functions as the HTTP routes (backups.ts): the same results and codes.
    case 'backup':
      return createBackup(ctx, 'ws');
    case 'backups':
      return listBackups(ctx).then((backups) => ({ backups }));
    case 'restore_backup':
      return restoreBackup(ctx, req.name, 'ws');
    case 'delete_backup':
      return deleteBackup(ctx, req.name, 'ws');
  }
}
