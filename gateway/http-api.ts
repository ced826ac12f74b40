// The HTTP side: JSON API under /api, Prometheus text at /metrics, static pages at /.
// Mutating routes need `Authorization: Bearer <token>`; reading routes need it only when the
// gateway is configured with readNeedsToken (health and static pages are always open).
import type { TemplatedApp } from 'uWebSockets.js';
import type { EntityView, RealmInfo } from '../protocol/realm.js';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { PublishRequest } from '../engine/index.js';
import { bearer, tokenMatches } from './auth.js';
import { gameToken } from './game-tokens.js';
import { inputTo, localRealm } from './cluster-hooks.js';
import { gatewayStats, type GatewayContext } from './context.js';
import { json, param, route, type RequestInfo } from './http-util.js';
import { isRecord } from './requests.js';
import { StaticFiles } from './static-files.js';
import { mountBackups, mountWsHint } from './backups.js';
import { mountTimeline } from './timeline-api.js';
import { mountKinds } from './kinds-api.js';
import { engineStatsView, whenDurable } from './ws-ops.js';
import { mountSse } from './sse.js';
import { isPlayerRequest, mountSseOps, playerInput, withResume } from './sse-ops.js';
import { PACKAGE_VERSION } from './version.js';

/** Realm kinds whose entities are not NPCs (game-driven relays, benchmark points). */
const NOT_NPC_KINDS = new Set(['relay', 'stress']);

