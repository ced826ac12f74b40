// Gateway options: checked once, each error naming the option and the value received; the
// result is frozen and trusted everywhere else in the gateway.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import { isIP } from 'node:net';
import { normalizeOrigin } from './origin.js';
import { isRadius, MAX_RADIUS } from '../protocol/interest.js';
import type { GatewayLogger } from './logger.js';
import type { GatewayCluster } from './cluster-hooks.js';
import { silentLogger } from './logger.js';

export interface GatewayOptions {
  /** TCP port; 0 picks a free one (the chosen port is returned). Default 8000. */
  port?: number;
  /** Interface to bind. Default "0.0.0.0". */
  host?: string;
  /**
   * Token for mutating operations (register, unregister, publish, pause, resume). Default: the
   * TICKVERSE_TOKEN environment variable. `null` disables mutating operations entirely.
   * At least 16 characters; there is no built-in default.
   */
  token?: string | null;
  /** Require the token for reading too (list, get, entities, stats, join, subscribe, input, HTTP GET /api/*, /metrics). Default false. */
  readNeedsToken?: boolean;
  /** Browser origins allowed to open a WebSocket: a list of exact origins (scheme://host[:port]), or "*". Default: same origin (see publicOrigin). Clients without an Origin header are always allowed. */
  allowedOrigins?: readonly string[] | '*';
  /** The origin browsers load the pages from, e.g. "https://game.example.com" (behind a proxy). Default null: `http://<Host>` when Host is localhost or an IP literal. */
  publicOrigin?: string | null;
  /** Open WebSockets per client IP (IPv6: per /64); more → HTTP 429 CONNECTION_LIMIT. 0 = no limit. Default 64. */
  maxConnectionsPerIp?: number;
  /** Addresses the per-IP limit does not count. Default ["127.0.0.1", "::1"]. */
  connectionLimitExempt?: readonly string[];
  /** Players (connections sending inputs as themselves) per realm; more → PLAYER_LIMIT. Default 200. */
  maxPlayersPerRealm?: number;
  /** How long a player's seats and entities outlive its last connection, waiting for a `?resume=` reconnect; 0 = leave at once. Default 30,000 ms (docs/gateway.md § Player sessions). */
  reconnectGraceMs?: number;
  /** Open WebSockets per player identity (a resume token); more → HTTP 429 PLAYER_CONNECTION_LIMIT. 0 = no limit. Default 4. */
  maxConnectionsPerPlayer?: number;
  /** Largest WebSocket message accepted, in bytes; bigger closes the connection with 1009. Default 64 KiB. */
  maxPayloadBytes?: number;
  /** Largest HTTP request body, in bytes. Default 1 MiB. */
  maxHttpBodyBytes?: number;
  /** Deepest map/array nesting in a request. Default 32. */
  maxDepth?: number;
  /** Most MessagePack values in one request. Default 10,000. */
  maxItems?: number;
  /** Per-connection token bucket: messages per second, and burst. Defaults 100 and 200. */
  ratePerSec?: number;
  rateBurst?: number;
  /** Rate-limited messages outstanding (each a strike, fading at ratePerSec per second) before close 4029. Default 200. */
  rateCloseAfter?: number;
  /** Undecodable/invalid messages in a row before the connection is closed with 4002. Default 20. */
  badFramesCloseAfter?: number;
  /** Close a connection that sent nothing (not even a pong) for this long; 0 = never. Default 60,000 ms. */
  idleTimeoutMs?: number;
  /** uWS maxBackpressure: bytes buffered for one socket beyond which state frames are skipped. Default 1 MiB. */
  maxBackpressureBytes?: number;
  /** A socket that stays over the backpressure limit this long is closed with 4003. Default 5,000 ms. */
  slowClientMs?: number;
  /** Realms one connection may join. Default 16. */
  maxJoins?: number;
  /** Topics one connection may subscribe to. Default 64. */
  maxTopics?: number;
  /** Bytes of state frames kept per realm (keyframe + deltas since) to bring late or lagging clients up to date. Default 2 MiB. */
  keyframeCacheBytes?: number;
  /** In realms with area-of-interest cells, a client follows a block of 2 × radius + 1 cells a side around its focus: 1 = the 3 × 3 around its cell, 0.5 = the 2 × 2 nearest it. A multiple of 0.5; default 1, at most 4. */
  interestRadius?: number;
  /** Cross-realm events pushed to subscribers per control tick; the rest are counted as dropped. Default 10,000. */
  maxEventPushesPerTick?: number;
  /** Housekeeping period (idle and backpressure checks), ms. Default 250. */
  sweepMs?: number;
  /** Server-Sent Events streams (docs/gateway.md § Server-Sent Events fallback): a comment line is written this often so proxies keep the stream open. Default 15,000 ms. */
  sseHeartbeatMs?: number;
  /** Pushes (not state frames) kept per SSE player, replayed after a `Last-Event-ID` reconnect; 0 = none. Default 256. */
  sseReplayMessages?: number;
  /** Open SSE streams on the whole gateway; more → HTTP 429 CONNECTION_LIMIT. 0 = no limit. Default 10,000. */
  maxSseStreams?: number;
  /** Directory of static files served under `/`; null disables. Default: the repository's `public/`. */
  publicDir?: string | null;
  /** Collect Node default metrics (CPU, memory, event loop, GC) in /metrics. Default true. */
  defaultMetrics?: boolean;
  /** A pino logger. Default: silent. */
  logger?: GatewayLogger;
  /** The multi-node multiverse this node belongs to (cluster/node.ts); null: single node. */
  cluster?: GatewayCluster | null;
}

