// `npm run bench`: micro-benchmarks (ring, barrier, codec) and max-mode multiverse runs,
// one scenario at a time; writes bench/results/latest.json and latest.md.
// `npm run bench -- --quick` runs shorter scenarios (smoke runs, CI).
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { barrierBench, type BarrierResult } from './barrier.bench.js';
import { codecBench, type CodecRow } from './codec.bench.js';
import { runMultiverse, type MultiverseResult } from './multiverse.js';
import { renderMarkdown } from './report.js';

export interface BenchReport {
  date: string;
  machine: { cores: number; cpu: string; memGiB: number; node: string; platform: string };
  ring: unknown[];
  barrier: BarrierResult[];
  codec: CodecRow[];
  multiverse: MultiverseResult[];
  fanout: unknown[];
}

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const want = (name: string): boolean => only === undefined || only.split(',').includes(name);

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
  multiverse: [],
  fanout: [],
};

if (want('ring')) {
  log('ring');
  const { ringBench } = (await import('./ring.bench.js')) as { ringBench: () => Promise<unknown[]> };
  report.ring = await ringBench();
}
if (want('barrier')) {
  for (const shards of [2, 8]) {
    log(`barrier max ${shards}`);
    report.barrier.push(await barrierBench(shards, quick ? 500 : 3000, 'max'));
  }
  log('barrier realtime 2');
  report.barrier.push(await barrierBench(2, quick ? 100 : 500, 'realtime'));
}
if (want('codec')) {
  log('codec');
  report.codec = await codecBench();
}
if (want('multiverse')) {
  for (const realms of [100, 1000]) {
    log(`multiverse ${realms} × 100`);
    report.multiverse.push(await runMultiverse({ realms, entities: 100, seconds: quick ? 1 : 5 }));
  }
}
if (want('fanout')) {
  try {
    const mod = (await import('./fanout.js')) as { fanoutBench?: (o: { quick: boolean }) => Promise<unknown[]> };
    if (mod.fanoutBench !== undefined) {
      log('fanout');
      report.fanout = await mod.fanoutBench({ quick });
    }
  } catch (e) {
    log(`fanout skipped: ${(e as Error).message}`);
  }
}

const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const name = quick ? 'quick' : 'latest';
writeFileSync(`${dir}${name}.json`, `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(`${dir}${name}.md`, renderMarkdown(report));
process.stdout.write(renderMarkdown(report));
log(`wrote bench/results/${name}.json and ${name}.md`);
