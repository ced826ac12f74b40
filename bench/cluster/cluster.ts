// A cluster of the bench: an optional nats-server and N engine node processes, with the HTTP
// calls the scenarios make (register, find the owner, send the window input, read a probe's
// stats) and CPU marks (per process from /proc, the machine from /proc/stat).
import { availableParallelism } from 'node:os';
import { machineTicks } from '../load/proc.js';
import { alive, http, kill, post, procCpuMs, startNats, startNode, until, type EngineNode, type Nats } from './procs.js';

export interface Cluster {
  nats: Nats | null;
  nodes: EngineNode[];
  stop(): Promise<void>;
}

/** `n` nodes n1..nN on one fresh nats-server (`withNats` false: one node without NATS), every node seeing every other. */
export async function startCluster(n: number, withNats: boolean, env: NodeJS.ProcessEnv = {}): Promise<Cluster> {
  if (!withNats && n !== 1) throw new Error('a node without NATS is alone');
  const nats = withNats ? await startNats() : null;
  const nodes = await Promise.all(Array.from({ length: n }, (_, i) => startNode(nats?.url ?? null, `n${i + 1}`, env)));
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((x) => kill(x.proc)));
    await nats?.stop();
  };
  if (nats !== null) {
    await until('every node sees every node', async () => {
      for (const x of nodes) {
        const h = (await http(`${x.url}/api/health`)).body as { nodes?: unknown[] };
        if (h.nodes?.length !== n) return false;
      }
      return true;
    }, 30_000, 50).catch(async (e: unknown) => {
      await stop();
      throw e;
    });
  }
  return { nats, nodes, stop };
}

export async function register(node: EngineNode, realmId: string, params: Record<string, unknown>): Promise<void> {
  const r = await post(`${node.url}/api/realms`, { realm_id: realmId, game_id: 'bench', kind: 'cluster-probe', params });
  if (r.status !== 201) throw new Error(`register ${realmId} on ${node.id}: ${r.status} ${JSON.stringify(r.body)}`);
}

/** The node that runs `realmId` (GET /api/realms/:id is 200 only on the owner), state 'running'. */
export async function ownerOf(nodes: readonly EngineNode[], realmId: string): Promise<EngineNode | null> {
  for (const x of nodes) {
    if (!alive(x)) continue;
    const r = await http(`${x.url}/api/realms/${realmId}`).catch(() => null);
    if (r?.status === 200 && (r.body as { state?: string }).state === 'running') return x;
  }
  return null;
}

export async function sendWindow(node: EngineNode, realmId: string, t0: number, t1: number): Promise<void> {
  const r = await post(`${node.url}/api/realms/${realmId}/input`, { player: 'bench', data: { window: [t0, t1] } });
  if (r.status !== 202) throw new Error(`window input to ${realmId} on ${node.id}: ${r.status} ${JSON.stringify(r.body)}`);
}

export interface ProbeStats {
  sent: number;
  count: number;
  all: number;
  last: number;
  /** Latencies of the window's events, ms. */
  samples: number[];
}

/** The probe's `stats` entity (bench/fixtures/cluster-probe-kind.mjs), or null when the realm is not on `node`. */
export async function probeStats(node: EngineNode, realmId: string): Promise<ProbeStats | null> {
  const r = await http(`${node.url}/api/realms/${realmId}/entities`).catch(() => null);
  if (r?.status !== 200 || !Array.isArray(r.body)) return null;
  const e = (r.body as Record<string, unknown>[]).find((x) => x.id === 'stats');
  if (e === undefined) return null;
  const num = (k: string): number => (typeof e[k] === 'number' ? e[k] : 0);
  const raw = typeof e.raw === 'string' && e.raw !== '' ? e.raw.split(',').map((x) => Number(x) / 10) : [];
  return { sent: num('sent'), count: num('count'), all: num('all'), last: num('last'), samples: raw };
}

/** CPU marks: the machine, this process, and the given processes. */
export interface CpuMark {
  at: number;
  machine: { busy: number; total: number } | null;
  own: NodeJS.CpuUsage;
  procs: (number | null)[];
}

export function cpuMark(pids: readonly number[]): CpuMark {
  return { at: performance.now(), machine: machineTicks(), own: process.cpuUsage(), procs: pids.map(procCpuMs) };
}

export interface CpuSpan {
  seconds: number;
  /** Cores each process used (same order as the pids), null when unreadable. */
  procCores: (number | null)[];
  /** Whole machine minus this process and the given ones, cores; null off Linux. */
  otherProcessCores: number | null;
}

export function cpuSpan(a: CpuMark, b: CpuMark): CpuSpan {
  const ms = b.at - a.at;
  const procCores = a.procs.map((x, i) => {
    const y = b.procs[i];
    return x === null || y === null || y === undefined ? null : (y - x) / ms;
  });
  const ownCores = (b.own.user - a.own.user + b.own.system - a.own.system) / 1000 / ms;
  const m0 = a.machine;
  const m1 = b.machine;
  const machine = m0 === null || m1 === null || m1.total === m0.total ? null : ((m1.busy - m0.busy) / (m1.total - m0.total)) * availableParallelism();
  const known = procCores.reduce<number>((s, x) => s + (x ?? 0), 0);
  return { seconds: ms / 1000, procCores, otherProcessCores: machine === null ? null : Math.max(0, machine - ownCores - known) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const wallNow = (): number => performance.timeOrigin + performance.now();
