// startGateway: one uWS app on one port serving /ws, /api, /metrics and the static pages,
// wired to an engine. close() stops listening, closes every socket and detaches from the engine.
import { App, us_listen_socket_close, us_socket_local_port, type us_listen_socket } from 'uWebSockets.js';
import type { Engine } from '../engine/index.js';
import type { ControlTickInfo, RealmChange, RoutedEvent } from '../engine/index.js';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import { CloseCode, Topic, WS_PATH, type GatewayStats, type LeftPush } from '../protocol/wire.js';
import type { Conn } from './connection.js';
import { gatewayStats, type GatewayContext } from './context.js';
import { encode } from './codec.js';
import { mountHttp } from './http-api.js';
import { createMetrics } from './metrics.js';
import { resolveGatewayOptions, type GatewayOptions } from './options.js';
import { PushTopics, registryPush, tickPush } from './pushes.js';
import { newStats } from './stats.js';
import { RealmStreams } from './streams.js';
import { sweep } from './housekeeping.js';
import { Flow } from './flow.js';
import { IpLimits } from './ip-limit.js';
import { RealmPlayers } from './players.js';
import { wsBehavior } from './ws.js';

export interface Gateway {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Live figures (connections, frames sent/dropped …). */
  stats(): GatewayStats;
  /** Prometheus text, as served at /metrics. */
  metricsText(): Promise<string>;
  /** Stops listening, closes every connection (1001) and detaches from the engine. The engine keeps running. */
  close(): Promise<void>;
}

export async function startGateway(engine: Engine, options?: GatewayOptions): Promise<Gateway> {
  const opts = resolveGatewayOptions(options);
  const log = opts.logger;
  const stats = newStats();
  const app = App();
  const metrics = createMetrics(engine, stats, opts.defaultMetrics);

  const flow = new Flow(opts.maxBackpressureBytes);
  const onRouted = (ev: RoutedEvent): void => pushes.routed(ev);
  const pushes = new PushTopics(app, stats, flow, opts.maxEventPushesPerTick, (interested) => {
    if (interested) engine.on('routed', onRouted);
    else engine.off('routed', onRouted);
  });
  const streams = new RealmStreams(app, engine, stats, opts.keyframeCacheBytes, log, flow, opts.interestRadius);
  const players = new RealmPlayers(engine, opts, log);
  const ipLimits = new IpLimits(opts.maxConnectionsPerIp, opts.connectionLimitExempt);
  const ctx: GatewayContext = { engine, app, opts, stats, conns: new Set<Conn>(), streams, pushes, flow, players, ipLimits, metrics, closing: false };
  flow.attach(ctx);

  const onState = (realm: string, bytes: Uint8Array): void => streams.onState(realm, bytes);
  const onTick = (info: ControlTickInfo): void => {
    metrics.observeTick(info);
    pushes.newTick();
    if (pushes.has(Topic.TICKS)) pushes.publish(Topic.TICKS, tickPush(info));
  };
  const onRealm = (change: RealmChange): void => {
    if (pushes.has(Topic.REGISTRY)) pushes.publish(Topic.REGISTRY, registryPush(change));
    if (change.change === 'unregistered') {
      const left: LeftPush = { op: 'left', realm: change.realmId, reason: 'unregistered' };
      const bytes = encode(left);
      players.realmGone(change.realmId);
      for (const c of streams.realmGone(change.realmId)) flow.send(c, bytes, false);
    }
  };
  engine.on('state', onState);
  engine.on('controlTick', onTick);
  engine.on('realm', onRealm);

  app.ws(WS_PATH, wsBehavior(ctx));
  mountHttp(app, ctx);

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(opts.host, opts.port, (s) => {
      if (s === false) reject(new TickverseError(ErrorCode.INVALID_OPTION, `gateway cannot listen on ${opts.host}:${opts.port} (in use or not permitted)`, { option: 'port' }));
      else resolve(s);
    });
  }).catch((e: unknown) => {
    engine.off('state', onState).off('controlTick', onTick).off('realm', onRealm);
    throw e;
  });
  const port = us_socket_local_port(listenSocket as never);

  const timer = setInterval(() => sweep(ctx, Date.now()), opts.sweepMs);
  timer.unref();

  log.info(
    { port, host: opts.host, ws: WS_PATH, readNeedsToken: opts.readNeedsToken, mutating: opts.token === null ? 'disabled' : 'token', origins: opts.allowedOrigins },
    'gateway listening',
  );

  let closed: Promise<void> | null = null;
  return {
    port,
    stats: () => gatewayStats(ctx),
    metricsText: () => metrics.text(),
    close() {
      closed ??= (async () => {
        ctx.closing = true;
        clearInterval(timer);
        engine.off('state', onState).off('controlTick', onTick).off('realm', onRealm).off('routed', onRouted);
        us_listen_socket_close(listenSocket);
        for (const c of [...ctx.conns]) {
          const ws = c.ws;
          if (ws === null) continue;
          c.closeReason = 'server shutdown';
          ws.cork(() => ws.end(CloseCode.GOING_AWAY, 'server shutting down'));
        }
        streams.close();
        // Give the close frames a turn of the event loop to be written, then drop anything left.
        await new Promise<void>((r) => setImmediate(r));
        app.close();
        log.info({ port }, 'gateway closed');
      })();
      return closed;
    },
  };
}

