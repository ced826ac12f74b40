// The client wire: every WebSocket message between a game client and the gateway.
// One binary WebSocket message = one MessagePack map (plain maps, string keys; no
// extension types), so any MessagePack library can speak it. docs/protocol.md documents
// the same shapes; the gateway, the client SDK and the admin pages import them from here.
import type { ErrorCode } from './errors.js';
import type { EntityView, RealmInfo, RealmRegistration, RealmState, StateFrame } from './realm.js';
import type { Stat7Selector } from './stat7.js';

/** Bumped when a change is not backwards compatible; sent in the `hello` push. */
export const WIRE_VERSION = 2;

/** Path of the WebSocket endpoint. */
export const WS_PATH = '/ws';

/** Request operations (client → server). Every request carries an `id` and gets exactly one `reply`. */
export const Op = {
  AUTH: 'auth',
  PING: 'ping',
  REGISTER: 'register',
  UNREGISTER: 'unregister',
  LIST: 'list',
  GET: 'get',
  ENTITIES: 'entities',
  STATS: 'stats',
  PUBLISH: 'publish',
  SUBSCRIBE: 'subscribe',
  UNSUBSCRIBE: 'unsubscribe',
  JOIN: 'join',
  LEAVE: 'leave',
  INPUT: 'input',
  KEYFRAME: 'keyframe',
  FOCUS: 'focus',
  PAUSE: 'pause',
  RESUME: 'resume',
  BACKUP: 'backup',
  BACKUPS: 'backups',
  RESTORE_BACKUP: 'restore_backup',
  DELETE_BACKUP: 'delete_backup',
} as const;
export type Op = (typeof Op)[keyof typeof Op];
export const OPS: readonly Op[] = Object.freeze(Object.values(Op));

/** Push operations (server → client). */
export const Push = {
  HELLO: 'hello',
  REPLY: 'reply',
  STATE: 'state',
  REGISTRY: 'registry',
  TICK: 'tick',
  EVENT: 'event',
  LEFT: 'left',
  CELLS: 'cells',
} as const;
export type Push = (typeof Push)[keyof typeof Push];

/** Who may call an operation: anyone, readers (open unless the gateway requires a token for reading), or token holders. */
export const Access = { OPEN: 'open', READ: 'read', ADMIN: 'admin' } as const;
export type Access = (typeof Access)[keyof typeof Access];

export const OP_ACCESS: Readonly<Record<Op, Access>> = Object.freeze({
  auth: Access.OPEN,
  ping: Access.OPEN,
  list: Access.READ,
  get: Access.READ,
  entities: Access.READ,
  stats: Access.READ,
  subscribe: Access.READ,
  unsubscribe: Access.READ,
  join: Access.READ,
  leave: Access.READ,
  input: Access.READ,
  keyframe: Access.READ,
  focus: Access.READ,
  register: Access.ADMIN,
  unregister: Access.ADMIN,
  publish: Access.ADMIN,
  pause: Access.ADMIN,
  resume: Access.ADMIN,
  // Listing is admin too: names and sizes tell who backs up what and when.
  backup: Access.ADMIN,
  backups: Access.ADMIN,
  restore_backup: Access.ADMIN,
  delete_backup: Access.ADMIN,
});

/**
 * Subscription topics for `subscribe` / `unsubscribe`:
 * `registry` (realm registered / unregistered / state change), `ticks` (control-tick summaries),
 * `event:*` (every routed cross-realm event), `event:<type>` (events of one type),
 * `to:<realmId>` (events delivered to one realm).
 */
export const Topic = {
  REGISTRY: 'registry',
  TICKS: 'ticks',
  ALL_EVENTS: 'event:*',
  EVENT_PREFIX: 'event:',
  REALM_EVENTS_PREFIX: 'to:',
} as const;

/**
 * WebSocket close codes the gateway uses. 1000-1011 are RFC 6455 codes; 4000-4999 are ours.
 * A client should not reconnect automatically after UNAUTHORIZED or FORBIDDEN.
 */
