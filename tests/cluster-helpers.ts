// Engine node processes for the scale-out tests (bench/cluster/node-process.ts: `node
// dist/gateway/cli.js` on port 0) with TICKVERSE_NATS_URL set, killed after each test.
import type { ChildProcess } from 'node:child_process';
import { afterEach } from 'vitest';
import { spawnNode } from '../bench/cluster/node-process.js';
import type { ClusterStats } from '../protocol/cluster.js';
import { TOKEN, getJson, until } from './gateway-helpers.js';

export interface NodeProc {
  id: string;
  url: string;
  proc: ChildProcess;
  log: string[];
}

const procs: ChildProcess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
});

export async function startNode(natsUrl: string, id: string, env: NodeJS.ProcessEnv = {}): Promise<NodeProc> {
  const n = await spawnNode(
    id,
    {
      TICKVERSE_NATS_URL: natsUrl,
      TICKVERSE_NODE_ID: id,
      TICKVERSE_TOKEN: TOKEN,
      TICKVERSE_DEMO: '0',
      TICKVERSE_LEASE_MS: '1500',
      TICKVERSE_SHARDS: '1',
      ...env,
    },
    Infinity,
    (p) => void procs.push(p),
  );
  return { id, url: n.url, proc: n.proc, log: n.log };
}

export interface Health {
  node: string;
  realms: number;
  nodes: { node: string; url: string; realms: number }[];
  cluster: ClusterStats;
}

export async function health(n: NodeProc): Promise<Health> {
  return (await getJson(`${n.url}/api/health`)).body as Health;
}

/** Waits until every node sees all of them alive, each at the address it listens on. */
export async function untilMesh(nodes: NodeProc[]): Promise<void> {
  const want = nodes.map((n) => `${n.id} ${n.url}`).sort().join();
  await until('every node sees every node', async () => {
    for (const n of nodes) if (((await health(n)).nodes ?? []).map((m) => `${m.node} ${m.url}`).sort().join() !== want) return false;
    return true;
  }, 20_000);
}

export const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
