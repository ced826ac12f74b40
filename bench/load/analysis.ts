// From options to scenarios, and from results to conclusions: the plan (which scenarios, in
// which order the targets alternate), ratios per figure, the verdict against the issue's
// bar, and how cost grows along a sweep.
import { availableParallelism } from 'node:os';
import { round } from '../stats.js';
import { SWEEP_POINTS, type LoadOptions } from './args.js';
import { FIGURES, fmtRatio, meetsBudget } from './figures.js';
import { cellSizeFor } from './interest.js';
import type { GroupVerdict, ScenarioKind, ScenarioParams, ScenarioResult, SweepKind, Target, TargetRun, Verdict } from './types.js';

export interface PlannedScenario {
  kind: ScenarioKind | 'sweep';
  label: string;
  x: number | null;
  params: ScenarioParams;
  /** Targets in the order they run at this point (A B, then B A at the next point). */
  order: Target[];
  /** Capacity sweep: a target that missed the budget at an earlier point of the sweep is not run again. */
  adaptive: boolean;
}

/** The open world's parameters: one realm of `openEntities` with area-of-interest cells. */
function openWorld(o: LoadOptions, base: ScenarioParams): ScenarioParams {
  return { ...base, layout: 'open', realms: 1, entities: o.openEntities, cell: o.cell > 0 ? o.cell : cellSizeFor(o.openEntities, o.interest), clients: o.openClients, emitEvery: 0 };
}

export function plan(o: LoadOptions): PlannedScenario[] {
  const base: ScenarioParams = {
    layout: 'realms',
    realms: o.realms,
    entities: o.entities,
    cell: 0,
    budgetMs: o.budgetMs,
    clients: o.clients,
    shards: o.shards,
    seconds: o.seconds,
    warmup: o.warmup,
    clientProcs: o.clientProcs,
    tickHz: o.tickHz,
    ticksPerControl: o.ticksPerControl,
    emitEvery: o.emitEvery,
    concurrency: o.concurrency,
    joinTimeout: o.joinTimeout,
  };
  const targets = [...o.targets];
  const alternate = (i: number): Target[] => (i % 2 === 0 ? targets : [...targets].reverse());
  if (o.sweep !== null) {
    const sweep: SweepKind = o.sweep;
    const points = o.points ?? SWEEP_POINTS[sweep];
    return points.map((x, i) => {
      const params: ScenarioParams = { ...base, [sweep]: x };
      let order = alternate(i);
      // Colyseus has no shards: its one baseline run sits at the first point of a shard sweep.
      if (sweep === 'shards' && i > 0) order = order.filter((t) => t !== 'colyseus');
      return { kind: 'sweep', label: `${sweep} = ${x.toLocaleString('en-US')}`, x, params, order, adaptive: false };
    });
  }
  const out: PlannedScenario[] = [];
  for (const kind of o.scenarios) {
    const i = out.length;
    if (kind === 'realms') out.push({ kind, label: `(a) ${describe(base)}`, x: null, params: base, order: alternate(i), adaptive: false });
    else if (kind === 'open') {
      const params = openWorld(o, base);
      out.push({ kind, label: `(b) ${describe(params)}`, x: null, params, order: alternate(i), adaptive: false });
    } else {
      const world = o.capacityWorld === 'open' ? openWorld(o, base) : base;
      o.capacityPoints.forEach((clients, j) => {
        const params: ScenarioParams = { ...world, clients, seconds: o.capacitySeconds };
        out.push({ kind, label: `(c) capacity, ${describe(params)}`, x: clients, params, order: alternate(i + j), adaptive: true });
      });
    }
  }
  return out;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function medianOf<T>(items: readonly T[]): T {
  const first = items[0];
  if (items.length === 1 || first === null || first === undefined) return first as T;
  if (typeof first === 'number') return round(median(items as readonly number[]), 3) as T;
  if (typeof first === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(first)) out[k] = medianOf(items.map((x) => (x as Record<string, unknown>)[k]));
    return out as T;
  }
  return first;
}

/** One run per target from several rounds: each figure the median over the rounds (per field for percentiles). */
export function combineRounds(runs: readonly TargetRun[]): TargetRun {
  const first = runs[0]!;
  if (runs.length === 1) return first;
  const figures = medianOf(runs.map((r) => r.figures));
  return {
    ...first,
    rounds: runs.length,
    perRound: runs.map((r) => r.figures),
    connected: Math.min(...runs.map((r) => r.connected)),
    connectFailed: Math.max(...runs.map((r) => r.connectFailed)),
    connectRetries: runs.reduce((a, r) => a + r.connectRetries, 0),
    setupMs: Math.round(median(runs.map((r) => r.setupMs))),
    figures,
    notes: runs.flatMap((r, i) => r.notes.map((n) => `Round ${i + 1}: ${n}`)),
  };
}

