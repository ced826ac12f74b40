// Engine node processes for the scale-out tests: `node dist/gateway/cli.js` (what `npm start`
// runs) with TICKVERSE_NATS_URL set, on port 0 on loopback; the bound URL is read from the log.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import type { ClusterStats } from '../protocol/cluster.js';
import { TOKEN, getJson, until } from './gateway-helpers.js';

const cli = fileURLToPath(new URL('../dist/gateway/cli.js', import.meta.url));

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
  const proc = spawn(process.execPath, [cli], {
    env: {
      ...process.env,
      TICKVERSE_NATS_URL: natsUrl,
      TICKVERSE_NODE_ID: id,
      TICKVERSE_PORT: '0',
      TICKVERSE_HOST: '127.0.0.1',
      TICKVERSE_TOKEN: TOKEN,
      TICKVERSE_DEMO: '0',
      TICKVERSE_LOG_FORMAT: 'json',
      TICKVERSE_LEASE_MS: '1500',
      TICKVERSE_SHARDS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  const log: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        log.push(line);
        if (line.includes('tickverse is up')) resolve((JSON.parse(line) as { url: string }).url.replace('localhost', '127.0.0.1').replace(/\/$/, ''));
      }
    });
    proc.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
    proc.once('exit', (code) => reject(new Error(`node ${id} exited (${code}): ${log.join('\n')}`)));
  });
  return { id, url, proc, log };
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
