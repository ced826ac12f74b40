// @ts-nocheck
// What the data directory holds: multiverse snapshots and journal records.
import type { RealmState } from '../../protocol/realm.js';
import type { ValidRegistration } from '../registration.js';

export interface SnapshotRealm {
  slot: number;
  reg: ValidRegistration;
  state: RealmState;
  /** The shard host's snapshot envelope (tick, generator, subscriptions, counters, the kind's
   *  data) as the MessagePack bytes the shard produced (older files: the decoded object). */
  host: unknown;
  hash: number;
  /** Why the realm is failed, when `state` is 'error'. */
  error?: string | null;
}

export interface MultiverseSnapshot {
  v: 1;
  controlTick: number;
  createdAt: number;
  externalSeq: number;
  realms: SnapshotRealm[];
}

/** Acknowledged operations, each with the control tick at whose close it takes effect. */
export type JournalRecord =
  | { t: 'reg'; tick: number; slot: number; reg: ValidRegistration }
  | { t: 'unreg'; tick: number; realm: string }
  | { t: 'pause'; tick: number; realm: string }
  | { t: 'resume'; tick: number; realm: string }
  | { t: 'pub'; tick: number; frame: Uint8Array }
  | { t: 'input'; tick: number; realm: string; player: string; data: unknown };
