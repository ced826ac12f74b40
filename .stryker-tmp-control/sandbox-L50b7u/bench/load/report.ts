// @ts-nocheck
// The report: <name>.json (everything measured), <name>.md (the verdict, the chart, each
// figure for both targets with the ratio) and <name>.svg (the chart).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderChart } from './chart.js';
import { FIGURES, fmtRatio, fmtValue } from './figures.js';
import type { LoadReport, ScenarioResult, Target } from './types.js';

const NAME: Record<Target, string> = { tickverse: 'Tickverse', colyseus: 'Colyseus' };

function table(headers: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

function scenarioTable(r: LoadReport, s: ScenarioResult): string {
  const targets = r.targets.filter((t) => s.runs[t] !== undefined);
  const both = targets.length === 2;
  const head = (t: Target): string => {
    const run = s.runs[t]!;
    return run.rounds > 1 ? `${NAME[t]} (median of ${run.rounds} rounds)` : `${NAME[t]} (run ${run.order === 1 ? '1st' : '2nd'})`;
  };
  const headers = ['figure', ...targets.map(head), ...(both ? ['Tickverse ÷ Colyseus'] : [])];
  const rows = FIGURES.map((d) => {
    const vals = targets.map((t) => fmtValue(d.get(s.runs[t]!.figures), d.digits ?? 0));
    const unit = d.unit === '' ? '' : ` (${d.unit})`;
    return [`${d.label}${unit}`, ...vals, ...(both ? [fmtRatio(s.ratios[d.key] ?? null)] : [])];
  });
  return table(headers, rows);
}

function sweepSummary(r: LoadReport): string {
  const rows: string[][] = [];
  for (const s of r.scenarios) {
    for (const t of r.targets) {
      const run = s.runs[t];
      if (run === undefined) continue;
      const f = run.figures;
      rows.push([
        s.label,
        NAME[t],
        fmtValue(f.entityUpdatesDeliveredPerSec),
        fmtValue(f.framesPerSec),
        `${f.latencyMs.p50} / ${f.latencyMs.p99}`,
        fmtValue(f.cpuSecPerSimSec, 3),
        fmtValue(f.serverCores, 2),
        fmtValue(f.peakRssMiB),
        f.controlTickMs === null ? '—' : `${f.controlTickMs.p50} / ${f.controlTickMs.p99}`,
      ]);
    }
  }
  return table(['point', 'target', 'entity updates delivered/s', 'frames/s', 'latency p50 / p99 (ms)', 'CPU s per sim s', 'server cores', 'peak RSS (MiB)', 'control tick p50 / p99 (ms)'], rows);
}

export function renderMarkdown(r: LoadReport): string {
  const m = r.machine;
  const p = r.scenarios[0]!.params;
  const ver = Object.entries(r.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const out: string[] = [
    `# Load benchmark \`${r.name}\` — ${r.date.slice(0, 10)}`,
    '',
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memGiB} GiB, Node ${m.node}, ${m.platform}. Versions: ${ver}.`,
    '',
    `Command: \`${r.command}\``,
    '',
    `World: ${r.sweep === 'realms' ? 'R (swept)' : p.realms.toLocaleString('en-US')} realms × ${p.entities} entities moving on a torus at ${p.tickHz} Hz ` +
      `(Tickverse \`stress\` realms on ${r.sweep === 'shards' ? 'S (swept)' : p.shards} shards, realtime mode, control tick every ${p.ticksPerControl} local ticks; ` +
      `Colyseus one \`StressRoom\` per realm, patch after every tick), each realm sending its neighbour a cross-realm event every ${p.emitEvery} ticks. ` +
      `${r.sweep === 'clients' ? 'C (swept)' : p.clients.toLocaleString('en-US')} WebSocket clients (client i joins realm i mod R) in ${p.clientProcs} client processes; ` +
      `${p.seconds} s measured after ${p.warmup} s of warm-up; ${r.targets.length === 2 ? `the two servers ran one after the other in this run${r.rounds > 1 ? `, ${r.rounds} rounds alternating which went first (each figure is the median over rounds)` : ''}${r.scenarios.length > 1 ? ', alternating order across points' : ''}` : `target: ${r.targets.join(', ')}`}. ` +
      'What each figure means: [bench/README.md](../README.md).',
    '',
    '## Verdict',
    '',
    ...r.verdict.lines.map((l) => `- ${l}`),
    '',
    `![${r.name}](${r.name}.svg)`,
    '',
  ];
  if (r.scenarios.length > 1) out.push('## Sweep summary', '', sweepSummary(r), '');
  if (r.growth.length > 0) out.push('## How cost grows', '', ...r.growth.map((l) => `- ${l}`), '');
  for (const s of r.scenarios) {
    out.push(`## ${s.label}`, '', scenarioTable(r, s), '');
    for (const t of r.targets) {
      const run = s.runs[t];
      if (run === undefined || run.notes.length === 0) continue;
      out.push(`${NAME[t]}: ${run.notes.join(' ')}`, '');
    }
  }
  return `${out.join('\n')}\n`;
}

/** Writes <out>/<name>.json, .md and .svg; returns their paths. */
export function writeReport(r: LoadReport, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, `${r.name}.json`), join(dir, `${r.name}.md`), join(dir, `${r.name}.svg`)];
  writeFileSync(files[0]!, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(files[1]!, renderMarkdown(r));
  writeFileSync(files[2]!, renderChart(r));
  return files;
}
