// `npm run bench`: micro-benchmarks (ring, barrier, codec), engine scenarios (routed
// deliveries, control ticks at 10,000 realms, event and registration latency) and max-mode
// multiverse runs, one scenario at a time; writes bench/results/latest.json and latest.md.
// `npm run bench -- --quick` runs shorter scenarios (smoke runs, CI), written to quick.*;
// `--only=barrier,routed,...` picks scenarios; `--out=NAME` writes NAME.{json,md} instead.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { barrierBench } from './barrier.bench.js';
import { codecBench } from './codec.bench.js';
import { latencyBench } from './latency.bench.js';
import { machineTicks } from './load/proc.js';
import { runMultiverse } from './multiverse.js';
import { renderMarkdown, type BenchReport } from './report.js';
import { routedBench } from './routed.bench.js';
import { tick10kBench } from './tick10k.bench.js';
import { replicationBench } from './replication.bench.js';


const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const out = process.argv.find((a) => a.startsWith('--out='))?.slice(6);
const SCENARIOS = ['ring', 'barrier', 'codec', 'replication', 'routed', 'tick10k', 'latency', 'multiverse', 'fanout'];
const picked = only?.split(',').filter((n) => n.length > 0);
const unknown = picked?.filter((n) => !SCENARIOS.includes(n)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.join(', ')}\n`);
  process.exit(2);
}
if (out !== undefined && !/^[A-Za-z0-9._-]+$/.test(out)) {
  process.stderr.write(`bench: --out takes a file name without a directory ([A-Za-z0-9._-]); received ${JSON.stringify(out)}\n`);
  process.exit(2);
}
const want = (name: string): boolean => picked === undefined || picked.includes(name);

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

const report: BenchReport = {
  date: new Date().toISOString(),
  machine: {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  },
  ring: [],
  barrier: [],
  codec: [],
  replication: [],
  multiverse: [],
  fanout: [],
  routed: [],
  tick10k: [],
  latency: [],
  runs: {},
};

/** Runs scenario `name` if picked, recording how long it took. */
async function scenario(name: string, run: () => Promise<void>): Promise<void> {
  if (!want(name)) return;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const m0 = machineTicks();
  await run();
  const m1 = machineTicks();
  const wallMs = performance.now() - t0;
  const own = process.cpuUsage(cpu0);
  const ownCores = (own.user + own.system) / 1000 / wallMs;
  const machineCores = m0 === null || m1 === null || m1.total === m0.total ? null : ((m1.busy - m0.busy) / (m1.total - m0.total)) * availableParallelism();
  const other = machineCores === null ? null : Number(Math.max(0, machineCores - ownCores).toFixed(2));
  report.runs[name] = { seconds: Number((wallMs / 1000).toFixed(1)), otherProcessCores: other };
  log(`${name}: ${report.runs[name].seconds} s${other === null ? '' : `, other processes ${other} cores`}`);
}

await scenario('ring', async () => {
  log('ring');
  const { ringBench } = (await import('./ring.bench.js')) as { ringBench: () => Promise<unknown[]> };
  report.ring = await ringBench();
});
await scenario('barrier', async () => {
  for (const shards of [2, 8]) {
    log(`barrier max ${shards} (engine, then bare Atomics barrier)`);
    report.barrier.push(await barrierBench(shards, quick ? 500 : 3000, 'max'));
  }
  log('barrier realtime 2');
  report.barrier.push(await barrierBench(2, quick ? 100 : 500, 'realtime'));
});
await scenario('codec', async () => {
  log('codec');
  report.codec = await codecBench();
});
await scenario('replication', async () => {
  log('replication (wire v1 path vs v2 replica)');
  report.replication = replicationBench({ quick });
});
await scenario('routed', async () => {
  report.routed = await routedBench({ quick, log });
});
await scenario('tick10k', async () => {
  report.tick10k = await tick10kBench({ quick, log });
});
await scenario('latency', async () => {
  log('latency (default realtime config)');
  report.latency = await latencyBench({ quick });
});
await scenario('multiverse', async () => {
  for (const realms of [100, 1000]) {
    log(`multiverse ${realms} × 100`);
    report.multiverse.push(await runMultiverse({ realms, entities: 100, seconds: quick ? 1 : 5 }));
  }
});
await scenario('fanout', async () => {
  try {
    const mod = (await import('./fanout.js')) as { fanoutBench?: (o: { quick: boolean }) => Promise<unknown[]> };
    if (mod.fanoutBench !== undefined) {
      log('fanout');
      report.fanout = await mod.fanoutBench({ quick });
    }
  } catch (e) {
    log(`fanout skipped: ${(e as Error).message}`);
  }
});

const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const name = out ?? (quick ? 'quick' : 'latest');
writeFileSync(`${dir}${name}.json`, `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(`${dir}${name}.md`, renderMarkdown(report));
process.stdout.write(renderMarkdown(report));
log(`wrote bench/results/${name}.json and ${name}.md`);