export function describe(p: ScenarioParams): string {
  const n = (v: number): string => v.toLocaleString('en-US');
  if (p.layout === 'open') return `open world of ${n(p.entities)} entities, cells of ${p.cell}, ${n(p.clients)} clients, ${p.shards} shards`;
  return `${n(p.realms)} realms × ${p.entities} entities, ${n(p.clients)} clients, ${p.shards} shards`;
}

export function ratios(runs: Partial<Record<Target, TargetRun>>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  const a = runs.tickverse?.figures;
  const b = runs.colyseus?.figures;
  for (const f of FIGURES) {
    const va = a === undefined ? null : f.get(a);
    const vb = b === undefined ? null : f.get(b);
    out[f.key] = va === null || vb === null || vb === 0 ? null : round(va / vb, 3);
  }
  return out;
}

/** A run counts toward capacity when it met the latency budget and delivered the whole stream. */
export function withinBudget(run: TargetRun, budgetMs: number): boolean {
  return meetsBudget(run.figures, budgetMs);
}

/** Why runs missed the budget: saturation (and by whom), and whether the misses were only in the tail. */
function diagnose(scenarios: readonly ScenarioResult[], budgetMs: number, cores: number): string[] {
  const lines: string[] = [];
  for (const t of ['tickverse', 'colyseus'] as const) {
    const runs = scenarios.map((s) => s.runs[t]).filter((r): r is TargetRun => r !== undefined);
    const missed = runs.filter((r) => r.figures.latencyMs.n > 0 && !withinBudget(r, budgetMs));
    if (missed.length === 0) continue;
    const name = t === 'tickverse' ? 'Tickverse' : 'Colyseus';
    const avg = (f: (r: TargetRun) => number): number => round(missed.reduce((a, r) => a + f(r), 0) / missed.length, 2);
    const saturated = missed.filter((r) => r.figures.serverCores + r.figures.clientCores + (r.figures.otherCores ?? 0) > cores * 0.9).length;
    const parts = [`${name} missed it in ${missed.length} of ${runs.length} run${runs.length === 1 ? '' : 's'}`];
    if (saturated > 0) {
      parts.push(
        `the machine was saturated in ${saturated} of them (on average client processes ${avg((r) => r.figures.clientCores)} cores, server ${avg((r) => r.figures.serverCores)}, other processes ${avg((r) => r.figures.otherCores ?? 0)}, of ${cores})`,
      );
    }
    const slow = missed.filter((r) => r.figures.latencyMs.p99 > budgetMs);
    if (slow.length > 0) {
      const p50 = Math.max(...slow.map((r) => r.figures.latencyMs.p50));
      if (p50 <= budgetMs / 2) parts.push(`the misses are in the tail: p50 stayed at or under ${p50} ms while p99 reached ${Math.max(...slow.map((r) => r.figures.latencyMs.p99))} ms`);
    }
    const behind = missed.filter((r) => r.figures.simSecondsPerSec < 0.9).length;
    if (behind > 0) parts.push(`the server fell behind real time in ${behind}`);
    const lost = missed.filter((r) => r.figures.deliveredRatio < 0.95).length;
    if (lost > 0) parts.push(`clients missed frames in ${lost}`);
    lines.push(`${parts.join('; ')}.`);
  }
  if (lines.length > 0) lines.unshift(`Where the ${budgetMs} ms budget was missed:`);
  return lines;
}

const NAMES: Record<Target, string> = { tickverse: 'Tickverse', colyseus: 'Colyseus' };
const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const TAG: Record<ScenarioKind | 'sweep', string> = { realms: '(a)', open: '(b)', capacity: '(c)', sweep: 'sweep' };

/** Consecutive points of the same scenario, in run order. */
export function groupScenarios(scenarios: readonly ScenarioResult[]): ScenarioResult[][] {
  const out: ScenarioResult[][] = [];
  for (const s of scenarios) {
    const last = out.at(-1);
    if (last !== undefined && last[0]!.kind === s.kind && s.kind !== 'realms' && s.kind !== 'open') last.push(s);
    else out.push([s]);
  }
  return out;
}

