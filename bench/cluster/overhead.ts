// The per-node overhead of the directory: CPU an idle node uses (its process, every thread, from
// /proc/<pid>/stat) with no realms and with k idle probe realms on it — a node without NATS
// beside cluster nodes of 1, 2 and 3 — and registration latency: POST /api/realms to n1, split by
// whether placement kept the realm on n1 (a KV claim) or forwarded it to another node (a NATS
// request, then the claim there), beside the node without NATS.
import { round, summarize, type Summary } from '../stats.js';
import { cpuMark, cpuSpan, register, sleep, startCluster, type Cluster } from './cluster.js';
import { http } from './procs.js';

export interface OverheadRun {
  name: string;
  nodes: number;
  nats: boolean;
  realmsPerNode: number[];
  /** Mean cores per node process, idle, no realms. */
  idleCores: number;
  /** Mean cores per node process, idle, k realms on each. */
  idleCoresWithRealms: number;
  natsCores: number | null;
  natsCoresWithRealms: number | null;
  /** Registrations sent to n1 that placement kept on n1. */
  registerLocalMs: Summary;
  /** Registrations sent to n1 that placement forwarded to another node. */
  registerForwardedMs: Summary;
  otherProcessCores: number | null;
}

const r2 = (s: Summary): Summary => ({ p50: round(s.p50, 2), p99: round(s.p99, 2), max: round(s.max, 2), mean: round(s.mean, 2), n: s.n });

async function idleWindow(c: Cluster, ms: number): Promise<{ node: number; nats: number | null; other: number | null }> {
  const pids = [...c.nodes.map((x) => x.pid), ...(c.nats === null ? [] : [c.nats.pid])];
  const a = cpuMark(pids);
  await sleep(ms);
  const s = cpuSpan(a, cpuMark(pids));
  const n = c.nodes.length;
  const node = s.procCores.slice(0, n).reduce<number>((t, x) => t + (x ?? 0), 0) / n;
  return { node: round(node, 4), nats: c.nats === null ? null : round(s.procCores[n] ?? 0, 4), other: s.otherProcessCores === null ? null : round(s.otherProcessCores, 2) };
}

export async function overheadRun(o: { nodes: number; nats: boolean; realmsPerNode: number; idleMs: number }): Promise<OverheadRun> {
  const c = await startCluster(o.nodes, o.nats);
  try {
    await sleep(1000);
    const empty = await idleWindow(c, o.idleMs);
    const first = c.nodes[0]!;
    const took = new Map<string, number>();
    for (let i = 0; i < o.realmsPerNode * o.nodes; i++) {
      const t = performance.now();
      await register(first, `idle${i}`, { role: 'idle' });
      took.set(`idle${i}`, performance.now() - t);
      await sleep(10);
    }
    const counts: number[] = [];
    const onFirst = new Set<string>();
    for (const x of c.nodes) {
      const list = (await http(`${x.url}/api/realms?local=1`)).body as { realmId: string }[];
      counts.push(list.length);
      if (x === first) for (const r of list) onFirst.add(r.realmId);
    }
    const local: number[] = [];
    const forwarded: number[] = [];
    for (const [id, ms] of took) (onFirst.has(id) ? local : forwarded).push(ms);
    // Past the first cluster snapshot round of the new realms (TICKVERSE_CLUSTER_SNAPSHOT_MS 1000).
    await sleep(1500);
    const full = await idleWindow(c, o.idleMs);
    return {
      name: o.nats ? `${o.nodes} node${o.nodes > 1 ? 's' : ''} on NATS` : '1 node, no NATS',
      nodes: o.nodes,
      nats: o.nats,
      realmsPerNode: counts,
      idleCores: empty.node,
      idleCoresWithRealms: full.node,
      natsCores: empty.nats,
      natsCoresWithRealms: full.nats,
      registerLocalMs: r2(summarize(local)),
      registerForwardedMs: r2(summarize(forwarded)),
      otherProcessCores: empty.other === null || full.other === null ? null : round(Math.max(empty.other, full.other), 2),
    };
  } finally {
    await c.stop();
  }
}
