// Per-connection state, created at the WebSocket upgrade and kept as the uWS user data.
import type { WebSocket } from 'uWebSockets.js';
import { TokenBucket } from './rate-limit.js';

export interface Conn {
  /** Session id, unique within this gateway: also the player name for unauthenticated inputs. */
  readonly session: string;
  readonly remote: string;
  readonly origin: string;
  readonly openedAt: number;
  authed: boolean;
  /** Set on open, cleared on close: never use a uWS socket after its close event. */
  ws: WebSocket<ConnData> | null;
  /** Realms joined (state streams) and topics subscribed (pushes). */
  readonly realms: Set<string>;
  readonly topics: Set<string>;
  readonly bucket: TokenBucket;
  /** Consecutive rate-limited messages / consecutive bad messages. */
  rateStrikes: number;
  badFrames: number;
  messages: number;
  /** Last time anything (a message or a pong) arrived; a ping is sent at half the idle timeout. */
  lastSeen: number;
  pinged: boolean;
  /** Over the backpressure limit: state frames are being skipped for this socket. */
  lagging: boolean;
  lagSince: number;
  /** While lagging: per joined realm, the stream's published count when the connection stopped receiving. */
  readonly missedFrom: Map<string, number>;
  framesDropped: number;
  /** Why the server closed it, for the close log line. */
  closeReason: string | null;
}

/** What uWS stores per socket. */
export interface ConnData {
  conn: Conn;
}

let nextSession = 0;

export function newConn(remote: string, origin: string, authed: boolean, ratePerSec: number, rateBurst: number, now: number): Conn {
  nextSession = (nextSession + 1) % Number.MAX_SAFE_INTEGER;
  return {
    session: `s${nextSession.toString(36)}`,
    remote,
    origin,
    openedAt: now,
    authed,
    ws: null,
    realms: new Set(),
    topics: new Set(),
    bucket: new TokenBucket(ratePerSec, rateBurst, now),
    rateStrikes: 0,
    badFrames: 0,
    messages: 0,
    lastSeen: now,
    pinged: false,
    lagging: false,
    lagSince: 0,
    missedFrom: new Map(),
    framesDropped: 0,
    closeReason: null,
  };
}
