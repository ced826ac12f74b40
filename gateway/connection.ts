// Per-connection state, created at the WebSocket upgrade (kept as the uWS user data) or when
// a Server-Sent Events stream opens (gateway/sse.ts).
import { randomBytes } from 'node:crypto';
import { Strikes, TokenBucket } from './rate-limit.js';
import type { PlayerSession } from './sessions.js';

/**
 * The few socket methods the gateway uses: uWS's WebSocket has them, and so does the SSE
 * stream adapter (gateway/sse-socket.ts), so streams, pushes and flow control serve both.
 */
export interface ConnSocket {
  send(message: string | Uint8Array, isBinary?: boolean): number;
  subscribe(topic: string): boolean;
  unsubscribe(topic: string): boolean;
  getTopics(): string[];
  getBufferedAmount(): number;
  cork(cb: () => void): unknown;
  end(code?: number, reason?: string): void;
  ping(): unknown;
}

export interface Conn {
  /** Session id: 128 random bits (unguessable); also the player name for unauthenticated inputs. */
  readonly session: string;
  readonly remote: string;
  /** What the per-IP connection limit counts this connection under (null: exempt). */
  readonly ipKey: string | null;
  readonly origin: string;
  readonly openedAt: number;
  authed: boolean;
  /** Frames go as JSON text (it spoke JSON text last, or asked with `?format=json`), else MessagePack. */
  text: boolean;
  /** The game a game-scoped token was accepted for (gateway/game-tokens.ts), or null. */
  game: string | null;
  /** The player session this connection belongs to (gateway/sessions.ts); null before open and after close. */
  player: PlayerSession | null;
  /** Set on open, cleared on close: never use a uWS socket after its close event. */
  ws: ConnSocket | null;
  /** An SSE stream (gateway/sse.ts): always text, inputs come over HTTP. */
  readonly sse: boolean;
  /** Realms joined (state streams) and topics subscribed (pushes). */
  readonly realms: Set<string>;
  readonly topics: Set<string>;
  readonly bucket: TokenBucket;
  /** Rate-limited messages, fading with time; bad messages in a row. */
  readonly strikes: Strikes;
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
  /** Bytes published to this socket's topics in event-loop turn `queuedTurn` (uWS sends them at the end of the turn). */
  queued: number;
  queuedTurn: number;
  /** Why the server closed it, for the close log line. */
  closeReason: string | null;
}

/** What uWS stores per socket. */
export interface ConnData {
  conn: Conn;
}

/** "s" + 22 base64url characters (128 random bits). */
export const newSessionId = (): string => `s${randomBytes(16).toString('base64url')}`;

export interface ConnInit {
  remote: string;
  ipKey: string | null;
  origin: string;
  authed: boolean;
  text?: boolean;
  sse?: boolean;
  /** A resumed player's name (its session id); default: a new one. */
  session?: string;
  ratePerSec: number;
  rateBurst: number;
  now: number;
}

export function newConn(o: ConnInit): Conn {
  return {
    session: o.session ?? newSessionId(),
    remote: o.remote,
    ipKey: o.ipKey,
    origin: o.origin,
    openedAt: o.now,
    authed: o.authed,
    text: o.text ?? false,
    game: null,
    player: null,
    ws: null,
    sse: o.sse ?? false,
    realms: new Set(),
    topics: new Set(),
    bucket: new TokenBucket(o.ratePerSec, o.rateBurst, o.now),
    // Strikes fade as fast as the bucket refills: a client sending at more than twice its rate is closed.
    strikes: new Strikes(o.ratePerSec, o.now),
    badFrames: 0,
    messages: 0,
    lastSeen: o.now,
    pinged: false,
    lagging: false,
    lagSince: 0,
    missedFrom: new Map(),
    framesDropped: 0,
    queued: 0,
    queuedTurn: -1,
    closeReason: null,
  };
}
