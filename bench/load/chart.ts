// The report's picture, drawn as SVG text (no plotting library): paired bars per key figure
// for each one-point scenario, line charts for the capacity sweep (delivered entity updates,
// p99 latency against the budget), or for a classic sweep four small line charts (delivered
// entity updates, p99 latency, CPU per simulated second, peak memory).
import { FIGURES, fmtRatio, fmtValue, type FigureDef } from './figures.js';
import { groupScenarios } from './analysis.js';
import type { LoadReport, ScenarioResult, Target } from './types.js';

const COLOR: Record<Target, string> = { tickverse: '#0f766e', colyseus: '#d97706' };
const NAME: Record<Target, string> = { tickverse: 'Tickverse', colyseus: 'Colyseus' };
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n2 = (v: number): string => (Math.round(v * 10) / 10).toString();

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${n2(x)}" y="${n2(y)}" ${attrs}>${esc(s)}</text>`;
}

function doc(width: number, height: number, body: string[], title: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="13">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function legend(x: number, y: number, targets: readonly Target[]): string[] {
  const out: string[] = [];
  let cx = x;
  for (const t of targets) {
    out.push(`<rect x="${cx}" y="${y - 10}" width="14" height="14" rx="3" fill="${COLOR[t]}"/>`);
    out.push(text(cx + 20, y + 2, NAME[t], 'fill="#111827"'));
    cx += 110;
  }
  return out;
}

/** Compact number for axis ticks: 1.2k, 3.4M. */
function short(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${n2(v / 1e9)}G`;
  if (a >= 1e6) return `${n2(v / 1e6)}M`;
  if (a >= 1e4) return `${Math.round(v / 1e3)}k`;
  if (a >= 1e3) return `${n2(v / 1e3)}k`;
  if (a >= 10 || v === 0) return `${Math.round(v)}`;
  return `${Number(v.toPrecision(2))}`;
}

// ---- one scenario: paired bars ----

const W = 900;
const ROW_H = 62;

/** Paired bars of the chart figures for one scenario point, from `top`; returns the elements and the height used. */
function barsBlock(r: LoadReport, s: ScenarioResult, top: number, title: string): { body: string[]; height: number } {
  const targets = r.targets.filter((t) => s.runs[t] !== undefined);
  const defs = FIGURES.filter((f) => f.chart === true);
  const labelW = 330;
  const barMax = 400;
  const body: string[] = [text(24, top + 20, title, 'font-size="15" font-weight="600" fill="#111827"')];
  const first = top + 32;
  defs.forEach((d, i) => {
    const y = first + i * ROW_H;
    const vals = targets.map((t) => d.get(s.runs[t]!.figures) ?? 0);
    const max = Math.max(...vals, 1e-9);
    body.push(text(24, y + 22, d.label, 'fill="#111827" font-weight="500"'));
    body.push(text(24, y + 40, `${d.unit === '' ? '' : `${d.unit} · `}${d.better === 'higher' ? 'higher is better' : d.better === 'lower' ? 'lower is better' : ''}`, 'fill="#6b7280" font-size="11"'));
    targets.forEach((t, j) => {
      const v = vals[j]!;
      const w = Math.max(1.5, (v / max) * barMax);
      const by = y + 6 + j * 22;
      body.push(`<rect x="${labelW}" y="${by}" width="${n2(w)}" height="18" rx="3" fill="${COLOR[t]}"/>`);
      body.push(text(labelW + w + 6, by + 14, fmtValue(v, d.digits ?? 0), 'fill="#111827" font-size="12"'));
    });
    const ratio = s.ratios[d.key] ?? null;
    if (targets.length === 2 && ratio !== null) {
      const good = d.better === 'higher' ? ratio >= 1 : d.better === 'lower' ? ratio <= 1 : null;
      const fill = good === null ? '#374151' : good ? '#15803d' : '#b91c1c';
      body.push(text(W - 24, y + 30, fmtRatio(ratio), `text-anchor="end" font-weight="600" font-size="15" fill="${fill}"`));
    }
    body.push(`<line x1="24" x2="${W - 24}" y1="${y + ROW_H - 6}" y2="${y + ROW_H - 6}" stroke="#e5e7eb"/>`);
  });
  return { body, height: 32 + defs.length * ROW_H + 12 };
}

// ---- sweep: small line charts ----

interface Panel {
  title: string;
  def: FigureDef;
  log: boolean;
  budget?: number;
}

function scale(min: number, max: number, log: boolean, from: number, to: number): (v: number) => number {
  if (log) {
    const a = Math.log10(Math.max(min, 1e-9));
    const b = Math.log10(Math.max(max, min * 1.0001, 1e-9));
    return (v) => from + ((Math.log10(Math.max(v, 1e-9)) - a) / (b - a || 1)) * (to - from);
  }
  return (v) => from + ((v - min) / (max - min || 1)) * (to - from);
}

function ticks(min: number, max: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(Math.max(min, 1e-9))); e <= Math.ceil(Math.log10(Math.max(max, 1e-9))); e++) {
      const v = 10 ** e;
      if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
    }
    return out.length >= 2 ? out : [min, max];
  }
  const step0 = (max - min) / 4 || 1;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function linePanel(r: LoadReport, points: readonly ScenarioResult[], xLabel: string, px: number, py: number, pw: number, ph: number, p: Panel): string[] {
  const pts = points.filter((s) => s.x !== null);
  const xs = pts.map((s) => s.x!);
  const xLog = Math.max(...xs) / Math.max(1, Math.min(...xs)) >= 10;
  const left = px + 58;
  const right = px + pw - 12;
  const topY = py + 30;
  const bottom = py + ph - 36;
  const vals: number[] = [];
  for (const s of pts) for (const t of r.targets) if (s.runs[t] !== undefined) vals.push(p.def.get(s.runs[t].figures) ?? 0);
  if (p.budget !== undefined) vals.push(p.budget);
  let yMin = p.log ? Math.max(0.5, Math.min(...vals.filter((v) => v > 0), 1)) : 0;
  let yMax = Math.max(...vals, 1e-9);
  if (p.log) {
    yMin = 10 ** Math.floor(Math.log10(yMin));
    yMax = 10 ** Math.ceil(Math.log10(yMax));
  } else {
    yMax *= 1.08;
  }
  const X = scale(Math.min(...xs), Math.max(...xs), xLog, left + 8, right - 8);
  const Y = scale(yMin, yMax, p.log, bottom, topY);
  const out: string[] = [
    `<rect x="${px}" y="${py}" width="${pw}" height="${ph}" rx="8" fill="#f9fafb" stroke="#e5e7eb"/>`,
    text(px + 12, py + 20, p.title, 'font-weight="600" fill="#111827"'),
  ];
  for (const v of ticks(yMin, yMax, p.log)) {
    const y = Y(v);
    out.push(`<line x1="${left}" x2="${right}" y1="${n2(y)}" y2="${n2(y)}" stroke="#e5e7eb"/>`);
    out.push(text(left - 6, y + 4, short(v), 'text-anchor="end" fill="#6b7280" font-size="11"'));
  }
  for (const v of xs) {
    out.push(text(X(v), bottom + 16, short(v), 'text-anchor="middle" fill="#6b7280" font-size="11"'));
  }
  out.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#9ca3af"/>`);
  out.push(text((left + right) / 2, bottom + 32, `${xLabel}${xLog ? ' (log scale)' : ''}`, 'text-anchor="middle" fill="#374151" font-size="11"'));
  if (p.budget !== undefined) {
    const y = Y(p.budget);
    out.push(`<line x1="${left}" x2="${right}" y1="${n2(y)}" y2="${n2(y)}" stroke="#b91c1c" stroke-dasharray="5 4"/>`);
    out.push(text(right - 4, y - 5, `budget ${p.budget} ms`, 'text-anchor="end" fill="#b91c1c" font-size="11"'));
  }
  for (const t of r.targets) {
    const series = pts.filter((s) => s.runs[t] !== undefined).map((s) => [X(s.x!), Y(p.def.get(s.runs[t]!.figures) ?? 0)] as const);
    if (series.length === 0) continue;
    if (series.length > 1) out.push(`<polyline fill="none" stroke="${COLOR[t]}" stroke-width="2.5" points="${series.map(([x, y]) => `${n2(x)},${n2(y)}`).join(' ')}"/>`);
    for (const [x, y] of series) out.push(`<circle cx="${n2(x)}" cy="${n2(y)}" r="4" fill="${COLOR[t]}"/>`);
  }
  return out;
}

