// Markdown of `npm run bench:cluster`: each figure beside the single-node one of the same run.
import type { Summary } from '../stats.js';
import type { EventsRun } from './events.js';
import type { FailoverRun } from './failover.js';
import type { OverheadRun } from './overhead.js';
import type { TransferRun } from './transfers.js';

export interface ClusterReport {
  date: string;
  quick: boolean;
  machine: { cores: number; cpu: string; node: string; natsServer: string };
  settings: { mode: string; tickHz: number; ticksPerControl: number; shards: number; warmupMs: number; windowMs: number; realmsPerNode: number; idleMs: number };
  events: EventsRun[];
  failover: FailoverRun[];
  overhead: OverheadRun[];
  transfers: TransferRun[];
  /** Per scenario: wall seconds. */
  runs: Record<string, { seconds: number }>;
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const s3 = (x: Summary): string => `${x.p50} / ${x.p99} / ${x.max}`;
const ratio = (a: number, b: number | undefined): string => (b === undefined || b === 0 ? '—' : `${(a / b).toFixed(2)}×`);
const cores = (x: number | null): string => (x === null ? '—' : x.toFixed(3));

function table(headers: string[], rows: (string | number)[][]): string[] {
  const line = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line), ''];
}

function eventsSection(r: ClusterReport): string[] {
  const out: string[] = ['## Cross-node events', ''];
  const period = (1000 * r.settings.ticksPerControl) / r.settings.tickHz;
  for (const perTick of [...new Set(r.events.map((e) => e.perTick))]) {
    const runs = r.events.filter((e) => e.perTick === perTick);
    const base = runs.find((e) => e.nodes === 1 && e.nats);
    out.push(`### ${perTick} events per local tick per sender (offered ${fmt(perTick * r.settings.tickHz)}/s per sender)`, '');
    out.push(
      ...table(
        ['run', 'cross-node pairs', 'sent/s (÷ offered)', 'received/s', 'per pair /s', 'per pair ÷ 1 node', 'delivered', 'latency p50 / p99 / max (ms)', 'p50 − 1 node (ms)', 'p99 in control ticks', 'node cores', 'nats cores', 'other processes'],
        runs.map((e) => [
          e.name,
          `${e.crossNodePairs} / ${e.pairs}`,
          `${fmt(e.sentPerSec)} (${(e.sentPerSec / (perTick * r.settings.tickHz * e.pairs)).toFixed(2)})`,
          fmt(e.receivedPerSec),
          fmt(e.receivedPerSecPerPair),
          ratio(e.receivedPerSecPerPair, base?.receivedPerSecPerPair),
          e.delivered,
          s3(e.latencyMs),
          base === undefined ? '—' : (e.latencyMs.p50 - base.latencyMs.p50).toFixed(1),
          (e.latencyMs.p99 / period).toFixed(2),
          e.nodeCores.join(', '),
          cores(e.natsCores),
          e.otherProcessCores ?? '—',
        ]),
      ),
    );
  }
  out.push(
    `Each node holds one receiver r_i and one sender s_i (placement, checked with GET /api/realms/:id on every node); s_i sends unicast events to r_((i+1) mod N), so with N ≥ 2 every event crosses nodes, and with 1 node it is routed locally (the baseline: "1 node" has NATS attached, "no NATS" is a plain node). Only events *sent* in the ${r.settings.windowMs / 1000} s window count (the probe stamps \`performance.timeOrigin + performance.now()\` when it emits and when \`onEvent\` runs — \`bench/fixtures/cluster-probe-kind.mjs\`, a measurement probe outside the determinism contract); received/s = those that arrived ÷ the window, read after a drain. Sent ÷ offered below 1: the senders' local ticks fell behind real time. Latency in control ticks: ÷ the ${period} ms control-tick period. Cores: each process's CPU (/proc/<pid>/stat) over the window; other processes = the machine (/proc/stat) minus this process, the nodes and nats-server — when not near 0 the figures were disturbed.`,
    '',
  );
  return out;
}

function failoverSection(r: ClusterReport): string[] {
  if (r.failover.length === 0) return [];
  return [
    '## Failover (SIGKILL of the node owning r0 and s0)',
    '',
    ...table(
      ['run', 'lease (ms)', 'all its realms running elsewhere (ms)', '÷ lease', 'per realm (ms)', 'moved receiver gets events again (ms)'],
      r.failover.map((f) => [f.name, fmt(f.leaseMs), fmt(f.allRunningMs), `${f.ratioToLease}×`, Object.entries(f.perRealmMs).map(([k, v]) => `${k} ${fmt(v)}`).join(', '), f.receiverResumedMs === null ? 'none' : fmt(f.receiverResumedMs)]),
    ),
    'From the SIGKILL (its exit observed) to GET /api/realms/:id answering 200 with state `running` on a survivor (polled every ~20 ms), and to the moved receiver counting its first event on its new node. Light load (the first event rate) runs meanwhile. The design bounds it below by a lease (a node is dead for another only after a whole lease unheard) plus one check (lease/4) and the adoption.',
    '',
  ];
}

