// `npm run bench:load`: the load harness. Parses the flags, runs each planned scenario for
// each target (alternating), and writes the report. In the capacity sweep a target that
// missed the latency budget at one point is not run at the larger ones. Exit codes: 0 done,
// 1 a run failed, 2 bad flags.
import { availableParallelism, cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { combineRounds, growth, plan, ratios, verdict, withinBudget } from './analysis.js';
import { HELP, parseArgs, UsageError, type LoadOptions } from './args.js';
import { Progress } from './progress.js';
import { writeReport } from './report.js';
import { runTarget } from './runner.js';
import type { LoadReport, ScenarioResult, Target, TargetRun } from './types.js';
import { versions } from './versions.js';

let options: LoadOptions;
try {
  options = parseArgs(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    process.stderr.write(`bench:load: ${e.message}\nRun with --help for the flags.\n`);
    process.exit(2);
  }
  throw e;
}
if (options.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const progress = new Progress();
/** Other processes took more than this many cores during the window. */
const noisy = (r: TargetRun): boolean => (r.figures.otherCores ?? 0) > 0.3;
const planned = plan(options);
const scenarios: ScenarioResult[] = [];
const command = `npm run bench:load${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const started = Date.now();
let failed = false;
/** Capacity sweep: targets that missed the budget at an earlier point (not run again). */
const outOfBudget = new Set<Target>();

for (const [i, sc] of planned.entries()) {
  const todo = sc.adaptive ? sc.order.filter((t) => !outOfBudget.has(t)) : sc.order;
  if (todo.length === 0) continue;
  progress.done(`bench:load ${i + 1}/${planned.length}: ${sc.label} (${todo.join(' then ')})`);
  const byTarget = new Map<Target, TargetRun[]>();
  for (let round = 0; round < options.rounds; round++) {
    // A B, then B A: each target runs first in half the rounds.
    const order = round % 2 === 0 ? todo : [...todo].reverse();
    const label = options.rounds > 1 ? `${sc.label} (round ${round + 1}/${options.rounds})` : sc.label;
    for (const target of order) {
      try {
        let run = await runTarget(target, sc.params, todo.indexOf(target) + 1, label, progress, options.waitQuiet);
        let attempts = 1;
        for (; attempts <= options.retryNoisy && noisy(run); attempts++) {
          progress.done(`${label} · ${target}: other processes used ${run.figures.otherCores} cores during the window; running it again (${attempts}/${options.retryNoisy})`);
          const again = await runTarget(target, sc.params, todo.indexOf(target) + 1, label, progress, options.waitQuiet);
          const disturbed = (r: TargetRun): number => r.figures.otherCores ?? 0;
          run = disturbed(again) <= disturbed(run) ? again : run;
        }
        if (attempts > 1) run.notes.push(`Measured ${attempts} times because other processes disturbed the window; this is the quietest attempt.`);
        byTarget.set(target, [...(byTarget.get(target) ?? []), run]);
      } catch (e) {
        failed = true;
        progress.done(`bench:load: ${target} at ${label} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  const runs: Partial<Record<Target, TargetRun>> = {};
  for (const [target, list] of byTarget) runs[target] = combineRounds(list);
  if (sc.adaptive) {
    for (const [target, run] of Object.entries(runs) as [Target, TargetRun][]) {
      if (!withinBudget(run, options.budgetMs)) {
        outOfBudget.add(target);
        progress.done(`${sc.label} · ${target}: over the ${options.budgetMs} ms budget (p99 ${run.figures.latencyMs.p99} ms); not run at larger points`);
      }
    }
  }
  scenarios.push({ kind: sc.kind, label: sc.label, x: sc.x, params: sc.params, runs, ratios: ratios(runs) });
}

const report: LoadReport = {
  kind: 'tickverse-load-report',
  version: 2,
  name: options.name,
  date: new Date().toISOString(),
  command,
  machine: {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  },
  versions: versions(),
  sweep: options.sweep,
  targets: [...options.targets],
  rounds: options.rounds,
  scenarios,
  verdict: verdict(scenarios, options.budgetMs),
  growth: growth(scenarios, options.sweep),
};

if (scenarios.every((s) => Object.keys(s.runs).length === 0)) {
  progress.done('bench:load: every run failed; no report written.');
  process.exit(1);
}
const files = writeReport(report, resolve(options.out));
process.stdout.write(`${report.verdict.lines.map((l) => `- ${l}`).join('\n')}\n`);
progress.done(`bench:load: wrote ${files.join(', ')} in ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(failed ? 1 : 0);
