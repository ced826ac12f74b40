// `npm run bench:cluster`: the scale-out mode (docs/scale-out.md) with 1, 2 and 3 engine node
// processes on one real nats-server on this machine — cross-node events per second and their
// latency, failover time, the per-node overhead of the directory and entity transfer time, each beside the
// single-node figure of the same run. Writes bench/results/cluster.{json,md} (`--quick`: a
// short run, cluster-quick.*). Needs `nats-server` on the PATH (Debian's package is enough).
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { eventsRun } from './cluster/events.js';
import { failoverRun } from './cluster/failover.js';
import { overheadRun } from './cluster/overhead.js';
import { transferRun } from './cluster/transfers.js';
import { ENGINE_ENV, killAll, natsAvailable } from './cluster/procs.js';
import { renderClusterMarkdown, type ClusterReport } from './cluster/report.js';

const quick = process.argv.includes('--quick');
const log = (msg: string): void => void process.stderr.write(`bench:cluster: ${msg}\n`);

if (!natsAvailable) {
  log('nats-server is not on the PATH (apt-get install nats-server); nothing measured');
  process.exit(2);
}

const settings = {
  mode: ENGINE_ENV.TICKVERSE_MODE,
  tickHz: Number(ENGINE_ENV.TICKVERSE_TICK_HZ),
  ticksPerControl: Number(ENGINE_ENV.TICKVERSE_TICKS_PER_CONTROL),
  shards: Number(ENGINE_ENV.TICKVERSE_SHARDS),
  warmupMs: quick ? 1000 : 2000,
  windowMs: quick ? 2000 : 5000,
  realmsPerNode: quick ? 10 : 30,
  idleMs: quick ? 2000 : 4000,
};
/** Light load (latency), heavy (50,000/s per sender), and near saturation on 2 cores. */
const LOADS = quick ? [5, 1000] : [5, 1000, 3000];
const LEASES = [3000, 1500];

const report: ClusterReport = {
  date: new Date().toISOString(),
  quick,
  machine: {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    natsServer: spawnSync('nats-server', ['--version'], { encoding: 'utf8' }).stdout.trim(),
  },
  settings,
  events: [],
  failover: [],
  overhead: [],
  transfers: [],
  runs: {},
};

async function scenario(name: string, run: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  await run();
  killAll();
  report.runs[name] = { seconds: Number(((performance.now() - t0) / 1000).toFixed(1)) };
  log(`${name}: ${report.runs[name].seconds} s`);
}

await scenario('events', async () => {
  for (const perTick of LOADS) {
    for (const [nodes, nats] of [[1, false], [1, true], [2, true], [3, true]] as const) {
      log(`events: ${nodes} node(s)${nats ? '' : ' without NATS'}, ${perTick}/tick`);
      const r = await eventsRun({ nodes, nats, perTick, warmupMs: settings.warmupMs, windowMs: settings.windowMs });
      log(`  ${r.receivedPerSec}/s received, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, delivered ${r.delivered}`);
      report.events.push(r);
    }
  }
});
await scenario('failover', async () => {
  for (const nodes of quick ? [3] : [3, 2]) {
    for (const leaseMs of LEASES) {
      log(`failover: ${nodes} nodes, lease ${leaseMs} ms`);
      const r = await failoverRun({ nodes, leaseMs, perTick: LOADS[0]!, warmupMs: settings.warmupMs });
      log(`  all running elsewhere after ${r.allRunningMs} ms, receiver resumed after ${r.receiverResumedMs} ms`);
      report.failover.push(r);
    }
  }
});
await scenario('overhead', async () => {
  for (const [nodes, nats] of [[1, false], [1, true], [2, true], [3, true]] as const) {
    log(`overhead: ${nodes} node(s)${nats ? '' : ' without NATS'}`);
    const r = await overheadRun({ nodes, nats, realmsPerNode: settings.realmsPerNode, idleMs: settings.idleMs });
    log(`  idle ${r.idleCores} cores/node, ${r.idleCoresWithRealms} with realms; register p50 ${r.registerLocalMs.p50} / forwarded ${r.registerForwardedMs.p50} ms`);
    report.overhead.push(r);
  }
});

await scenario('transfers', async () => {
  for (const [nodes, nats] of [[1, false], [1, true], [2, true]] as const) {
    log(`transfers: ${nodes} node(s)${nats ? '' : ' without NATS'}`);
    const r = await transferRun({ nodes, nats, moves: quick ? 20 : 100 });
    log(`  p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`);
    report.transfers.push(r);
  }
});

const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const name = quick ? 'cluster-quick' : 'cluster';
const md = renderClusterMarkdown(report);
writeFileSync(`${dir}${name}.json`, `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(`${dir}${name}.md`, md);
process.stdout.write(md);
log(`wrote bench/results/${name}.json and ${name}.md`);
process.exit(0);