export interface ResolvedGatewayOptions {
  readonly port: number;
  readonly host: string;
  readonly token: string | null;
  readonly readNeedsToken: boolean;
  readonly allowedOrigins: readonly string[] | '*' | 'same-origin';
  readonly publicOrigin: string | null;
  readonly maxConnectionsPerIp: number;
  readonly connectionLimitExempt: readonly string[];
  readonly maxPlayersPerRealm: number;
  readonly reconnectGraceMs: number;
  readonly maxConnectionsPerPlayer: number;
  readonly maxPayloadBytes: number;
  readonly maxHttpBodyBytes: number;
  readonly maxDepth: number;
  readonly maxItems: number;
  readonly ratePerSec: number;
  readonly rateBurst: number;
  readonly rateCloseAfter: number;
  readonly badFramesCloseAfter: number;
  readonly idleTimeoutMs: number;
  readonly maxBackpressureBytes: number;
  readonly slowClientMs: number;
  readonly maxJoins: number;
  readonly maxTopics: number;
  readonly keyframeCacheBytes: number;
  readonly interestRadius: number;
  readonly maxEventPushesPerTick: number;
  readonly sweepMs: number;
  readonly sseHeartbeatMs: number;
  readonly sseReplayMessages: number;
  readonly maxSseStreams: number;
  readonly publicDir: string | null;
  readonly defaultMetrics: boolean;
  readonly logger: GatewayLogger;
  readonly cluster: GatewayCluster | null;
}

export const MIN_TOKEN_LENGTH = 16;
/** Defaults of the player-session options (gateway/sessions.ts). */
export const DEFAULT_RECONNECT_GRACE_MS = 30_000;
export const MAX_CONNECTIONS_PER_PLAYER = 4;

