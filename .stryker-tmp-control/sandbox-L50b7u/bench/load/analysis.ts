// @ts-nocheck
// From options to scenarios, and from results to conclusions: the plan (which scenarios, in
// which order the targets alternate), ratios per figure, the verdict against the issue's
// bar, and how cost grows along a sweep.
import { availableParallelism } from 'node:os';
import { round } from '../stats.js';
import { SWEEP_POINTS, type LoadOptions } from './args.js';
import { FIGURES, fmtRatio } from './figures.js';
import type { ScenarioParams, ScenarioResult, SweepKind, Target, TargetRun, Verdict } from './types.js';

export interface PlannedScenario {
  label: string;
  x: number | null;
  params: ScenarioParams;
  /** Targets in the order they run at this point (A B, then B A at the next point). */
  order: Target[];
}

export function plan(o: LoadOptions): PlannedScenario[] {
  const base: ScenarioParams = {
    realms: o.realms,
    entities: o.entities,
    clients: o.clients,
    shards: o.shards,
    seconds: o.seconds,
    warmup: o.warmup,
    clientProcs: o.clientProcs,
    tickHz: o.tickHz,
    ticksPerControl: o.ticksPerControl,
    emitEvery: o.emitEvery,
    concurrency: o.concurrency,
  };
  const targets = [...o.targets];
  if (o.sweep === null) return [{ label: describe(base), x: null, params: base, order: targets }];
  const sweep: SweepKind = o.sweep;
  const points = o.points ?? SWEEP_POINTS[sweep];
  return points.map((x, i) => {
    const params: ScenarioParams = { ...base, [sweep]: x };
    let order = i % 2 === 0 ? targets : [...targets].reverse();
    // Colyseus has no shards: its one baseline run sits at the first point of a shard sweep.
    if (sweep === 'shards' && i > 0) order = order.filter((t) => t !== 'colyseus');
    return { label: `${sweep} = ${x.toLocaleString('en-US')}`, x, params, order };
  });
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
  return `${p.realms.toLocaleString('en-US')} realms × ${p.entities} entities, ${p.clients.toLocaleString('en-US')} clients, ${p.shards} shards`;
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
  const f = run.figures;
  return f.latencyMs.n > 0 && f.latencyMs.p99 <= budgetMs && f.deliveredRatio >= 0.95 && f.disconnects === 0 && f.simSecondsPerSec >= 0.9;
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

/** Server-side headroom, as a projection: delivered updates ÷ main-thread CPU, Tickverse ÷ Colyseus (median over points). */
function projection(scenarios: readonly ScenarioResult[]): string | null {
  const pairs = scenarios
    .map((s) => [s.runs.tickverse?.figures.mainThreadCeiling ?? null, s.runs.colyseus?.figures.mainThreadCeiling ?? null] as const)
    .filter((p): p is readonly [number, number] => p[0] !== null && p[1] !== null && p[1] > 0);
  if (pairs.length === 0) return null;
  const ratios = pairs.map(([a, b]) => a / b).sort((a, b) => a - b);
  const mid = ratios[Math.floor(ratios.length / 2)]!;
  return (
    `Projection, not a measurement: per unit of main-thread CPU (the thread that writes to the sockets) Tickverse delivered ${fmtRatio(mid)} the entity updates Colyseus did` +
    `${pairs.length > 1 ? ` (median over ${pairs.length} points)` : ''}; Tickverse's shards and Colyseus's lack of them are not in this figure.`
  );
}

export function verdict(scenarios: readonly ScenarioResult[], budgetMs: number, sweep: SweepKind | null, cores = availableParallelism()): Verdict {
  const targets: Target[] = ['tickverse', 'colyseus'];
  const capacity: Partial<Record<Target, number>> = {};
  const lowerBound: Partial<Record<Target, boolean>> = {};
  const lines: string[] = [];
  for (const t of targets) {
    const runs = scenarios.map((s) => s.runs[t]).filter((r): r is TargetRun => r !== undefined);
    if (runs.length === 0) continue;
    const ok = scenarios.filter((s) => s.runs[t] !== undefined && withinBudget(s.runs[t], budgetMs));
    let best = 0;
    let bestIdx = -1;
    for (const s of ok) {
      const v = s.runs[t]!.figures.entityUpdatesDeliveredPerSec;
      if (v > best) {
        best = v;
        bestIdx = scenarios.indexOf(s);
      }
    }
    capacity[t] = best;
    const lastWithRun = scenarios.map((s, i) => (s.runs[t] === undefined ? -1 : i)).reduce((a, b) => Math.max(a, b), -1);
    lowerBound[t] = bestIdx >= 0 && bestIdx === lastWithRun;
  }
  const both = scenarios.filter((s) => s.runs.tickverse !== undefined && s.runs.colyseus !== undefined);
  const tv = capacity.tickverse;
  const cy = capacity.colyseus;
  let capacityRatio: number | null = null;
  let meetsUpdatesBar: boolean | null = null;
  const worldSweep = sweep === 'realms' || sweep === 'shards';
  if (tv !== undefined && cy !== undefined && !worldSweep) {
    const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
    if (cy > 0) capacityRatio = round(tv / cy, 3);
    const single = scenarios.length === 1;
    if (tv > 0 && cy > 0) {
      const lbT = lowerBound.tickverse === true ? ' (or more: it met the budget at the largest load tried)' : '';
      const lbC = lowerBound.colyseus === true ? ' (or more: it met the budget at the largest load tried)' : '';
      lines.push(`Within a client-observed p99 of ${budgetMs} ms, Tickverse delivered ${fmt(tv)} entity updates/s${lbT}; Colyseus ${fmt(cy)}/s${lbC}: ${fmtRatio(capacityRatio)}.`);
      if (single || (lowerBound.tickverse === true && lowerBound.colyseus === true)) {
        lines.push(
          single
            ? 'Both met the budget at this load, so this is the same offered load, not a capacity: raise the load (e.g. `--sweep clients` or more realms/entities) until one of them misses it.'
            : 'Both still met the budget at the largest load tried, so these are the same offered load, not capacities: add larger points until one of them misses it.',
        );
        meetsUpdatesBar = null;
      } else {
        meetsUpdatesBar = capacityRatio !== null && capacityRatio >= 3 && lowerBound.colyseus !== true;
      }
    } else if (tv > 0 && cy === 0) {
      // Colyseus's capacity is below the smallest load it was given: that bounds the ratio from below.
      const cyRuns = scenarios.map((s) => s.runs.colyseus?.figures.entityUpdatesDeliveredPerSec).filter((v): v is number => v !== undefined && v > 0);
      const floor = cyRuns.length === 0 ? 0 : Math.min(...cyRuns);
      const atLeast = floor > 0 ? tv / floor : null;
      lines.push(
        `Colyseus missed the p99 budget of ${budgetMs} ms at every load tried (down to ${fmt(floor)} entity updates/s); Tickverse delivered up to ${fmt(tv)} entity updates/s within it${atLeast === null ? '' : `: more than ${fmtRatio(atLeast)}`}.`,
      );
      meetsUpdatesBar = !single && atLeast !== null && atLeast >= 3 ? true : null;
      if (meetsUpdatesBar === null) lines.push('That does not size the ratio: a sweep with smaller loads shows where Colyseus meets the budget.');
    } else if (tv === 0 && cy > 0) {
      lines.push(`Tickverse missed the p99 budget of ${budgetMs} ms at every load tried; Colyseus delivered up to ${fmt(cy)} entity updates/s within it.`);
      meetsUpdatesBar = false;
    } else {
      lines.push(`Neither met the p99 budget of ${budgetMs} ms at any load tried.`);
    }
  }
  if (worldSweep) lines.push(`This sweep changes the world, not the client load: the delivered-updates part of the bar is decided by \`--sweep clients\`.`);
  // CPU per simulated second, where both ran the same world.
  let cpuRatio: number | null = null;
  let meetsCpuBar: boolean | null = null;
  const cpuPairs = both.map((s) => [s.runs.tickverse!.figures.cpuSecPerSimSec, s.runs.colyseus!.figures.cpuSecPerSimSec] as const).filter(([a, b]) => a > 0 && b > 0);
  if (cpuPairs.length > 0) {
    cpuRatio = round(Math.exp(cpuPairs.reduce((acc, [a, b]) => acc + Math.log(a / b), 0) / cpuPairs.length), 3);
    const wins = cpuPairs.filter(([a, b]) => a < b).length;
    meetsCpuBar = wins === cpuPairs.length;
    lines.push(
      `Server CPU per simulated second, Tickverse ÷ Colyseus: ${fmtRatio(cpuRatio)}${cpuPairs.length > 1 ? ` (geometric mean of ${cpuPairs.length} points; Tickverse lower at ${wins})` : ''} — ${meetsCpuBar ? 'Tickverse uses less' : 'Tickverse does not use less everywhere'}.`,
    );
  }
  if (sweep === 'shards') lines.push('Colyseus has no shards: it ran once, at the first point, as the baseline.');
  lines.push(...diagnose(scenarios, budgetMs, cores));
  const proj = projection(scenarios);
  if (proj !== null) lines.push(proj);
  const bar =
    meetsUpdatesBar === null
      ? 'not decided by this run'
      : meetsUpdatesBar && meetsCpuBar === true
        ? 'met'
        : 'NOT met';
  lines.push(`The bar (≥ 3× entity updates/s delivered at equal p99, and less CPU per simulated second): ${bar}.`);
  return { budgetMs, capacity, capacityRatio, capacityIsLowerBound: lowerBound, cpuRatio, meetsUpdatesBar, meetsCpuBar, lines };
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

/** How cost grows along a sweep: server CPU (cores busy) against the swept variable, per target. */
export function growth(scenarios: readonly ScenarioResult[], sweep: SweepKind | null): string[] {
  if (sweep === null) return [];
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
