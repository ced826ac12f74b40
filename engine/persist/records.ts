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

/** One control tick's routed batch, in routing order (frame k is frames[starts[k], starts[k] + lengths[k])). */
export interface PendingBatch {
  tick: number;
  frames: Uint8Array;
  starts: number[];
  lengths: number[];
}

export interface MultiverseSnapshot {
  v: 1;
  controlTick: number;
  createdAt: number;
  externalSeq: number;
  realms: SnapshotRealm[];
  /**
   * What state the realms hold (time travel needs it to line a replay up with the recording).
   * 'next' (periodic snapshots, backups; absent in older files): the end of round controlTick + 1's
   * local ticks — its queries went in at that barrier — without that round's deliveries, which
   * are `pending`. 'closed' (the final snapshot of a clean stop): the end of round controlTick
   * with its deliveries applied.
   */
  phase?: 'next' | 'closed';
  /** The recording engine's clock: a replay must run the same local ticks with the same dt. */
  clock?: { tickHz: number; ticksPerControl: number };
  /** 'next' only: the batch routed at the close of round controlTick + 1 (absent: older file, or not logged). */
  pending?: PendingBatch | null;
}

/** Acknowledged operations, each with the control tick at whose close it takes effect. */
export type JournalRecord =
  | { t: 'reg'; tick: number; slot: number; reg: ValidRegistration }
  | { t: 'unreg'; tick: number; realm: string }
  | { t: 'pause'; tick: number; realm: string }
  | { t: 'resume'; tick: number; realm: string }
  | { t: 'pub'; tick: number; frame: Uint8Array }
  | { t: 'input'; tick: number; realm: string; player: string; data: unknown }
  /** Not operations: time travel's checkpoints. The state hashes of control tick `tick` (option journalHashes). */
  | { t: 'hash'; tick: number; hashes: Record<string, number> }
  /** A start with recovery: in round `tick` the realms of snapshot `snapshot` (null: none) came back
   *  with every record of ticks after it up to `upTo`, all at once (docs/durability.md § Time travel). */
  | { t: 'boot'; tick: number; snapshot: number | null; upTo: number };