/** Median over the points where both delivered updates of Tickverse ÷ Colyseus for one figure. */
function medianRatio(points: readonly ScenarioResult[], get: (f: TargetRun['figures']) => number): number | null {
  const rs: number[] = [];
  for (const s of points) {
    const a = s.runs.tickverse?.figures;
    const b = s.runs.colyseus?.figures;
    if (a === undefined || b === undefined || a.entityUpdatesDeliveredPerSec <= 0 || b.entityUpdatesDeliveredPerSec <= 0) continue;
    const vb = get(b);
    if (vb > 0) rs.push(get(a) / vb);
  }
  return rs.length === 0 ? null : round(median(rs), 3);
}

function groupLabel(points: readonly ScenarioResult[]): string {
  const first = points[0]!;
  if (points.length === 1) return first.label;
  const xs = points.map((s) => s.x).filter((x): x is number => x !== null);
  const head = first.kind === 'capacity' ? '(c) capacity sweep' : `sweep over ${first.label.split(' = ')[0]}`;
  const world = first.params.layout === 'open' ? `open world of ${fmtInt(first.params.entities)} entities` : `${fmtInt(first.params.realms)} realms × ${first.params.entities} entities`;
  return `${head}, ${world}, ${first.kind === 'capacity' ? 'clients ' : ''}${xs.map(fmtInt).join(' → ')}`;
}

/** One scenario's comparison: per-update costs and the capacity within the budget. */
export function groupVerdict(points: readonly ScenarioResult[], budgetMs: number): GroupVerdict {
  const kind = points[0]!.kind;
  const capacity: Partial<Record<Target, number>> = {};
  const lowerBound: Partial<Record<Target, boolean>> = {};
  /** The smallest load (delivered updates/s) a target missed the budget at, above its capacity: the capacity lies below it. */
  const ceiling: Partial<Record<Target, number>> = {};
  for (const t of ['tickverse', 'colyseus'] as const) {
    const runs = points.map((s) => s.runs[t]).filter((r): r is TargetRun => r !== undefined);
    if (runs.length === 0) continue;
    let best = 0;
    let bestIdx = -1;
    runs.forEach((run, i) => {
      const v = withinBudget(run, budgetMs) ? run.figures.entityUpdatesDeliveredPerSec : 0;
      if (v > best) {
        best = v;
        bestIdx = i;
      }
    });
    capacity[t] = best;
    lowerBound[t] = bestIdx >= 0 && bestIdx === runs.length - 1;
    const above = runs.filter((r) => !withinBudget(r, budgetMs)).map((r) => r.figures.entityUpdatesDeliveredPerSec).filter((v) => v > best);
    ceiling[t] = above.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...above);
  }
  const bytesRatio = medianRatio(points, (f) => f.bytesPerUpdate);
  const serverCpuRatio = medianRatio(points, (f) => f.serverUsPerDeliveredUpdate);
  const clientCpuRatio = medianRatio(points, (f) => f.clientUsPerUpdate);
  let capacityRatio: number | null = null;
  let capacityRange: [number, number | null] | null = null;
  let atLeast = false;
  let capacityBar: boolean | null = null;
  const tv = capacity.tickverse;
  const cy = capacity.colyseus;
  if (tv !== undefined && cy !== undefined && (tv > 0 || cy > 0)) {
    // Each capacity lies in [best within budget, smallest load missed above it): so does their ratio.
    const low = tv / ceiling.colyseus!;
    const high = cy > 0 ? ceiling.tickverse! / cy : Number.POSITIVE_INFINITY;
    capacityRange = [round(low, 3), Number.isFinite(high) ? round(high, 3) : null];
    if (tv > 0 && cy > 0) capacityRatio = round(tv / cy, 3);
    else if (tv > 0 && low > 0) {
      capacityRatio = round(low, 3);
      atLeast = true;
    }
    capacityBar = low >= 3 ? true : high < 3 ? false : null;
  }
  const bytesBar = bytesRatio === null ? null : bytesRatio <= 1;
  const serverCpuBar = serverCpuRatio === null ? null : serverCpuRatio <= 1 / 3;
  // The capacity part of the bar is measured by the open world and the capacity sweep.
  const capacityCounts = kind === 'open' || kind === 'capacity' || (kind === 'sweep' && points[0]!.label.startsWith('clients'));
  return {
    kind,
    label: groupLabel(points),
    bytesRatio,
    serverCpuRatio,
    clientCpuRatio,
    capacity,
    capacityIsLowerBound: lowerBound,
    capacityRatio,
    capacityRatioAtLeast: atLeast,
    capacityRange,
    bytesBar,
    serverCpuBar,
    capacityBar: capacityCounts ? capacityBar : null,
  };
}

const verdictWord = (b: boolean | null): string => (b === null ? 'not decided by this run' : b ? 'met' : 'NOT met');