const KNOWN = [
  'port', 'host', 'token', 'readNeedsToken', 'allowedOrigins', 'publicOrigin', 'maxConnectionsPerIp', 'connectionLimitExempt',
  'maxPlayersPerRealm', 'reconnectGraceMs', 'maxConnectionsPerPlayer', 'maxPayloadBytes', 'maxHttpBodyBytes', 'maxDepth',
  'maxItems', 'ratePerSec', 'rateBurst', 'rateCloseAfter', 'badFramesCloseAfter', 'idleTimeoutMs',
  'maxBackpressureBytes', 'slowClientMs', 'maxJoins', 'maxTopics', 'keyframeCacheBytes', 'interestRadius', 'maxEventPushesPerTick',
  'sweepMs', 'sseHeartbeatMs', 'sseReplayMessages', 'maxSseStreams', 'publicDir', 'defaultMetrics', 'logger', 'cluster',
] as const;

function fail(option: string, value: unknown, want: string): never {
  const shown = option === 'token' ? (typeof value === 'string' ? `a string of ${value.length} characters` : typeof value) : (JSON.stringify(value) ?? String(value));
  throw new TickverseError(ErrorCode.INVALID_OPTION, `gateway option "${option}" must be ${want}; received ${shown}`, { option });
}

function int(o: Record<string, unknown>, name: string, def: number, min: number, max: number): number {
  const v = o[name];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(name, v, `an integer from ${min} to ${max}`);
  return v;
}

function radius(o: Record<string, unknown>, name: string, def: number): number {
  const v = o[name];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !isRadius(v)) fail(name, v, `a multiple of 0.5 from 0 to ${MAX_RADIUS}`);
  return v;
}

function num(o: Record<string, unknown>, name: string, def: number, min: number, max: number): number {
  const v = o[name];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(name, v, `a number from ${min} to ${max}`);
  return v;
}

function bool(o: Record<string, unknown>, name: string, def: boolean): boolean {
  const v = o[name];
  if (v === undefined) return def;
  if (typeof v !== 'boolean') fail(name, v, 'a boolean');
  return v;
}

