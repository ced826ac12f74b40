// Payload shapes of the ring frames between the engine and its shards (FrameKind keys them).
import type { Stat7 } from './stat7.js';

/** ADD_REALM */
export interface AddRealmPayload {
  slot: number;
  id: string;
  kind: string;
  params: Record<string, unknown>;
  stat7: Stat7;
  seed: number;
  subscribe: string[];
  /** Present when the realm comes back from a snapshot. */
  snapshot?: unknown;
}

/** DIRECTORY: realms added ([slot, id, stat7 canonical]) and removed (slots) shard-wide. */
export interface DirectoryPayload {
  add: [number, string][];
  remove: number[];
}

/** QUERY (target = realm slot, seq = request id) → REPLY with the same seq. */
export interface QueryPayload {
  /** entities → EntityView[]; snapshot → {snapshot, hash}; hash → number. */
  what: 'entities' | 'snapshot' | 'hash';
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

/** DELIVER_TRANSFER flags */
export const TransferFlag = { ARRIVE: 0, BOUNCED: 1 } as const;

/** TRANSFER_OUT (main → worker, target = source slot): the engine API asks a realm to hand an entity over. */
export interface TransferOutPayload {
  entity: string;
  to: string;
}

/** INPUT payload (target = realm slot). */
export interface InputPayload {
  player: string;
  data: unknown;
}

/** REALM_ERROR payload (source = realm slot). */
export interface RealmErrorPayload {
  code: string;
  message: string;
}

/** Per realm in ROUND_END: [slot, stateCode, localTick, entities, eventsIn, eventsOut, hash (-1 = not hashed), dropped]. */
export type RealmRoundStats = [number, number, number, number, number, number, number, number];

/** ROUND_END payload (aux = round). */
export interface RoundEndPayload {
  realms: RealmRoundStats[];
  busyMs: number;
  localTicks: number;
  entityUpdates: number;
  stateDropped: number;
  backlog: number;
  /** Times the shard saw the barrier released past its round before it arrived (must stay 0). */
  violations: number;
}
