// The report: <name>.json (everything measured), <name>.md (the verdict, the bar's figures
// side by side per scenario, the chart, each figure for both targets with the ratio) and
// <name>.svg (the chart).
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
        fmtValue(f.bytesPerUpdate, 2),
        fmtValue(f.serverUsPerDeliveredUpdate, 3),
        fmtValue(f.clientUsPerUpdate, 3),
        fmtValue(f.cpuSecPerSimSec, 3),
        fmtValue(f.serverCores, 2),
        fmtValue(f.peakRssMiB),
        f.controlTickMs === null ? '—' : `${f.controlTickMs.p50} / ${f.controlTickMs.p99}`,
      ]);
    }
  }
  return table(
    ['point', 'target', 'entity updates delivered/s', 'frames/s', 'latency p50 / p99 (ms)', 'B/update', 'server µs/update', 'client µs/update', 'CPU s per sim s', 'server cores', 'peak RSS (MiB)', 'control tick p50 / p99 (ms)'],
    rows,
  );
}

/** The four figures the bar is about, side by side for every scenario point. */
const KEY_FIGURES = ['bytesPerUpdate', 'serverUsPerDeliveredUpdate', 'updatesWithinBudgetPerSec', 'clientUsPerUpdate'] as const;

function keyTable(r: LoadReport): string {
  const defs = KEY_FIGURES.map((k) => FIGURES.find((f) => f.key === k)!);
  const rows: string[][] = [];
  for (const s of r.scenarios) {
    for (const d of defs) {
      const cell = (t: Target): string => {
        const run = s.runs[t];
        if (run === undefined) return '—';
        const v = d.get(run.figures);
        if (d.key === 'updatesWithinBudgetPerSec' && v === 0) return `missed (p99 ${run.figures.latencyMs.p99} ms, ${fmtValue(run.figures.entityUpdatesDeliveredPerSec)}/s delivered)`;
        return fmtValue(v, d.digits ?? 0);
      };
      const unit = d.unit === '' ? '' : ` (${d.unit})`;
      rows.push([s.label, `${d.label}${unit}`, cell('tickverse'), cell('colyseus'), fmtRatio(s.ratios[d.key] ?? null)]);
    }
  }
  return table(['scenario', 'figure', 'Tickverse', 'Colyseus', 'Tickverse ÷ Colyseus'], rows);
}

function worldLines(r: LoadReport): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const s of r.scenarios) {
    const p = s.params;
    const key = `${s.kind}:${p.layout}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const head = s.kind === 'realms' ? '(a)' : s.kind === 'open' ? '(b)' : s.kind === 'capacity' ? '(c)' : 'Sweep';
    const clients = s.kind === 'capacity' ? `clients raised over ${r.scenarios.filter((x) => x.kind === 'capacity').map((x) => x.x).join(', ')} until a server missed the budget` : s.kind === 'sweep' ? 'see the points' : `${p.clients.toLocaleString('en-US')} clients`;
    const world =
      p.layout === 'open'
        ? `one open-world realm of ${p.entities.toLocaleString('en-US')} entities moving on the 1000 × 1000 torus at ${p.tickHz} Hz; each client focuses on a seeded point and follows the 2 × 2 cells of ${p.cell} units nearest it (interest radius 0.5) ` +
          `(Tickverse: a \`stress\` realm with \`cell: ${p.cell}\`, a \`focus\` request after \`join\`, one stream per cell; Colyseus: one \`OpenRoom\` whose entity map is tagged \`.view()\`, a \`StateView\` per client holding the entities of the same cells, updated as entities cross cells)`
        : `${p.realms.toLocaleString('en-US')} realms × ${p.entities} entities at ${p.tickHz} Hz, whole-realm streams, client i joins realm i mod R ` +
          `(Tickverse \`stress\` realms; Colyseus one \`StressRoom\` per realm), each realm sending its neighbour a cross-realm event every ${p.emitEvery} ticks`;
    out.push(`- ${head} ${world}; ${clients}; ${p.seconds} s measured after ${p.warmup} s of warm-up.`);
  }
  const p = r.scenarios[0]!.params;
  out.push(
    `- Both: Tickverse on ${p.shards} shards (realtime, control tick every ${p.ticksPerControl} local ticks) behind its uWebSockets.js gateway; Colyseus 0.18 on \`@colyseus/ws-transport\` (its uWebSockets transport depends on a GitHub tarball and cannot be installed here), one thread, a patch after every tick. Clients in ${p.clientProcs} client processes on the same machine. ` +
      `${r.targets.length === 2 ? `The two servers ran one after the other in this run, alternating which went first${r.rounds > 1 ? `, ${r.rounds} rounds (each figure the median over rounds)` : ''}.` : `Target: ${r.targets.join(', ')}.`}`,
  );
  return out;
}

export function renderMarkdown(r: LoadReport): string {
  const m = r.machine;
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
    ...worldLines(r),
    '',
    'What each figure means: [bench/README.md](../README.md).',
    '',
    '## Verdict',
    '',
    ...r.verdict.lines.map((l) => `- ${l}`),
    '',
    '## The figures of the bar, side by side',
    '',
    keyTable(r),
    '',
    `![${r.name}](${r.name}.svg)`,
    '',
  ];
  if (r.scenarios.length > 1) out.push('## Summary', '', sweepSummary(r), '');
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