/** Median of one figure over a group's points for one target (null if it ran nowhere). */
function groupFigure(points: readonly ScenarioResult[], t: Target, get: (f: TargetRun['figures']) => number): number | null {
  const vs = points.map((s) => s.runs[t]?.figures).filter((f): f is TargetRun['figures'] => f !== undefined && f.entityUpdatesDeliveredPerSec > 0).map(get);
  return vs.length === 0 ? null : median(vs);
}

function groupLines(points: readonly ScenarioResult[], g: GroupVerdict, budgetMs: number): string[] {
  const num = (v: number | null, d: number): string => (v === null ? '—' : Number(v.toFixed(d)).toString());
  const pair = (get: (f: TargetRun['figures']) => number, d: number): string => `${num(groupFigure(points, 'tickverse', get), d)} vs ${num(groupFigure(points, 'colyseus', get), d)}`;
  const over = points.length > 1 ? ' (medians over the points)' : '';
  const lines = [
    `**${g.label}**${over}: bytes per entity update delivered ${pair((f) => f.bytesPerUpdate, 2)} (${fmtRatio(g.bytesRatio)}); ` +
      `server CPU per update ${pair((f) => f.serverUsPerDeliveredUpdate, 3)} µs (${fmtRatio(g.serverCpuRatio)}); ` +
      `client CPU per update ${pair((f) => f.clientUsPerUpdate, 3)} µs (${fmtRatio(g.clientCpuRatio)}).`,
  ];
  const cap = (t: Target): string => {
    const v = g.capacity[t];
    if (v === undefined) return `${NAMES[t]} did not run`;
    if (v === 0) return `${NAMES[t]} missed it at every load tried`;
    return `${NAMES[t]} ${fmtInt(v)}/s${g.capacityIsLowerBound[t] === true ? (points.length > 1 ? ' (or more: still within it at its largest load)' : ' (within it at this load)') : ''}`;
  };
  let ratio = '';
  if (g.capacityRatio !== null) ratio = `: ${g.capacityRatioAtLeast ? 'at least ' : ''}${fmtRatio(g.capacityRatio)}`;
  const range = g.capacityRange;
  if (range !== null && !g.capacityRatioAtLeast && g.capacityRatio !== null && !(g.capacityIsLowerBound.tickverse === true && g.capacityIsLowerBound.colyseus === true)) {
    ratio += ` (each capacity lies between the load it carried and the next it missed, so the ratio is between ${fmtRatio(range[0])} and ${range[1] === null ? 'unbounded' : fmtRatio(range[1])})`;
  }
  if (points.length === 1 && g.capacityIsLowerBound.tickverse === true && g.capacityIsLowerBound.colyseus === true) ratio += ' — both carried this load, so this is the offered load, not a capacity';
  lines.push(`Entity updates delivered per second within p99 ≤ ${budgetMs} ms: ${cap('tickverse')}; ${cap('colyseus')}${ratio}.`);
  return lines;
}