function transfersSection(r: ClusterReport): string[] {
  if (r.transfers.length === 0) return [];
  const base = r.transfers.find((t) => !t.nats);
  return [
    '## Entity transfers',
    '',
    ...table(
      ['run', 'across nodes', 'moves', 'input → in the destination p50 / p99 / max (ms)', 'p50 ÷ 1 node no NATS', 'p50 − 1 node no NATS (ms)'],
      r.transfers.map((t) => [t.name, t.crossNode ? 'yes' : 'no', t.latencyMs.n, s3(t.latencyMs), ratio(t.latencyMs.p50, base?.latencyMs.p50), base === undefined ? '—' : (t.latencyMs.p50 - base.latencyMs.p50).toFixed(1)]),
    ),
    'One entity moved back and forth between relay realms `ta` and `tb` (`{transfer: {id, to}}` inputs with the admin token), timed from the input (its HTTP acknowledgement included: on NATS, the journal write) to the destination listing it (GET /api/realms/:id/entities every 2 ms). Across nodes the handoff writes the source realm\'s snapshot with the entity in its outbox, sends a NATS request, routes it in at the destination\'s next control tick and writes that realm\'s snapshot before answering (docs/scale-out.md § Entity transfers); the entity shows in the destination before its snapshot is written, so this is the time until it is visible, not until the source has dropped it.',
    '',
  ];
}

function overheadSection(r: ClusterReport): string[] {
  if (r.overhead.length === 0) return [];
  const base = r.overhead.find((o) => !o.nats);
  const reg = (s: Summary): string => (s.n === 0 ? '—' : `${s.p50} / ${s.p99} (${s.n})`);
  return [
    '## Per-node overhead of the directory',
    '',
    ...table(
      ['run', 'realms per node', 'idle node cores, no realms', 'with realms', 'with realms − no NATS', 'nats cores (no realms, with)', 'register kept on n1 p50 / p99 ms (n)', 'register forwarded p50 / p99 ms (n)', 'p50 ÷ no NATS (kept, forwarded)', 'other processes'],
      r.overhead.map((o) => [
        o.name,
        o.realmsPerNode.join(', '),
        o.idleCores.toFixed(4),
        o.idleCoresWithRealms.toFixed(4),
        base === undefined ? '—' : (o.idleCoresWithRealms - base.idleCoresWithRealms).toFixed(4),
        o.natsCores === null ? '—' : `${o.natsCores.toFixed(4)}, ${(o.natsCoresWithRealms ?? 0).toFixed(4)}`,
        reg(o.registerLocalMs),
        reg(o.registerForwardedMs),
        base === undefined ? '—' : `${ratio(o.registerLocalMs.p50, base.registerLocalMs.p50)}, ${o.registerForwardedMs.n === 0 ? '—' : ratio(o.registerForwardedMs.p50, base.registerLocalMs.p50)}`,
        o.otherProcessCores ?? '—',
      ]),
    ),
    `Idle node cores: the mean over the nodes of each process's CPU over ${r.settings.idleMs / 1000} s with nothing happening (no clients, idle probe realms that do nothing per tick): the engine's 50 Hz control loop, and on NATS the lease heartbeat (every lease/3), the directory and nodes watches and, with realms, each realm's cluster snapshot every second. ${r.settings.realmsPerNode} realms per node, all registered through n1 one after another (10 ms apart); placement keeps one in N on n1 and forwards the others.`,
    '',
  ];
}

export function renderClusterMarkdown(r: ClusterReport): string {
  const m = r.machine;
  const s = r.settings;
  const parts = [
    `# Tickverse scale-out benchmark${r.quick ? ' (quick)' : ''} — ${r.date.slice(0, 10)}`,
    '',
    `Machine: ${m.cores} cores (${m.cpu}), Node ${m.node}, ${m.natsServer}. Every node: \`node dist/gateway/cli.js\`, ${s.mode}, tickHz ${s.tickHz}, K ${s.ticksPerControl} (${(1000 * s.ticksPerControl) / s.tickHz} ms control ticks), ${s.shards} shard; all processes and nats-server share the machine. One run; baselines from the same run.`,
    '',
    ...eventsSection(r),
    ...failoverSection(r),
    ...overheadSection(r),
    ...transfersSection(r),
    `Scenario wall times: ${Object.entries(r.runs).map(([k, v]) => `${k} ${v.seconds} s`).join('; ')}.`,
    '',
  ];
  return `${parts.join('\n')}\n`;
}