function sweepChart(r: LoadReport): string {
  const panels: Panel[] = [
    { title: 'Entity updates delivered / s', def: FIGURES.find((f) => f.key === 'entityUpdatesDeliveredPerSec')!, log: false },
    { title: 'Client-observed latency p99 (ms)', def: FIGURES.find((f) => f.key === 'latencyP99')!, log: true, budget: r.verdict.budgetMs },
    { title: 'Server CPU s per simulated s', def: FIGURES.find((f) => f.key === 'cpuSecPerSimSec')!, log: false },
    { title: 'Server peak memory (MiB)', def: FIGURES.find((f) => f.key === 'peakRssMiB')!, log: false },
  ];
  const W = 960;
  const pw = 456;
  const ph = 270;
  const top = 92;
  const H = top + 2 * (ph + 16) + 10;
  const first = r.scenarios[0]!.params;
  const fixed = r.sweep === 'realms' ? `${first.entities} entities/realm, ${first.clients} clients` : r.sweep === 'clients' ? `${first.realms} realms × ${first.entities} entities` : `${first.realms} realms × ${first.entities} entities, ${first.clients} clients`;
  const body: string[] = [
    text(24, 32, `Tickverse vs Colyseus — sweep over ${r.sweep} (${fixed})`, 'font-size="18" font-weight="600" fill="#111827"'),
    text(24, 54, `${r.machine.cores} cores, Node ${r.machine.node}, ${r.date.slice(0, 10)}`, 'fill="#6b7280"'),
    ...legend(24, 78, r.targets),
  ];
  panels.forEach((p, i) => {
    body.push(...linePanel(r, r.scenarios, r.sweep ?? '', 16 + (i % 2) * (pw + 16), top + Math.floor(i / 2) * (ph + 16), pw, ph, p));
  });
  return doc(W, H, body, `Tickverse vs Colyseus: sweep over ${r.sweep}`);
}