export function verdict(scenarios: readonly ScenarioResult[], budgetMs: number, cores = availableParallelism()): Verdict {
  const grouped = groupScenarios(scenarios);
  const groups = grouped.map((pts) => groupVerdict(pts, budgetMs));
  const lines: string[] = [];
  grouped.forEach((pts, i) => lines.push(...groupLines(pts, groups[i]!, budgetMs)));
  const all = (bs: (boolean | null)[]): boolean | null => {
    const decided = bs.filter((b): b is boolean => b !== null);
    return decided.length === 0 ? null : decided.every((b) => b);
  };
  const bytesBar = all(groups.map((g) => g.bytesBar));
  const serverCpuBar = all(groups.map((g) => g.serverCpuBar));
  const caps = groups.map((g) => g.capacityBar);
  const capacityBar = caps.includes(true) ? true : caps.includes(false) ? false : null;
  const per = (get: (g: GroupVerdict) => number | null): string =>
    groups
      .filter((g) => get(g) !== null)
      .map((g) => `${TAG[g.kind]} ${fmtRatio(get(g))}`)
      .join(', ');
  lines.push(`Bar 1, bytes per entity update delivered ≤ Colyseus's: ${verdictWord(bytesBar)}${per((g) => g.bytesRatio) === '' ? '' : ` (Tickverse ÷ Colyseus: ${per((g) => g.bytesRatio)})`}.`);
  lines.push(`Bar 2, server CPU per entity update delivered ≤ 1/3 of Colyseus's: ${verdictWord(serverCpuBar)}${per((g) => g.serverCpuRatio) === '' ? '' : ` (${per((g) => g.serverCpuRatio)})`}.`);
  const capGroups = groups.filter((g) => g.kind === 'open' || g.kind === 'capacity' || (g.kind === 'sweep' && g.label.startsWith('sweep over clients')));
  const capText = capGroups
    .filter((g) => g.capacityRatio !== null)
    .map((g) => `${TAG[g.kind]} ${g.capacityRatioAtLeast ? '≥ ' : ''}${fmtRatio(g.capacityRatio)}${g.capacityRange !== null && !g.capacityRatioAtLeast ? `, between ${fmtRatio(g.capacityRange[0])} and ${g.capacityRange[1] === null ? '∞' : fmtRatio(g.capacityRange[1])}` : ''}`)
    .join(', ');
  lines.push(`Bar 3, entity updates/s delivered within p99 ≤ ${budgetMs} ms ≥ 3× Colyseus's in (b) or (c): ${verdictWord(capacityBar)}${capText === '' ? '' : ` (${capText})`}.`);
  // CPU per simulated second, where both ran the same world: context, not the bar.
  const cpuPairs = scenarios
    .filter((s) => s.runs.tickverse !== undefined && s.runs.colyseus !== undefined)
    .map((s) => [s.runs.tickverse!.figures.cpuSecPerSimSec, s.runs.colyseus!.figures.cpuSecPerSimSec] as const)
    .filter(([a, b]) => a > 0 && b > 0);
  if (cpuPairs.length > 0) {
    const r = Math.exp(cpuPairs.reduce((acc, [a, b]) => acc + Math.log(a / b), 0) / cpuPairs.length);
    lines.push(`Server CPU per simulated second, Tickverse ÷ Colyseus: ${fmtRatio(r)}${cpuPairs.length > 1 ? ` (geometric mean of ${cpuPairs.length} points)` : ''}.`);
  }
  lines.push(...diagnose(scenarios, budgetMs, cores));
  const met = bytesBar === false || serverCpuBar === false || capacityBar === false ? false : bytesBar === true && serverCpuBar === true && capacityBar === true ? true : null;
  lines.push(`The bar (all three parts): ${verdictWord(met)}.`);
  return { budgetMs, groups, bytesBar, serverCpuBar, capacityBar, met, lines };
}

/** Least-squares slope and intercept of y over x. */
export function fit(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number } | null {
  const n = xs.length;
  if (n < 2) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** How cost grows along a sweep (or the capacity sweep, over clients): server CPU (cores busy) against the swept variable, per target. */
export function growth(all: readonly ScenarioResult[], sweepKind: SweepKind | null): string[] {
  const sweep: SweepKind = sweepKind ?? 'clients';
  const scenarios = sweepKind === null ? all.filter((s) => s.kind === 'capacity') : all;
  const lines: string[] = [];
  for (const t of ['tickverse', 'colyseus'] as const) {
    const pts = scenarios.filter((s) => s.runs[t] !== undefined && s.x !== null);
    if (pts.length < 2) continue;
    const xs = pts.map((s) => s.x!);
    const cores = pts.map((s) => s.runs[t]!.figures.serverCores);
    const line = fit(xs, cores);
    if (line === null) continue;
    const name = t === 'tickverse' ? 'Tickverse' : 'Colyseus';
    const ms = line.slope * 1000; // ms of CPU per wall second per unit
    const entities = pts[0]!.params.entities;
    if (sweep === 'realms') {
      lines.push(
        `${name}: each extra realm of ${entities} entities costs ${ms.toFixed(3)} ms of server CPU per second (${((ms * 1000) / entities).toFixed(2)} µs per entity per second; fixed part ${line.intercept.toFixed(3)} cores).`,
      );
    } else if (sweep === 'clients') {
      const upd = fit(xs, pts.map((s) => s.runs[t]!.figures.entityUpdatesDeliveredPerSec));
      const perUpdate = upd !== null && upd.slope > 0 ? ` (${((line.slope / upd.slope) * 1e6).toFixed(2)} µs per delivered entity update)` : '';
      lines.push(`${name}: each extra client costs ${ms.toFixed(3)} ms of server CPU per second${perUpdate}; fixed part ${line.intercept.toFixed(3)} cores.`);
    } else {
      const ct = pts.map((s) => s.runs[t]!.figures.controlTickMs?.p99 ?? null);
      const detail = ct.every((v) => v !== null) ? `; control tick p99 ${pts.map((s, i) => `${s.x}: ${ct[i]} ms`).join(', ')}` : '';
      lines.push(`${name}: server CPU by shards ${pts.map((s) => `${s.x}: ${s.runs[t]!.figures.serverCores} cores`).join(', ')}${detail}.`);
    }
  }
  return lines;
}
