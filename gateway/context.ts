// What the gateway's parts share: the engine, the uWS app, options, counters and the
// registries of connections, realm streams and push topics.
import type { TemplatedApp } from 'uWebSockets.js';
import type { Engine } from '../engine/index.js';
import { ErrorCode, isTickverseError, type ErrorCode as Code } from '../protocol/errors.js';
import type { GatewayStats } from '../protocol/wire.js';
import type { Conn } from './connection.js';
import type { Flow } from './flow.js';
import type { IpLimits } from './ip-limit.js';
import type { GatewayMetrics } from './metrics.js';
import type { ResolvedGatewayOptions } from './options.js';
import type { RealmPlayers } from './players.js';
import type { PushTopics } from './pushes.js';
import { RequestError } from './requests.js';
import type { LiveStats } from './stats.js';
import type { RealmStreams } from './streams.js';

export interface GatewayContext {
  readonly engine: Engine;
  readonly app: TemplatedApp;
  readonly opts: ResolvedGatewayOptions;
  readonly stats: LiveStats;
  readonly conns: Set<Conn>;
  readonly streams: RealmStreams;
  readonly pushes: PushTopics;
  readonly flow: Flow;
  readonly players: RealmPlayers;
  readonly ipLimits: IpLimits;
  readonly metrics: GatewayMetrics;
  /** Set once close() started: new connections and requests are refused. */
  closing: boolean;
}

export function gatewayStats(ctx: GatewayContext): GatewayStats {
  let joined = 0;
  for (const c of ctx.conns) joined += c.realms.size;
  return {
    connections: ctx.stats.connections,
    joined,
    streams: ctx.streams.size,
    framesPublished: ctx.stats.framesPublished,
    framesSent: ctx.stats.framesSent,
    framesDropped: ctx.stats.framesDropped,
    lagging: ctx.stats.lagging,
    backpressureCloses: ctx.stats.backpressureCloses,
  };
}

/** The code and message an error is reported with; anything unexpected becomes INTERNAL. */
export function toWireError(e: unknown): { code: Code; message: string; internal: boolean; detail?: { node: string; url: string } } {
  if (isTickverseError(e)) {
    // Only a redirect's details go on the wire; others may hold internals.
    if (e.code === ErrorCode.REALM_ELSEWHERE) return { code: e.code, message: e.message, internal: false, detail: e.detail as { node: string; url: string } };
    return { code: e.code, message: e.message, internal: e.code === ErrorCode.INTERNAL };
  }
  if (e instanceof RequestError) return { code: e.code, message: e.message, internal: false };
  return { code: ErrorCode.INTERNAL, message: 'internal error', internal: true };
}
