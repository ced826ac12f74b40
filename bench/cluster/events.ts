// Cross-node events: N nodes, on each one receiver r_i and one sender s_i of the probe kind;
// s_i sends `perTick` unicast events per local tick to r_((i+1) mod N): with N ≥ 2 every event
// crosses to another node, with N = 1 it stays on the node (the baseline). The window input
// makes the probes count only events *sent* in [t0, t1); after a drain the bench reads each
// receiver's count and latency samples (now − sent, wall clock, ms).
import { round, summarize, type Summary } from '../stats.js';
import { cpuMark, cpuSpan, ownerOf, probeStats, register, sendWindow, sleep, startCluster, wallNow, type ProbeStats } from './cluster.js';
import { until, type EngineNode } from './procs.js';

export interface EventsRun {
  name: string;
  nodes: number;
  nats: boolean;
  perTick: number;
  /** Sender → receiver pairs whose two realms are on different nodes. */
  crossNodePairs: number;
  pairs: number;
  windowSeconds: number;
  /** Events the senders emitted in the window, per second (all senders). */
  sentPerSec: number;
  /** Events of the window that reached their receiver, per second (all receivers). */
  receivedPerSec: number;
  /** Per receiver, per second. */
  receivedPerSecPerPair: number;
  /** Received ÷ sent. */
  delivered: number;
  latencyMs: Summary;
  /** Cores each node process used during the window. */
  nodeCores: number[];
  natsCores: number | null;
  otherProcessCores: number | null;
}

export interface EventsOptions {
  nodes: number;
  nats: boolean;
  perTick: number;
  warmupMs: number;
  windowMs: number;
}

const r2 = (s: Summary): Summary => ({ p50: round(s.p50, 2), p99: round(s.p99, 2), max: round(s.max, 2), mean: round(s.mean, 2), n: s.n });

/** Registers r0..r(N-1) then s0..s(N-1) through n1 (placement puts one of each on each node) and finds their owners. */
export async function pairsOn(nodes: EngineNode[], perTick: number): Promise<Map<string, EngineNode>> {
  const n = nodes.length;
  for (let i = 0; i < n; i++) await register(nodes[0]!, `r${i}`, { role: 'receiver' });
  for (let i = 0; i < n; i++) await register(nodes[0]!, `s${i}`, { role: 'sender', to: `r${(i + 1) % n}`, perTick });
  const owners = new Map<string, EngineNode>();
  for (let i = 0; i < n; i++) {
    for (const id of [`r${i}`, `s${i}`]) owners.set(id, await until(`${id} running`, () => ownerOf(nodes, id), 20_000, 50));
  }
  return owners;
}

/** Reads the receivers until their counts stop changing (at least 1 s after t1, at most 15 s). */
async function drain(owners: Map<string, EngineNode>, n: number, t1: number): Promise<ProbeStats[]> {
  const end = t1 + 15_000;
  let prev = '';
  for (;;) {
    await sleep(300);
    const got: ProbeStats[] = [];
    for (let i = 0; i < n; i++) {
      const s = await probeStats(owners.get(`r${i}`)!, `r${i}`);
      if (s === null) throw new Error(`receiver r${i} is gone`);
      got.push(s);
    }
    const key = got.map((s) => s.count).join(',');
    if ((key === prev && wallNow() > t1 + 1000) || wallNow() > end) return got;
    prev = key;
  }
}

export async function eventsRun(o: EventsOptions): Promise<EventsRun> {
  const c = await startCluster(o.nodes, o.nats);
  try {
    const n = o.nodes;
    const owners = await pairsOn(c.nodes, o.perTick);
    let cross = 0;
    for (let i = 0; i < n; i++) if (owners.get(`s${i}`) !== owners.get(`r${(i + 1) % n}`)) cross++;
    await sleep(o.warmupMs);
    const t0 = wallNow() + 500;
    const t1 = t0 + o.windowMs;
    await Promise.all([...owners].map(([id, node]) => sendWindow(node, id, t0, t1)));
    const pids = [...c.nodes.map((x) => x.pid), ...(c.nats === null ? [] : [c.nats.pid])];
    await sleep(Math.max(0, t0 - wallNow()));
    const a = cpuMark(pids);
    await sleep(Math.max(0, t1 - wallNow()));
    const b = cpuMark(pids);
    const recv = await drain(owners, n, t1);
    let sent = 0;
    for (let i = 0; i < n; i++) sent += (await probeStats(owners.get(`s${i}`)!, `s${i}`))?.sent ?? 0;
    const received = recv.reduce((s, x) => s + x.count, 0);
    const span = cpuSpan(a, b);
    const secs = o.windowMs / 1000;
    return {
      name: `${n} node${n > 1 ? 's' : ''}${o.nats ? '' : ', no NATS'}, ${o.perTick} events/tick/sender`,
      nodes: n,
      nats: o.nats,
      perTick: o.perTick,
      crossNodePairs: cross,
      pairs: n,
      windowSeconds: secs,
      sentPerSec: Math.round(sent / secs),
      receivedPerSec: Math.round(received / secs),
      receivedPerSecPerPair: Math.round(received / secs / n),
      delivered: sent === 0 ? 0 : round(received / sent, 4),
      latencyMs: r2(summarize(recv.flatMap((x) => x.samples))),
      nodeCores: span.procCores.slice(0, n).map((x) => round(x ?? 0, 3)),
      natsCores: c.nats === null ? null : round(span.procCores[n] ?? 0, 3),
      otherProcessCores: span.otherProcessCores === null ? null : round(span.otherProcessCores, 2),
    };
  } finally {
    await c.stop();
  }
}