export const CloseCode = {
  /** Normal closure (client or server asked for it). */
  NORMAL: 1000,
  /** The server is shutting down. Reconnect later. */
  GOING_AWAY: 1001,
  /** A message exceeded the maximum payload (closed by the WebSocket layer itself). */
  MESSAGE_TOO_BIG: 1009,
  /** Unexpected server error. */
  INTERNAL: 1011,
  /** The token given in the connection URL or header is wrong. */
  UNAUTHORIZED: 4001,
  /** Too many undecodable or invalid messages in a row. */
  BAD_FRAMES: 4002,
  /** The client read too slowly: its send buffer stayed over the backpressure limit for too long. */
  SLOW_CONSUMER: 4003,
  /** Nothing received (not even a pong) within the idle timeout. */
  IDLE_TIMEOUT: 4004,
  /** The per-connection message rate was exceeded again and again. */
  RATE_LIMITED: 4029,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** A request id: an unsigned integer (up to 2^53 - 1) or a string of 1-64 characters, echoed in the reply. */
export type RequestId = number | string;

export interface AuthRequest { op: 'auth'; id: RequestId; token: string }
export interface PingRequest { op: 'ping'; id: RequestId; t?: number }
export interface RegisterRequest { op: 'register'; id: RequestId; realm: RealmRegistration }
export interface UnregisterRequest { op: 'unregister'; id: RequestId; realm: string }
export interface ListRequest { op: 'list'; id: RequestId }
export interface GetRequest { op: 'get'; id: RequestId; realm: string }
export interface EntitiesRequest { op: 'entities'; id: RequestId; realm: string }
export interface StatsRequest { op: 'stats'; id: RequestId }
export interface PublishWireRequest {
  op: 'publish';
  id: RequestId;
  type: string;
  data?: unknown;
  /** Unicast to one realm. */
  to?: string;
  /** Every realm whose STAT7 coordinate matches. Neither `to` nor `selector`: broadcast to subscribers of `type`. */
  selector?: Stat7Selector;
}
export interface SubscribeRequest { op: 'subscribe'; id: RequestId; topics: string[] }
export interface UnsubscribeRequest { op: 'unsubscribe'; id: RequestId; topics: string[] }
export interface JoinRequest { op: 'join'; id: RequestId; realm: string }
export interface LeaveRequest { op: 'leave'; id: RequestId; realm: string }
export interface InputRequest {
  op: 'input';
  id: RequestId;
  realm: string;
  data: unknown;
  /** Player name; only honoured on an authenticated connection (otherwise the connection's session id is used). */
  player?: string;
}
export interface KeyframeRequest { op: 'keyframe'; id: RequestId; realm: string }
/** Focus on a point of a realm with cells (both x and y), or on the client's own player entity again (neither). */
export interface FocusRequest { op: 'focus'; id: RequestId; realm: string; x?: number; y?: number }
export interface PauseRequest { op: 'pause'; id: RequestId; realm: string }
export interface ResumeRequest { op: 'resume'; id: RequestId; realm: string }
export interface BackupRequest { op: 'backup'; id: RequestId }
export interface BackupsRequest { op: 'backups'; id: RequestId }
/** `name`: a file name in <dataDir>/backups/ as `backups` lists it (`[A-Za-z0-9._-]`, ending `.tvsnap`). */
export interface RestoreBackupRequest { op: 'restore_backup'; id: RequestId; name: string }
export interface DeleteBackupRequest { op: 'delete_backup'; id: RequestId; name: string }

export type WireRequest =
  | AuthRequest
  | PingRequest
  | RegisterRequest
  | UnregisterRequest
  | ListRequest
  | GetRequest
  | EntitiesRequest
  | StatsRequest
  | PublishWireRequest
  | SubscribeRequest
  | UnsubscribeRequest
  | JoinRequest
  | LeaveRequest
  | InputRequest
  | KeyframeRequest
  | FocusRequest
  | PauseRequest
  | ResumeRequest
  | BackupRequest
  | BackupsRequest
  | RestoreBackupRequest
  | DeleteBackupRequest;

export type RequestOf<O extends Op> = Extract<WireRequest, { op: O }>;
/** The fields a caller supplies for an operation (everything but `op` and `id`). */
export type ParamsOf<O extends Op> = Omit<RequestOf<O>, 'op' | 'id'>;

export interface GatewayStats {
  connections: number;
  joined: number;
  streams: number;
  framesPublished: number;
  framesSent: number;
  framesDropped: number;
  /** Connections over the backpressure limit right now (state frames paused for them). */
  lagging: number;
  backpressureCloses: number;
}

export interface EngineStatsView {
  controlTick: number;
  realms: number;
  shards: number;
  uptimeMs: number;
  realmsByState: Record<RealmState, number>;
  eventsRouted: number;
}

/** One backup file in <dataDir>/backups/ (the `backups` op and GET /api/backups). */
export interface BackupInfo {
  name: string;
  /** ISO time the backup was taken (from the engine's file name), else the file's modification time. */
  time: string;
  size: number;
  /** Known only from the engine's naming (`backup-<tick>-<ms>.tvsnap`); null for other files. */
  controlTick: number | null;
}

/** A backup just taken (the `backup` op and POST /api/backups). */
export interface BackupCreated {
  name: string;
  time: string;
  size: number;
  controlTick: number;
  realms: number;
}

/** A backup restored: the multiverse is now the backup's (the `restore_backup` op and POST /api/backups/:name/restore). */
export interface BackupRestored {
  name: string;
  controlTick: number;
  realms: number;
  hashesChecked: number;
  hashMismatches: number;
}

/** Results, per operation. */
export interface ResultMap {
  /** `game`: the token was a game token, for that game (docs/gateway.md § Token scopes). */
  auth: { authed: true; game?: string };
  ping: { t: number | null; now: number; controlTick: number };
  /** `gameToken`: the token that lets the game's server send inputs to this game's realms. */
  register: RealmInfo & { gameToken: string };
  unregister: { realm: string };
  list: { realms: RealmInfo[] };
  get: RealmInfo;
  entities: { realm: string; entities: EntityView[] };
  stats: { engine: EngineStatsView; gateway: GatewayStats };
  publish: { controlTick: number; seq: number };
  subscribe: { topics: string[] };
  unsubscribe: { topics: string[] };
  join: RealmInfo;
  leave: { realm: string };
  input: null;
  keyframe: { realm: string };
  focus: { realm: string; cells: [number, number][] };
  pause: RealmInfo;
  resume: RealmInfo;
  backup: BackupCreated;
  backups: { backups: BackupInfo[] };
  restore_backup: BackupRestored;
  delete_backup: { name: string; deleted: true };
}
export type ResultOf<O extends Op> = ResultMap[O];

export interface WireError {
  code: ErrorCode;
  message: string;
  /** REALM_ELSEWHERE only: the node that owns the realm and its public address. */
  detail?: { node: string; url: string };
}

export type ReplyOk<R = unknown> = { op: 'reply'; id: RequestId; ok: true; result: R };
/** `id` is null when the request could not be decoded far enough to read it. */
export type ReplyError = { op: 'reply'; id: RequestId | null; ok: false; error: WireError };
export type Reply<R = unknown> = ReplyOk<R> | ReplyError;

/** Limits the server enforces, announced in `hello`. */
export interface WireLimits {
  /** Largest message the server accepts, in bytes (bigger: close 1009). */
  maxPayloadBytes: number;
  /** Token bucket: sustained messages per second and burst size. */
  ratePerSec: number;
  rateBurst: number;
  /** Deepest nesting of maps/arrays in a request, and most MessagePack values in one. */
  maxDepth: number;
  maxItems: number;
  /** Realms one connection may join, and topics it may subscribe to. */
  maxJoins: number;
  maxTopics: number;
  idleTimeoutMs: number;
}

/** First message on every connection. */
export interface HelloPush {
  op: 'hello';
  v: number;
  server: 'tickverse';
  /** The player's session id (the same after a resume, § 2.1 of docs/protocol.md); the player name of this connection's own inputs. */
  session: string;
  authed: boolean;
  /** The game a connect-time game token was accepted for; absent otherwise. */
  game?: string;
  /** Secret resume token of this player: reconnect with `?resume=<token>` within the grace to be the same player. Never share or log it. */
  resume: string;
  /** Whether this connection resumed an existing player session (the `?resume=` token was valid). */
  resumed: boolean;
  /** Realms rejoined on resume (their pictures follow this push); empty otherwise. */
  rejoined: string[];
  /** How long (ms) the player's seats and entities outlive its last connection. */
  reconnectGraceMs: number;
  /** Whether reading (list, join, subscribe, input …) needs a token on this server. */
  readNeedsToken: boolean;
  limits: WireLimits;
}

export interface RegistryPush {
  op: 'registry';
  change: 'registered' | 'unregistered' | 'state';
  realm: RealmInfo;
}

export interface ShardSummary {
  shard: number;
  realms: number;
  entities: number;
  busyMs: number;
  outRingUsed: number;
  inRingUsed: number;
}

export interface TickPush {
  op: 'tick';
  ct: number;
  durationMs: number;
  barrierMs: number;
  routeMs: number;
  roundMs: number;
  events: number;
  deliveries: number;
  transfers: number;
  localTicks: number;
  entityUpdates: number;
  shards: ShardSummary[];
}

export interface EventPush {
  op: 'event';
  /** Control tick at which the event was routed. */
  ct: number;
  /** Source realm, or "external" for events published through the API. */
  from: string;
  via: 'unicast' | 'broadcast' | 'selector';
  /** Realms the event was delivered to. */
  to: string[];
  seq: number;
  type: string;
  data: unknown;
}

/** The server removed this connection from a realm (e.g. the realm was unregistered). */
export interface LeftPush {
  op: 'left';
  realm: string;
  reason: 'unregistered';
}

export type StatePush = StateFrame;

/** Realms with cells: the cells this client follows now (sent when they change; drop entities of cells no longer listed). */
export interface CellsPush {
  op: 'cells';
  realm: string;
  /** Cell size in world units: cell [cx, cy] covers x in [cx·size, (cx+1)·size). */
  size: number;
  cells: [number, number][];
}

export type ServerMessage = HelloPush | Reply | StatePush | RegistryPush | TickPush | EventPush | LeftPush | CellsPush;