/** The repository's public/ directory, from source (gateway/) or from the build (dist/gateway/). */
export function defaultPublicDir(): string {
  for (const rel of ['../public/', '../../public/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  return fileURLToPath(new URL('../public/', import.meta.url));
}

export function resolveGatewayOptions(input: GatewayOptions | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedGatewayOptions {
  if (input !== undefined && (typeof input !== 'object' || input === null)) fail('options', input, 'an object');
  const o = (input ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!(KNOWN as readonly string[]).includes(k)) fail(k, o[k], `a known option (${KNOWN.join(', ')})`);

  const host = o.host ?? '0.0.0.0';
  if (typeof host !== 'string' || host.length === 0) fail('host', host, 'a non-empty string');

  let token = o.token === undefined ? (env.TICKVERSE_TOKEN ?? undefined) : o.token;
  if (token === '') token = undefined;
  if (token === undefined) {
    fail('token', token, `a string of at least ${MIN_TOKEN_LENGTH} characters (or set TICKVERSE_TOKEN; null disables mutating operations)`);
  }
  if (token !== null && (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH || token.length > 512)) {
    fail('token', token, `a string of ${MIN_TOKEN_LENGTH} to 512 characters, or null`);
  }

  let allowedOrigins: readonly string[] | '*' | 'same-origin' = 'same-origin';
  if (o.allowedOrigins !== undefined) {
    const a = o.allowedOrigins;
    if (a === '*') allowedOrigins = '*';
    else if (Array.isArray(a) && a.every((x) => typeof x === 'string' && /^https?:\/\/[^/\s]+$/.test(x) && normalizeOrigin(x) !== null)) {
      allowedOrigins = Object.freeze(a.map((x: string) => normalizeOrigin(x)!));
    } else fail('allowedOrigins', a, '"*" or a list of origins like "https://game.example.com"');
  }
  const po = o.publicOrigin ?? null;
  if (po !== null && (typeof po !== 'string' || !/^https?:\/\/[^/\s]+$/.test(po) || normalizeOrigin(po) === null)) {
    fail('publicOrigin', po, 'an origin like "https://game.example.com", or null');
  }
  const exempt = o.connectionLimitExempt ?? ['127.0.0.1', '::1'];
  if (!Array.isArray(exempt) || !exempt.every((x) => typeof x === 'string' && isIP(x.replace(/^\[|\]$/g, '')) !== 0)) {
    fail('connectionLimitExempt', exempt, 'a list of IP addresses');
  }

  const publicDir = o.publicDir === undefined ? defaultPublicDir() : o.publicDir;
  if (publicDir !== null && (typeof publicDir !== 'string' || publicDir.length === 0)) fail('publicDir', publicDir, 'a directory path or null');

  const logger = o.logger ?? silentLogger;
  if (typeof logger !== 'object' || logger === null || typeof (logger as GatewayLogger).info !== 'function') {
    fail('logger', '[object]', 'a pino logger');
  }

  const ratePerSec = num(o, 'ratePerSec', 100, 0.1, 1_000_000);
  const rateBurst = int(o, 'rateBurst', 200, 1, 10_000_000);

  return Object.freeze({
    port: int(o, 'port', 8000, 0, 65535),
    host,
    token: token as string | null,
    readNeedsToken: bool(o, 'readNeedsToken', false),
    allowedOrigins,
    publicOrigin: po === null ? null : normalizeOrigin(po),
    maxConnectionsPerIp: int(o, 'maxConnectionsPerIp', 64, 0, 10_000_000),
    connectionLimitExempt: Object.freeze([...(exempt as string[])]),
    maxPlayersPerRealm: int(o, 'maxPlayersPerRealm', 200, 1, 10_000_000),
    reconnectGraceMs: int(o, 'reconnectGraceMs', DEFAULT_RECONNECT_GRACE_MS, 0, 24 * 3600_000),
    maxConnectionsPerPlayer: int(o, 'maxConnectionsPerPlayer', MAX_CONNECTIONS_PER_PLAYER, 0, 10_000_000),
    maxPayloadBytes: int(o, 'maxPayloadBytes', 64 * 1024, 1024, 64 << 20),
    maxHttpBodyBytes: int(o, 'maxHttpBodyBytes', 1 << 20, 1024, 64 << 20),
    maxDepth: int(o, 'maxDepth', 32, 2, 1000),
    maxItems: int(o, 'maxItems', 10_000, 16, 10_000_000),
    ratePerSec,
    rateBurst,
    rateCloseAfter: int(o, 'rateCloseAfter', 200, 1, 10_000_000),
    badFramesCloseAfter: int(o, 'badFramesCloseAfter', 20, 1, 10_000_000),
    idleTimeoutMs: int(o, 'idleTimeoutMs', 60_000, 0, 24 * 3600_000),
    maxBackpressureBytes: int(o, 'maxBackpressureBytes', 1 << 20, 1024, 1 << 30),
    slowClientMs: int(o, 'slowClientMs', 5_000, 1, 3600_000),
    maxJoins: int(o, 'maxJoins', 16, 1, 100_000),
    maxTopics: int(o, 'maxTopics', 64, 1, 100_000),
    keyframeCacheBytes: int(o, 'keyframeCacheBytes', 2 << 20, 0, 1 << 30),
    interestRadius: radius(o, 'interestRadius', 1),
    maxEventPushesPerTick: int(o, 'maxEventPushesPerTick', 10_000, 0, 100_000_000),
    sweepMs: int(o, 'sweepMs', 250, 10, 60_000),
    sseHeartbeatMs: int(o, 'sseHeartbeatMs', 15_000, 10, 3600_000),
    sseReplayMessages: int(o, 'sseReplayMessages', 256, 0, 100_000),
    maxSseStreams: int(o, 'maxSseStreams', 10_000, 0, 10_000_000),
    publicDir: publicDir as string | null,
    defaultMetrics: bool(o, 'defaultMetrics', true),
    logger: logger as GatewayLogger,
    cluster: (o.cluster as GatewayCluster | null | undefined) ?? null,
  });
}
