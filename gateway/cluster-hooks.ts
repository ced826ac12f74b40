// What the gateway asks of a multi-node multiverse (cluster/node.ts implements it): placement
// of registrations, unregistration at the owner, and where a realm owned elsewhere lives, so a
// join there is answered with REALM_ELSEWHERE naming that node (docs/scale-out.md § Clients).
import type { Engine } from '../engine/index.js';
import type { ClusterRealm, ClusterStats, NodeRecord } from '../protocol/cluster.js';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { RealmInfo, RealmRegistration } from '../protocol/realm.js';

export interface GatewayCluster {
  readonly id: string;
  register(reg: RealmRegistration): Promise<RealmInfo>;
  unregister(realmId: string): Promise<void>;
  /** An input to a realm this node owns, acknowledged once the cluster journal holds it. */
  input(realmId: string, player: string, data: unknown): Promise<void>;
  locate(realmId: string): { node: string; url: string } | null;
  nodes(): NodeRecord[];
  /** Every realm of the multiverse, with the node that owns it. */
  realms(): Promise<ClusterRealm[]>;
  /** Counters of this node's part in the cluster protocols, for /api/health. */
  stats(): ClusterStats;
}

/** A realm of this node, or REALM_ELSEWHERE (with the owner's node and url) when another node owns it. */
export function localRealm(engine: Engine, cluster: GatewayCluster | null, realmId: string): RealmInfo {
  try {
    return engine.get(realmId);
  } catch (e) {
    const at = cluster?.locate(realmId) ?? null;
    if (at === null) throw e;
    throw new TickverseError(ErrorCode.REALM_ELSEWHERE, `realm "${realmId}" runs on node ${at.node}${at.url ? ` (${at.url})` : ''}: connect there`, { node: at.node, url: at.url });
  }
}

/** An input through the cluster's journal when there is one, else straight to the engine; resolves once durable. */
export function inputTo(engine: Engine, cluster: GatewayCluster | null, realmId: string, player: string, data: unknown): Promise<void> | void {
  return cluster === null ? engine.input(realmId, player, data) : cluster.input(realmId, player, data);
}
