// What engine nodes of one multiverse exchange over NATS (docs/scale-out.md): node leases,
// realm ownership records, and cross-node event batches. Plain MessagePack maps on the wire.
import type { TargetKind } from './frames.js';
import type { RealmInfo } from './realm.js';
import type { Stat7Selector } from './stat7.js';

/** A node's lease in the nodes bucket, rewritten at every heartbeat. */
export interface NodeRecord {
  node: string;
  /** Where clients reach this node's gateway (http://host:port); '' when it has none. */
  url: string;
  realms: number;
  entities: number;
  startedAt: number;
  /** Heartbeats written since start: a watcher sees the lease renewed when this grows. */
  beat: number;
}

/** A realm's entry in the directory bucket: who owns it, since which epoch, and how to recreate it. */
export interface OwnerRecord {
  owner: string;
  /** +1 at every change of owner; a node acts for a realm only under the epoch it claimed. */
  epoch: number;
  /** The registration as given (the wire shape), so another node can recreate the realm. */
  registration: Record<string, unknown>;
}

/** One event crossing nodes; its payload is the ring frame's MessagePack body, untouched. */
export interface RemoteEvent {
  /** Source realm id, or null for an event published through a node's API. */
  from: string | null;
  /** The source realm's epoch at its owner (0 for API events). */
  epoch: number;
  /** How it was addressed: the ring frame's own target kind. */
  via: TargetKind;
  /** Unicast target realm id / broadcast event type; a selector's dimensions. */
  to?: string;
  type?: string;
  selector?: Stat7Selector;
  seq: number;
  /** Source local tick at emission. */
  tick: number;
  payload: Uint8Array;
}

/** An entity leaving for another node's realm, as the engine hands it to the cluster side. */
export interface TransferOut {
  from: string;
  to: string;
  entityId: string;
  /** What the source kind's exportEntity returned. */
  entity: unknown;
  /** The source realm's local tick when the entity left it (its snapshots from that tick on lack it). */
  tick: number;
}

/** A transfer between nodes (docs/scale-out.md § Transfers): held by the source's owner until the destination's owner says it landed. */
export interface RemoteTransfer extends TransferOut {
  /** Unique in the multiverse: `<source realm>@<epoch>#<n>`; every retry carries the same id. */
  id: string;
  /** The source realm's epoch when it left. */
  epoch: number;
}

/** The destination owner's answer: landed (durably, in its snapshot), refused (the entity goes back: as `entity` when the realm sent it back itself), or not here (ask the directory again). */
export type TransferReply = { r: 'landed' } | { r: 'refused'; reason: string; entity?: unknown } | { r: 'elsewhere' };

/** Every event one node sends another in one control tick, in routing order. */
export interface EventBatch {
  node: string;
  controlTick: number;
  events: RemoteEvent[];
}

/** KV keys are NATS subject tokens: realm ids' ':' and '.' are escaped as =XX. */
export function realmKey(realmId: string): string {
  return realmId.replace(/[:.=]/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function realmIdOfKey(key: string): string {
  return key.replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** Counters of one node's part in the cluster protocols (/api/health `cluster`). */
export interface ClusterStats {
  /** Realms this node took over from dead nodes, and how many restored to another hash than recorded. */
  adopted: number;
  hashMismatches: number;
  /** Snapshot writes refused because a newer owner had written (this node was stale). */
  fencedWrites: number;
  /** Entities across nodes: landed elsewhere from here, landed here, refused, sent again, repeats answered without applying. */
  transfers: { sent: number; landed: number; refused: number; retries: number; duplicates: number; inFlight: number };
}

/** A realm of the multiverse as any node lists it (GET /api/realms): its info from its owner, or only where it is when the owner did not answer. */
export type ClusterRealm = (RealmInfo & { node: string }) | { realmId: string; gameId: string; node: string; state: 'unreachable' };
