// @ts-nocheck
// The load harness (bench/load): flag validation, the pieces its report is built from, and
// a smoke run of the real CLI — both targets, a few realms and clients, seconds not minutes —
// whose report must have the documented shape.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { plan, verdict } from '../bench/load/analysis.js';
import { HELP, parseArgs, UsageError } from '../bench/load/args.js';
import { LatencyHistogram } from '../bench/load/histogram.js';
import { clientSlices } from '../bench/load/runner.js';
import type { LoadReport, ScenarioResult, TargetRun } from '../bench/load/types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/bench/load/cli.js');

function usage(argv: string[]): UsageError {
  try {
    parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error(`parseArgs(${JSON.stringify(argv)}) did not throw`);
}

describe('bench:load flags', () => {
  it('has defaults for every flag', () => {
    const o = parseArgs([]);
    expect(o).toMatchObject({ realms: 100, entities: 100, clients: 1000, seconds: 20, targets: ['tickverse', 'colyseus'], name: 'load-latest', sweep: null, help: false });
    expect(o.shards).toBeGreaterThanOrEqual(1);
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('reads --flag value and --flag=value', () => {
    const o = parseArgs(['--realms', '10', '--clients=20', '--target', 'colyseus', '--seconds', '2.5', '--name', 'x_1']);
    expect(o).toMatchObject({ realms: 10, clients: 20, targets: ['colyseus'], seconds: 2.5, name: 'x_1' });
    expect(parseArgs(['--sweep', 'clients']).name).toBe('load-sweep-clients');
    expect(parseArgs(['--sweep', 'realms', '--points', '5,50']).points).toEqual([5, 50]);
    expect(parseArgs(['-h']).help).toBe(true);
  });

  it.each([
    [['--realms', 'ten'], 'realms', /--realms must be an integer from 1 to 100000; received "ten"/],
    [['--realms', '0'], 'realms', /received "0"/],
    [['--entities', '1.5'], 'entities', /--entities must be an integer/],
    [['--clients', '-1'], 'clients', /--clients must be an integer from 0/],
    [['--seconds', 'abc'], 'seconds', /--seconds must be a number from 1 to 3600; received "abc"/],
    [['--target', 'nakama'], 'target', /--target must be one of tickverse, colyseus, both; received "nakama"/],
    [['--sweep', 'entities'], 'sweep', /--sweep must be one of realms, shards, clients/],
    [['--name', '../x'], 'name', /--name must be 1-64 letters/],
    [['--frobnicate'], 'frobnicate', /unknown flag --frobnicate/],
    [['--realms'], 'realms', /--realms needs a value/],
    [['--realms', '--clients', '3'], 'realms', /--realms needs a value/],
    [['--realms', '5', '--realms', '6'], 'realms', /given more than once/],
    [['realms'], 'realms', /unexpected argument "realms"/],
    [['--points', '1,2'], 'points', /--points needs --sweep/],
    [['--sweep', 'clients', '--clients', '5'], 'clients', /conflict/],
    [['--sweep', 'shards', '--points', '1,100'], 'points', /from 1 to 64/],
    [['--help=yes'], 'help', /takes no value/],
  ])('rejects %j', (argv, flag, message) => {
    const e = usage(argv);
    expect(e.flag).toBe(flag);
    expect(e.message).toMatch(message);
  });

  it('documents every flag in --help', () => {
    for (const flag of ['realms', 'entities', 'clients', 'shards', 'seconds', 'target', 'name', 'sweep', 'points', 'client-procs', 'latency-budget', 'out']) {
      expect(HELP).toContain(`--${flag}`);
    }
  });
});

describe('bench:load pieces', () => {
  it('plans sweeps with alternating target order; Colyseus once in a shard sweep', () => {
    const sweep = plan(parseArgs(['--sweep', 'clients', '--points', '10,20,30']));
    expect(sweep.map((s) => s.params.clients)).toEqual([10, 20, 30]);
    expect(sweep.map((s) => s.order)).toEqual([
      ['tickverse', 'colyseus'],
      ['colyseus', 'tickverse'],
      ['tickverse', 'colyseus'],
    ]);
    const shards = plan(parseArgs(['--sweep', 'shards', '--points', '1,2']));
    expect(shards.map((s) => s.order)).toEqual([['tickverse', 'colyseus'], ['tickverse']]);
  });

  it('splits clients over processes, client i on realm i mod R', () => {
    expect(clientSlices(5, 2, 2)).toEqual([
      ['stress-0', 'stress-1'],
      ['stress-0', 'stress-1', 'stress-0'],
    ]);
    expect(clientSlices(1, 3, 4)).toEqual([['stress-0']]);
    expect(clientSlices(0, 3, 2)).toEqual([]);
  });

  it('merges latency histograms exactly', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 1; i <= 99; i++) a.add(i);
    b.add(500);
    b.add(-3);
    const m = new LatencyHistogram();
    m.addPairs(a.toPairs());
    m.addPairs(b.toPairs());
    expect(m.summary()).toMatchObject({ n: 101, p50: 50, max: 500 });
    expect(m.quantile(0)).toBe(0);
    expect(m.quantile(0.999)).toBe(500);
  });

  it('sizes capacity at the latency budget and says when one load point cannot', () => {
    const run = (target: 'tickverse' | 'colyseus', delivered: number, p99: number, cpu: number): TargetRun =>
      ({
        target,
        order: 1,
        connected: 1,
        connectFailed: 0,
        connectRetries: 0,
        setupMs: 0,
        notes: [],
        figures: { entityUpdatesDeliveredPerSec: delivered, latencyMs: { p50: 1, p99, max: p99, mean: 1, n: 10 }, deliveredRatio: 1, disconnects: 0, simSecondsPerSec: 1, cpuSecPerSimSec: cpu },
      }) as unknown as TargetRun;
    const point = (x: number, tv: TargetRun, cy: TargetRun): ScenarioResult => ({ label: `${x}`, x, params: {} as never, runs: { tickverse: tv, colyseus: cy }, ratios: {} });
    const sweep = [point(1, run('tickverse', 100, 5, 0.1), run('colyseus', 100, 10, 0.3)), point(2, run('tickverse', 400, 20, 0.1), run('colyseus', 200, 80, 0.3)), point(3, run('tickverse', 800, 90, 0.1), run('colyseus', 300, 900, 0.3))];
    const v = verdict(sweep, 50, 'clients');
    expect(v.capacity).toEqual({ tickverse: 400, colyseus: 100 });
    expect(v.capacityRatio).toBe(4);
    expect(v.meetsUpdatesBar).toBe(true);
    expect(v.meetsCpuBar).toBe(true);
    expect(v.lines.at(-1)).toMatch(/: met\.$/);
    expect(verdict(sweep, 50, 'realms').meetsUpdatesBar).toBeNull();
    // Colyseus over budget everywhere: the ratio is bounded by its smallest load.
    const missed = [point(1, run('tickverse', 100, 5, 0.1), run('colyseus', 100, 60, 0.3)), point(2, run('tickverse', 400, 20, 0.1), run('colyseus', 200, 80, 0.3))];
    const m = verdict(missed, 50, 'clients');
    expect(m.capacity).toEqual({ tickverse: 400, colyseus: 0 });
    expect(m.meetsUpdatesBar).toBe(true);
    expect(m.lines[0]).toMatch(/more than 4\.00×/);
    const single = verdict([sweep[0]!], 50, null);
    expect(single.meetsUpdatesBar).toBeNull();
    expect(single.lines.join(' ')).toMatch(/same offered load, not a capacity/);
  });
});

describe('bench:load smoke run', () => {
  const out = mkdtempSync(join(tmpdir(), 'tickverse-load-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  function runCli(args: string[], ms: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`bench:load did not finish within ${ms} ms:\n${stderr}`));
      }, ms);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  it('exits 2 with the flag named on bad input', async () => {
    const r = await runCli(['--clients', 'many'], 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--clients must be an integer/);
  });

  it('runs both targets and writes a report of the documented shape', async () => {
    const args = ['--realms', '3', '--entities', '8', '--clients', '6', '--shards', '1', '--seconds', '2', '--warmup', '0.5', '--name', 'smoke', '--out', out];
    const r = await runCli(args, 150_000);
    expect(r.code, r.stderr).toBe(0);
    for (const ext of ['json', 'md', 'svg']) expect(existsSync(join(out, `smoke.${ext}`))).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'smoke.json'), 'utf8')) as LoadReport;
    expect(report).toMatchObject({ kind: 'tickverse-load-report', version: 1, name: 'smoke', sweep: null, targets: ['tickverse', 'colyseus'] });
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.node).toBe(process.version);
    expect(report.versions['@colyseus/core']).toMatch(/^0\.16\./);
    expect(report.scenarios).toHaveLength(1);
    const s = report.scenarios[0]!;
    expect(s.params).toMatchObject({ realms: 3, entities: 8, clients: 6, shards: 1 });
    const tv = s.runs.tickverse!;
    const cy = s.runs.colyseus!;
    expect([tv.order, cy.order]).toEqual([1, 2]);
    for (const run of [tv, cy]) {
      expect(run.connected).toBe(6);
      const f = run.figures;
      expect(f.framesPerSec).toBeGreaterThan(0);
      expect(f.entityUpdatesDeliveredPerSec).toBeGreaterThan(0);
      expect(f.latencyMs.n).toBeGreaterThan(0);
      expect(f.localTicksPerSec).toBeGreaterThan(0);
      expect(f.entityUpdatesPerSec).toBeGreaterThan(0);
      expect(f.crossRealmEventsPerSec).toBeGreaterThan(0);
      expect(f.cpuSecPerSimSec).toBeGreaterThan(0);
      expect(f.peakRssMiB).toBeGreaterThan(0);
    }
    expect(tv.figures.controlTickMs?.n).toBeGreaterThan(0);
    expect(tv.figures.barrierMs).not.toBeNull();
    expect(cy.figures.controlTickMs).toBeNull();
    expect(s.ratios.entityUpdatesDeliveredPerSec).toBeGreaterThan(0);
    expect(s.ratios.cpuSecPerSimSec).toBeGreaterThan(0);
    expect(report.verdict.budgetMs).toBe(50);
    expect(report.verdict.lines.length).toBeGreaterThan(0);
    const md = readFileSync(join(out, 'smoke.md'), 'utf8');
    expect(md).toContain('| figure | Tickverse (run 1st) | Colyseus (run 2nd) | Tickverse ÷ Colyseus |');
    expect(md).toContain('![smoke](smoke.svg)');
    expect(md).toContain('Client-observed latency p99');
    const svg = readFileSync(join(out, 'smoke.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });
});
