// The two KV buckets a multiverse keeps in NATS JetStream (docs/scale-out.md): node leases
// (bucket-wide TTL as a backstop: a dead node's record goes away by itself; liveness is
// decided by the watchers' clocks, membership.ts) and the realm directory (owner + epoch).
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';

export interface Buckets {
  nodes: KV;
  directory: KV;
}

export async function openBuckets(nc: NatsConnection, prefix: string, leaseMs: number): Promise<Buckets> {
  const kvm = new Kvm(nc);
  // The TTL is only a backstop for records nobody deletes: several leases, so a live node's
  // record never expires between renewals (2.9 has no per-key TTL and gives no watch event on expiry).
  const nodes = await kvm.create(`${prefix}-nodes`, { history: 1, ttl: leaseMs * 10 });
  const directory = await kvm.create(`${prefix}-directory`, { history: 5 });
  return { nodes, directory };
}
