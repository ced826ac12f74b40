// Failover: N nodes with the probe pairs of events.ts running (light load), then SIGKILL of
// the node that owns r0 (and s0). Measured from the kill: when each of its realms runs on a
// survivor (GET /api/realms/:id 200 with state 'running', polled every ~20 ms), and when the
// moved receiver r0 gets its first event on its new node — beside the lease.
import { round } from '../stats.js';
import { ownerOf, probeStats, sleep, startCluster } from './cluster.js';
import { pairsOn } from './events.js';
import { kill, type EngineNode } from './procs.js';

export interface FailoverRun {
  name: string;
  nodes: number;
  leaseMs: number;
  /** Kill → every realm of the dead node running on a survivor, ms. */
  allRunningMs: number;
  /** Per realm of the dead node: kill → running elsewhere, ms. */
  perRealmMs: Record<string, number>;
  /** Kill → the moved receiver's first event on its new node, ms (null: none within the deadline). */
  receiverResumedMs: number | null;
  /** allRunningMs ÷ lease. */
  ratioToLease: number;
}

export async function failoverRun(o: { nodes: number; leaseMs: number; perTick: number; warmupMs: number }): Promise<FailoverRun> {
  const c = await startCluster(o.nodes, true, { TICKVERSE_LEASE_MS: String(o.leaseMs) });
  try {
    const owners = await pairsOn(c.nodes, o.perTick);
    const victim = owners.get('r0')!;
    const moving = [...owners].filter(([, x]) => x === victim).map(([id]) => id);
    const survivors = c.nodes.filter((x) => x !== victim);
    await sleep(o.warmupMs);
    const killedAt = performance.now();
    await kill(victim.proc);
    const perRealm: Record<string, number> = {};
    const newOwner = new Map<string, EngineNode>();
    let resumed: number | null = null;
    const deadline = killedAt + 10 * o.leaseMs + 10_000;
    while (performance.now() < deadline && (newOwner.size < moving.length || resumed === null)) {
      for (const id of moving) {
        if (newOwner.has(id)) continue;
        const x = await ownerOf(survivors, id);
        if (x !== null) {
          perRealm[id] = round(performance.now() - killedAt, 1);
          newOwner.set(id, x);
        }
      }
      const r0 = newOwner.get('r0');
      if (r0 !== undefined && resumed === null) {
        const s = await probeStats(r0, 'r0');
        if (s !== null && s.all > 0) resumed = round(performance.now() - killedAt, 1);
      }
      await sleep(20);
    }
    if (newOwner.size < moving.length) throw new Error(`failover: ${moving.filter((id) => !newOwner.has(id)).join(', ')} not running elsewhere after ${round(deadline - killedAt, 0)} ms`);
    const all = Math.max(...Object.values(perRealm));
    return {
      name: `${o.nodes} nodes, lease ${o.leaseMs} ms`,
      nodes: o.nodes,
      leaseMs: o.leaseMs,
      allRunningMs: all,
      perRealmMs: perRealm,
      receiverResumedMs: resumed,
      ratioToLease: round(all / o.leaseMs, 2),
    };
  } finally {
    await c.stop();
  }
}
