// The engine's public shapes: options, control-tick reports, publish requests, and the
// events it emits. The gateway and tests program against these.
import type { EntityView, RealmInfo, RealmRegistration, RealmState } from '../protocol/realm.js';
import type { Stat7Selector } from '../protocol/stat7.js';
import type { ReplayPlan } from './persist/replay.js';

export type EngineMode = 'realtime' | 'max';

export interface EngineOptions {
  /** Shard worker threads. Default: os.availableParallelism(). */
  shards?: number;
  /** realtime = paced by the wall clock; max = as fast as the machine allows. Default realtime. */
  mode?: EngineMode;
  /** Local ticks per second (fixed dt = 1/tickHz). Default 25 (docs/engine.md: the latency trade-off). */
  tickHz?: number;
  /** Local ticks per control tick (K). Default 1: cross-realm events and registrations take effect within one local tick. */
  ticksPerControl?: number;
  /** Bytes of each shard's in- and out-ring (power of two). Default 4 MiB. */
  ringBytes?: number;
  /** Compute per-realm state hashes every N control ticks; 0 = never. Default 0 (hashing costs the shards a snapshot encode per realm). */
  hashEvery?: number;
  /** Largest event payload accepted, in bytes. Default 64 KiB. */
  maxPayloadBytes?: number;
  /** Largest player input accepted, in bytes (PAYLOAD_TOO_LARGE). Default 16 KiB. */
  maxInputBytes?: number;
  /** A realm's state budget: inputs that would grow it past this are refused (REALM_STATE_LIMIT); a realm whose snapshot exceeds it is failed, its last good snapshot kept. Default 8 MiB. */
  maxRealmStateBytes?: number;
  /** Most realms the engine accepts. Default 100,000. */
  maxRealms?: number;
  /** Extra realm kind modules (file URLs) loaded by every shard, each default-exporting a RealmKind. */
  kindModules?: string[];
  /** Spin iterations a shard tries before sleeping on the barrier (helps when shards <= cores). Default 2000 in max mode when shards < cores, else 0. */
  spin?: number;
  /** A shard that makes no progress (no barrier arrival, no new call into realm code) this long is stalled: it is terminated and replaced. Default max(500 ms, two control-tick periods). */
  stallMs?: number;
  /** Data directory for snapshots and the journal; null = no persistence. Default null (main.ts uses ./data). */
  dataDir?: string | null;
  /** Snapshot every N control ticks (kept in memory to restore a failed shard, and written to the dataDir if any); 0 = never (a failed shard's realms then fail too). Default 50. */
  snapshotEvery?: number;
  /** Snapshots kept in the data directory (>= 2). Default 3. */
  snapshotRetain?: number;
  /** Automatic backups into <dataDir>/backups every N ms; 0 = off. Default 0. */
  backupEveryMs?: number;
  /** Automatic backups kept. Default 5. */
  backupRetain?: number;
  /** With a dataDir: journal the state hashes of every control tick that computes them (hashEvery) as checkpoints time travel verifies a replay against. Default false. */
  journalHashes?: boolean;
  /** Time travel: a replay engine (no dataDir) that starts at the plan's control tick and releases each round only on `engine.step()`. Built by engine/time-travel.ts. */
  replay?: ReplayPlan | null;
  /** Shard restarts allowed per restartPeriodMs before its realms are marked failed (OTP-style intensity). Default 3. */
  maxRestarts?: number;
  /** Default 60,000 ms. */
  restartPeriodMs?: number;
  /** Worker heap limits for each shard (Node resourceLimits). */
  shardResourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; stackSizeMb?: number };
  /** A pino-compatible logger; default: silent. */
  logger?: EngineLogger;
}

export interface EngineLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface ShardTickStats {
  shard: number;
  realms: number;
  entities: number;
  /** ms the shard spent simulating in the round. */
  busyMs: number;
  /** Bytes in use in the out-ring / in-ring when the tick closed. */
  outRingUsed: number;
  inRingUsed: number;
  /** Producer-side failed writes so far (frames kept and retried, never dropped). */
  outRingOverflows: number;
  inRingOverflows: number;
  /** Events waiting in the shard because the out-ring was full. */
  outBacklog: number;
  stateFramesDropped: number;
}

