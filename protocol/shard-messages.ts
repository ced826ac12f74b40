// Payload shapes of the ring frames between the engine and its shards: one type per frame
// kind, in one map (FramePayloads) that both threads encode and decode through codec.ts.
import type { MessagePort } from 'node:worker_threads';
import { FrameKind } from './frames.js';
import type { EntityView } from './realm.js';
import type { Stat7, Stat7Selector } from './stat7.js';

/** ADD_REALM (target = slot). */
export interface AddRealmPayload {
  slot: number;
  /** The realm's row in its shard's stats table (stats-table.ts). */
  row: number;
  id: string;
  kind: string;
  params: Record<string, unknown>;
  stat7: Stat7;
  seed: number;
  /** Subscriptions the engine already routes (registration + the kind's own): the shard does not report them back. */
  subscribe: string[];
  /** Present when the realm comes back from a snapshot. */
  snapshot?: unknown;
  /** Comes back paused (it was paused when snapshotted). */
  paused?: boolean;
}

/** DIRECTORY: realm ids by slot, added and removed, shard-wide. */
export interface DirectoryPayload {
  addSlots: number[];
  addIds: string[];
  remove: number[];
}

export type QueryWhat = 'entities' | 'snapshot' | 'hash';

/** QUERY (target = realm slot, seq = request id) → REPLY with the same seq. */
export interface QueryPayload {
  what: QueryWhat;
}

/** What a REPLY carries for each query. */
export interface QueryReplies {
  entities: EntityView[];
  /** The host's snapshot envelope, still encoded, and its state hash. */
  snapshot: { snapshot: Uint8Array; hash: number };
  hash: number;
}

/** REPLY flags */
export const ReplyFlag = { OK: 0, ERROR: 1 } as const;

export interface ReplyError {
  code: string;
  message: string;
}

/** EVENT / DELIVER_EVENT payload. */
export interface EventPayload {
  type: string;
  data: unknown;
}

/** TRANSFER (worker → main, target = destination slot) and DELIVER_TRANSFER payload. */
export interface TransferPayload {
  id: string;
  entity: unknown;
  from: number;
}

/** DELIVER_TRANSFER flags; AWAY marks a routed transfer handed to another node (kept in the route log). */
export const TransferFlag = { ARRIVE: 0, BOUNCED: 1, AWAY: 2 } as const;

/** TRANSFER_OUT (main → worker, target = source slot): the engine API asks a realm to hand an entity over. */
export interface TransferOutPayload {
  entity: string;
  to: string;
}

/** DROP_ENTITY (main → worker): during catch-up, an entity that left this realm after its snapshot. */
export interface DropEntityPayload {
  id: string;
}

/** FAIL_REALM (main → worker): the engine failed the realm (e.g. a hash collision it detected). */
export interface FailRealmPayload {
  code: string;
  message: string;
}

/** INPUT payload (target = realm slot). */
export interface InputPayload {
  player: string;
  data: unknown;
}

/** REALM_STATE (source = realm slot): the realm's lifecycle state changed on its shard. */
export interface RealmStatePayload {
  /** RealmStateCode */
  state: number;
  code: string | null;
  message: string | null;
}

/** SUBSCRIBE / UNSUBSCRIBE (target = type hash) and TYPE_DEF (target = type hash). */
export interface TypePayload {
  type: string;
}

/** SELECTOR_DEF (target = selector hash). */
export interface SelectorDefPayload {
  selector: Stat7Selector;
}

/** HELLO: a shard's kind catalogue, sent once at start. */
export interface HelloPayload {
  /** Per kind: its broadcast subscriptions and its schema's area-of-interest cell size (0: none). */
  kinds: { name: string; subscribes: string[]; cell: number }[];
}

/** Frames whose body is MessagePack, by kind. ROUND_END (binary, stats-table.ts) and STATE
 *  (a client frame, passed through) are not decoded here; the rest carry no body. */
export interface FramePayloads {
  [FrameKind.EVENT]: EventPayload;
  [FrameKind.SELECTOR_DEF]: SelectorDefPayload;
  [FrameKind.SUBSCRIBE]: TypePayload;
  [FrameKind.UNSUBSCRIBE]: TypePayload;
  [FrameKind.TYPE_DEF]: TypePayload;
  [FrameKind.TRANSFER]: TransferPayload;
  [FrameKind.REALM_STATE]: RealmStatePayload;
  [FrameKind.HELLO]: HelloPayload;
  [FrameKind.ADD_REALM]: AddRealmPayload;
  [FrameKind.QUERY]: QueryPayload;
  [FrameKind.DIRECTORY]: DirectoryPayload;
  [FrameKind.DELIVER_EVENT]: EventPayload;
  [FrameKind.DELIVER_TRANSFER]: TransferPayload;
  [FrameKind.INPUT]: InputPayload;
  [FrameKind.TRANSFER_OUT]: TransferOutPayload;
  [FrameKind.DROP_ENTITY]: DropEntityPayload;
  [FrameKind.FAIL_REALM]: FailRealmPayload;
}
export type BodyKind = keyof FramePayloads;

// ---- kind reload (engine/reload.ts ↔ workers/shard-runtime.ts) ----
// Rare control traffic, so it goes through a MessagePort per shard rather than the rings; a
// shared counter tells the shard's tick loop (which never yields to its event loop) that a
// message waits, and the shard reads it with receiveMessageOnPort.

/** Main → shard. `swap` and `revert` apply at the start of round `round`, on every shard alike. */
export type ReloadCommand =
  | { op: 'load'; token: number; url: string }
  | { op: 'swap'; token: number; round: number }
  | { op: 'revert'; token: number; round: number }
  | { op: 'commit'; token: number }
  /** The load failed on another shard: forget the version loaded here. */
  | { op: 'drop'; token: number };

/** A realm whose new code threw during the reload, and what it threw. */
export interface ReloadFailure {
  realm: string;
  message: string;
}

/** Shard → main, one per command that needs an answer (`commit` has none). */
export type ReloadReply =
  | { op: 'loaded'; token: number; shard: number; ok: true; name: string; subscribes: string[]; cell: number; replaces: string | null }
  | { op: 'loaded'; token: number; shard: number; ok: false; message: string }
  | { op: 'swapped'; token: number; shard: number; round: number; realms: number; failed: ReloadFailure[] }
  | { op: 'reverted'; token: number; shard: number; round: number };

/** What the engine adds to a shard's ShardInit (transferred with it): the port and the "message waits" counter. */
export interface ReloadChannelInit {
  reload: { port: MessagePort; flag: SharedArrayBuffer };
}
