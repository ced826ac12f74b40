// Cluster options, checked once (docs/scale-out.md): everything but the NATS URL has a default.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ErrorCode, TickverseError } from '../protocol/errors.js';

export interface ClusterOptions {
  /** nats://host:port (comma-separated for several servers). */
  natsUrl: string;
  /** Unique per node; default `<hostname>-<6 random hex>`. */
  nodeId?: string;
  /** Where clients reach this node's gateway; asked at each heartbeat (the port may be known late). */
  publicUrl?: () => string;
  /** Lease length: a node unheard of for this long is dead; it stops its own realms at 60% of it. */
  leaseMs?: number;
  /** How often the owner writes each realm's snapshot where every node can read it. */
  snapshotEveryMs?: number;
  /** Bucket and subject prefix, so several multiverses can share one NATS. */
  prefix?: string;
}

export interface ResolvedClusterOptions {
  readonly natsUrl: string;
  readonly nodeId: string;
  readonly publicUrl: () => string;
  readonly leaseMs: number;
  readonly snapshotEveryMs: number;
  readonly prefix: string;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

function bad(option: string, value: unknown, want: string): TickverseError {
  return new TickverseError(ErrorCode.INVALID_OPTION, `cluster option ${option} must be ${want}; received ${JSON.stringify(value)}`);
}

export function resolveClusterOptions(o: ClusterOptions): ResolvedClusterOptions {
  if (typeof o.natsUrl !== 'string' || !/^(nats|tls|ws|wss):\/\//.test(o.natsUrl.split(',')[0]!.trim())) throw bad('natsUrl', o.natsUrl, 'a nats:// URL');
  const nodeId = o.nodeId ?? `${hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40)}-${randomBytes(3).toString('hex')}`;
  if (!NAME.test(nodeId)) throw bad('nodeId', nodeId, '1-64 [A-Za-z0-9_-]');
  const leaseMs = o.leaseMs ?? 3000;
  if (!Number.isInteger(leaseMs) || leaseMs < 300 || leaseMs > 60_000) throw bad('leaseMs', leaseMs, 'an integer of 300-60000');
  const snapshotEveryMs = o.snapshotEveryMs ?? 1000;
  if (!Number.isInteger(snapshotEveryMs) || snapshotEveryMs < 50) throw bad('snapshotEveryMs', snapshotEveryMs, 'an integer ≥ 50');
  const prefix = o.prefix ?? 'tickverse';
  if (!NAME.test(prefix)) throw bad('prefix', prefix, '1-64 [A-Za-z0-9_-]');
  return Object.freeze({ natsUrl: o.natsUrl, nodeId, publicUrl: o.publicUrl ?? (() => ''), leaseMs, snapshotEveryMs, prefix });
}

/** From TICKVERSE_NATS_URL and friends; null when the variable is unset (single node). */
export function clusterOptionsFromEnv(env: NodeJS.ProcessEnv, publicUrl: () => string): ClusterOptions | null {
  const url = env.TICKVERSE_NATS_URL;
  if (url === undefined || url === '') return null;
  const num = (name: string): number | undefined => (env[name] ? Number(env[name]) : undefined);
  const o: ClusterOptions = { natsUrl: url, publicUrl: env.TICKVERSE_PUBLIC_URL ? () => env.TICKVERSE_PUBLIC_URL! : publicUrl };
  if (env.TICKVERSE_NODE_ID) o.nodeId = env.TICKVERSE_NODE_ID;
  const lease = num('TICKVERSE_LEASE_MS');
  if (lease !== undefined) o.leaseMs = lease;
  const snap = num('TICKVERSE_CLUSTER_SNAPSHOT_MS');
  if (snap !== undefined) o.snapshotEveryMs = snap;
  return o;
}