/** The run's scenarios stacked: paired bars for each one-point scenario, delivered updates and p99 against clients for the capacity sweep. */
function suiteChart(r: LoadReport): string {
  const body: string[] = [
    text(24, 32, 'Tickverse vs Colyseus', 'font-size="18" font-weight="600" fill="#111827"'),
    text(24, 54, `${r.machine.cores} cores, Node ${r.machine.node}, ${r.date.slice(0, 10)} · ratio = Tickverse ÷ Colyseus`, 'fill="#6b7280"'),
    ...legend(24, 80, r.targets),
  ];
  let y = 96;
  for (const pts of groupScenarios(r.scenarios)) {
    if (pts.length === 1 && pts[0]!.x === null) {
      const block = barsBlock(r, pts[0]!, y, pts[0]!.label);
      body.push(...block.body);
      y += block.height;
      continue;
    }
    const head = pts[0]!.kind === 'capacity' ? '(c) capacity sweep' : pts[0]!.label;
    body.push(text(24, y + 20, `${head}: ${pts[0]!.params.layout === 'open' ? `open world of ${pts[0]!.params.entities.toLocaleString('en-US')} entities` : `${pts[0]!.params.realms} realms × ${pts[0]!.params.entities} entities`}`, 'font-size="15" font-weight="600" fill="#111827"'));
    const pw = (W - 48) / 2;
    const ph = 250;
    const panels: Panel[] = [
      { title: 'Entity updates delivered / s', def: FIGURES.find((f) => f.key === 'entityUpdatesDeliveredPerSec')!, log: false },
      { title: 'Client-observed latency p99 (ms)', def: FIGURES.find((f) => f.key === 'latencyP99')!, log: true, budget: r.verdict.budgetMs },
    ];
    panels.forEach((p, i) => body.push(...linePanel(r, pts, 'clients', 16 + i * (pw + 16), y + 32, pw, ph, p)));
    y += 32 + ph + 16;
  }
  return doc(W, y + 10, body, 'Tickverse vs Colyseus');
}

export function renderChart(r: LoadReport): string {
  if (r.sweep !== null && r.scenarios.length > 1) return sweepChart(r);
  return suiteChart(r);
}