export interface ControlTickInfo {
  controlTick: number;
  /** Close cost: from the last shard's arrival to the release of the next round, ms. */
  durationMs: number;
  /** Barrier part: from the last arrival to the main thread noticing it, ms. */
  barrierMs: number;
  /** Routing the batch into the in-rings, ms. */
  routeMs: number;
  /** From release to the last arrival (simulation work, or pacing in realtime), ms. */
  roundMs: number;
  eventsRouted: number;
  deliveries: number;
  transfers: number;
  /** Transfers whose destination could not take the entity: it went back to its source. */
  bounced: number;
  /** Unicast events and transfers that reached no realm (each also reported as an 'undeliverable' event). */
  undeliverable: number;
  localTicks: number;
  entityUpdates: number;
  shards: ShardTickStats[];
  /** realmId → state hash at the end of this control tick (only when hashed this tick). */
  hashes: Record<string, number>;
}

export interface PublishRequest {
  type: string;
  data?: unknown;
  /** Unicast to one realm. */
  to?: string;
  /** Every realm whose coordinate matches. */
  selector?: Stat7Selector;
  /** Neither `to` nor `selector`: broadcast to subscribers of `type`. */
}

export interface PublishReceipt {
  /** Control tick at which the event is routed. */
  controlTick: number;
  seq: number;
  /** Resolves once the event is journaled (at once without a data directory): acknowledge after it. */
  durable: Promise<void>;
}

export interface RecoveryReport {
  /** Control tick of the snapshot restored, or null if the data directory had none. */
  snapshotTick: number | null;
  realmsRestored: number;
  journalReplayed: number;
  /** Restored realms whose state hash was compared with the one recorded in the snapshot, and how many differed. */
  hashesChecked: number;
  hashMismatches: number;
  skippedFiles: string[];
}

export interface RestoreReport {
  path: string;
  controlTick: number;
  realms: number;
  hashesChecked: number;
  hashMismatches: number;
}

/** What engine.reloadKind answers once every realm of the kind runs the new code. */
export interface KindReloadReport {
  kind: string;
  /** Realms moved onto the new code, on every shard. */
  realms: number;
  /** The control tick at whose start the realms were swapped. */
  controlTick: number;
  /** The URL the shards imported (with its ?v=N cache-busting query). */
  module: string;
}

export interface BackupReport {
  path: string;
  controlTick: number;
  realms: number;
  bytes: number;
}

export interface EngineStats {
  controlTick: number;
  realms: number;
  shards: number;
  shardsAlive: number;
  uptimeMs: number;
  last: ControlTickInfo | null;
  realmsByState: Record<RealmState, number>;
  eventsRouted: number;
  /** Totals of ControlTickInfo.undeliverable and .bounced since start. */
  eventsUndeliverable: number;
  transfersBounced: number;
  barrierViolations: number;
  /** Shard threads replaced after dying or stalling, shard deaths seen, and stalls detected. */
  shardRestarts: number;
  shardFailures: number;
  shardStalls: number;
  lastSnapshot: { controlTick: number; ageMs: number } | null;
  recovery: RecoveryReport | null;
}

/** A routed cross-realm event, as reported to observers (the gateway's subscribers). */
export interface RoutedEvent {
  controlTick: number;
  from: string;
  type: string;
  via: 'unicast' | 'broadcast' | 'selector';
  to: string[];
  seq: number;
  /** The MessagePack payload {type, data} as produced by the source. */
  payload: Uint8Array;
}

export interface RealmChange {
  realmId: string;
  change: 'registered' | 'unregistered' | 'state';
  state: RealmState;
  info: RealmInfo;
}

/** A unicast event or an entity transfer that did not reach the realm it was sent to. */
export interface UndeliverableReport {
  controlTick: number;
  kind: 'event' | 'transfer';
  /** Source realm id, or 'external'. */
  from: string;
  /** Target realm id, or '#<slot>' when no realm has that slot any more. */
  to: string;
  type: string | null;
  entity: string | null;
  /** unknown-realm: no such realm; not-accepting: it is failed or offline; bounced: the entity went back to its source;
   *  overloaded: the target's shard is more than its backlog limit (16 × ringBytes) behind. */
  reason: 'unknown-realm' | 'not-accepting' | 'bounced' | 'overloaded';
}

export interface EngineEvents {
  controlTick: [ControlTickInfo];
  undeliverable: [UndeliverableReport];
  realm: [RealmChange];
  /** A watched realm's state bundle for one tick (protocol/state-bundle.ts): its changed streams' client frames, ready to publish. */
  state: [string, Uint8Array];
  routed: [RoutedEvent];
}

export type { EntityView, RealmInfo, RealmRegistration, RealmState };
