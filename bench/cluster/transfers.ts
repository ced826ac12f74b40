// Entity transfers: one entity handed back and forth between two relay realms, timed from the
// input that moves it (POST …/input, acknowledged) to the moment the destination's entities
// (GET /api/realms/:id/entities, polled every 2 ms) show it — with both realms on one node
// without NATS (the baseline), on one node with NATS, and on two nodes (the cross-node handoff
// of docs/scale-out.md § Entity transfers: two snapshot writes and a NATS request).
import { round, summarize, type Summary } from '../stats.js';
import { ownerOf, startCluster } from './cluster.js';
import { http, post, until, type EngineNode } from './procs.js';

export interface TransferRun {
  name: string;
  nodes: number;
  nats: boolean;
  /** Input acknowledged → entity visible in the destination, ms. */
  latencyMs: Summary;
  /** The destination on another node than the source. */
  crossNode: boolean;
}

async function has(node: EngineNode, realmId: string, id: string): Promise<boolean> {
  const r = await http(`${node.url}/api/realms/${realmId}/entities`).catch(() => null);
  return r?.status === 200 && Array.isArray(r.body) && (r.body as { id: string }[]).some((e) => e.id === id);
}

async function input(node: EngineNode, realmId: string, data: unknown): Promise<void> {
  const r = await post(`${node.url}/api/realms/${realmId}/input`, { player: 'bench', data });
  if (r.status !== 202) throw new Error(`input to ${realmId} on ${node.id}: ${r.status} ${JSON.stringify(r.body)}`);
}

export async function transferRun(o: { nodes: 1 | 2; nats: boolean; moves: number }): Promise<TransferRun> {
  const c = await startCluster(o.nodes, o.nats);
  try {
    for (const id of ['ta', 'tb']) {
      const r = await post(`${c.nodes[0]!.url}/api/realms`, { realm_id: id, game_id: 'bench', kind: 'relay' });
      if (r.status !== 201) throw new Error(`register ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    const a = (await until('ta runs', () => ownerOf(c.nodes, 'ta')))!;
    const b = (await until('tb runs', () => ownerOf(c.nodes, 'tb')))!;
    await input(a, 'ta', { set: { id: 'hero', x: 1, y: 1, hp: 10 } });
    await until('hero in ta', () => has(a, 'ta', 'hero'), 10_000, 2);
    const ends = [
      { node: a, id: 'ta' },
      { node: b, id: 'tb' },
    ];
    const samples: number[] = [];
    for (let i = 0; i < o.moves; i++) {
      const from = ends[i % 2]!;
      const to = ends[(i + 1) % 2]!;
      const t0 = performance.now();
      await input(from.node, from.id, { transfer: { id: 'hero', to: to.id } });
      await until(`hero in ${to.id}`, () => has(to.node, to.id, 'hero'), 20_000, 2);
      samples.push(performance.now() - t0);
    }
    const s = summarize(samples);
    const r2 = (x: number): number => round(x, 1);
    return {
      name: o.nodes === 1 ? `1 node${o.nats ? '' : ', no NATS'}` : '2 nodes (a on n1, b on n2)',
      nodes: o.nodes,
      nats: o.nats,
      crossNode: a !== b,
      latencyMs: { p50: r2(s.p50), p99: r2(s.p99), max: r2(s.max), mean: r2(s.mean), n: s.n },
    };
  } finally {
    await c.stop();
  }
}