export function mountHttp(app: TemplatedApp, ctx: GatewayContext): void {
  const { engine, opts } = ctx;

  const admin = (info: RequestInfo): void => {
    if (opts.token === null) throw new TickverseError(ErrorCode.UNAUTHORIZED, 'mutating operations are disabled: this server has no token configured');
    if (!tokenMatches(bearer(info.authorization), opts.token)) throw new TickverseError(ErrorCode.UNAUTHORIZED, 'this operation needs "Authorization: Bearer <token>"');
  };
  const reader = (info: RequestInfo): void => {
    if (opts.readNeedsToken && !tokenMatches(bearer(info.authorization), opts.token)) {
      throw new TickverseError(ErrorCode.UNAUTHORIZED, 'this server requires "Authorization: Bearer <token>" for reading');
    }
  };

  app.get(
    '/api/health',
    route(ctx, 0, () => {
      const s = engine.stats();
      const last = s.last;
      const ok = engine.running;
      return json(
        {
          status: ok ? 'ok' : 'stopped',
          uptimeMs: s.uptimeMs,
          realms: s.realms,
          shards: s.shards,
          controlTick: s.controlTick,
          lastControlTick: last === null ? null : { controlTick: last.controlTick, durationMs: last.durationMs, barrierMs: last.barrierMs, eventsRouted: last.eventsRouted },
          connections: ctx.stats.connections,
          version: PACKAGE_VERSION,
          shardsAlive: s.shardsAlive,
          shardRestarts: s.shardRestarts,
          shardFailures: s.shardFailures,
          shardStalls: s.shardStalls,
          lastSnapshot: s.lastSnapshot,
          recovery: s.recovery,
          // Scale-out: this node and every live node of the multiverse (docs/scale-out.md).
          ...(opts.cluster !== null ? { node: opts.cluster.id, nodes: opts.cluster.nodes(), cluster: opts.cluster.stats() } : {}),
        },
        ok ? '200 OK' : '503 Service Unavailable',
      );
    }),
  );

  app.get(
    '/api/realms',
    route(ctx, 0, async (info) => {
      reader(info);
      // A cluster node lists the whole multiverse (each realm with its node) unless asked for its own (?local=1).
      const local = new URLSearchParams(info.query).get('local');
      return json(opts.cluster === null || local === '1' || local === 'true' ? engine.list() : await opts.cluster.realms());
    }),
  );

  app.get(
    '/api/realms/:id',
    route(ctx, 1, (info) => {
      reader(info);
      return json(localRealm(engine, opts.cluster, param(info, 0)));
    }),
  );

  app.get(
    '/api/realms/:id/entities',
    route(ctx, 1, async (info) => {
      reader(info);
      return json(await engine.entities(localRealm(engine, opts.cluster, param(info, 0)).realmId));
    }),
  );

  app.get(
    '/api/npcs',
    route(ctx, 0, async (info) => {
      reader(info);
      const q = new URLSearchParams(info.query);
      const only = q.get('realm');
      const limit = Math.min(10_000, Math.max(1, Number(q.get('limit') ?? '1000') || 1000));
      const realms: RealmInfo[] = engine
        .list()
        .filter((r) => !NOT_NPC_KINDS.has(r.kind) && (r.state === 'running' || r.state === 'paused' || r.state === 'syncing') && (only === null || r.realmId === only));
      const settled = await Promise.allSettled(realms.map((r) => engine.entities(r.realmId)));
      const out: (EntityView & { realm: string })[] = [];
      settled.forEach((s, i) => {
        if (s.status !== 'fulfilled') return;
        for (const e of s.value) if (out.length < limit) out.push({ ...e, realm: realms[i]!.realmId });
      });
      return json(out);
    }),
  );

  app.get(
    '/api/stats',
    route(ctx, 0, (info) => {
      reader(info);
      const s = engine.stats();
      const last = s.last === null ? null : { ...s.last, hashes: undefined };
      return json({ engine: { ...engineStatsView(ctx), last }, gateway: gatewayStats(ctx) });
    }),
  );

  app.post(
    '/api/realms',
    route(ctx, 0, async (info, body) => {
      admin(info);
      const reg = await body();
      if (!isRecord(reg)) throw new TickverseError(ErrorCode.BAD_REQUEST, 'body must be a JSON object of registration fields (realm_id, game_id, …)');
      const realm = await (opts.cluster === null ? engine.register(reg as never) : opts.cluster.register(reg as never));
      opts.logger.info({ realm: realm.realmId, via: 'http' }, 'realm registered');
      // As over the WebSocket: the game's token, for its server (docs/gateway.md § Token scopes).
      return json({ ...realm, gameToken: gameToken(opts.token!, realm.gameId) }, '201 Created');
    }),
  );

  app.del(
    '/api/realms/:id',
    route(ctx, 1, async (info) => {
      admin(info);
      const id = param(info, 0);
      await (opts.cluster === null ? engine.unregister(id) : opts.cluster.unregister(id));
      return json({ realm: id });
    }),
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/api/realms/:id/${action}`,
      route(ctx, 1, async (info) => {
        admin(info);
        const id = param(info, 0);
        return json(action === 'pause' ? await engine.pause(id) : await engine.resume(id));
      }),
    );
  }

  app.post(
    '/api/realms/:id/input',
    // A player on an SSE stream names itself with its resume token (gateway/sse-ops.ts); else the admin token.
    withResume(ctx, 1, async (info, body, resume) => {
      if (resume === null && info.authorization !== '') admin(info);
      const b = await body().catch((e: unknown) => {
        if (resume === null) admin(info); // no player named: the admin's 401 comes first, as before
        throw e;
      });
      if (isPlayerRequest(info, resume, b)) return playerInput(ctx, param(info, 0), resume, b);
      admin(info);
      if (!isRecord(b) || typeof b.player !== 'string' || !('data' in b)) throw new TickverseError(ErrorCode.BAD_REQUEST, 'body must be {"player": string, "data": any}');
      await whenDurable(inputTo(engine, opts.cluster, param(info, 0), b.player, b.data), null);
      return json({ ok: true }, '202 Accepted');
    }),
  );

  app.post(
    '/api/publish',
    route(ctx, 0, async (info, body) => {
      admin(info);
      const b = await body();
      if (!isRecord(b)) throw new TickverseError(ErrorCode.BAD_REQUEST, 'body must be {"type": string, "data"?: any, "to"?: realm | "selector"?: {...}}');
      const receipt = engine.publish(b as unknown as PublishRequest);
      await whenDurable(receipt.durable, null);
      return json({ controlTick: receipt.controlTick, seq: receipt.seq }, '202 Accepted');
    }),
  );

  app.get(
    '/metrics',
    route(ctx, 0, async (info) => {
      reader(info);
      return { status: '200 OK', type: ctx.metrics.registry.contentType, body: await ctx.metrics.text() };
    }),
  );

  mountBackups(app, ctx, admin);
  mountTimeline(app, ctx, admin);
  mountKinds(app, ctx, admin);
  mountWsHint(app, ctx);
  mountSse(app, ctx);
  mountSseOps(app, ctx);

  app.any(
    '/api/*',
    route(ctx, 0, (info) => {
      throw new TickverseError(ErrorCode.NOT_FOUND, `no route ${info.method.toUpperCase()} ${info.url}`);
    }),
  );

  const files = opts.publicDir === null ? null : new StaticFiles(opts.publicDir);
  app.get(
    '/*',
    route(ctx, 0, (info) => {
      if (files === null) throw new TickverseError(ErrorCode.NOT_FOUND, 'static files are disabled');
      return files.serve(info.url);
    }),
  );
  app.any(
    '/*',
    route(ctx, 0, (info) => {
      throw new TickverseError(ErrorCode.NOT_FOUND, `no route ${info.method.toUpperCase()} ${info.url}`);
    }),
  );
}
