// The figures of a run, named once: label, unit, which way is better, and how to read each
// from a run. The report's tables, the ratios and the chart all walk this list.
import type { Figures } from './types.js';

export interface FigureDef {
  key: string;
  label: string;
  unit: string;
  /** 'higher' / 'lower' is better; 'info' = context, not a score. */
  better: 'higher' | 'lower' | 'info';
  get(f: Figures): number | null;
  /** Shown in the single-scenario chart. */
  chart?: boolean;
  digits?: number;
}

/** Whether a run's figures count toward capacity: every client joined, p99 within the budget, the whole stream delivered, no client dropped, real time kept. */
export function meetsBudget(f: Figures, budgetMs: number): boolean {
  return f.latencyMs.n > 0 && f.latencyMs.p99 <= budgetMs && f.deliveredRatio >= 0.95 && f.disconnects === 0 && f.simSecondsPerSec >= 0.9 && (f.joinedRatio ?? 1) >= 1;
}

export const FIGURES: readonly FigureDef[] = [
  { key: 'entityUpdatesDeliveredPerSec', label: 'Entity updates delivered to clients', unit: '/s', better: 'higher', get: (f) => f.entityUpdatesDeliveredPerSec, chart: true },
  { key: 'updatesWithinBudgetPerSec', label: 'Entity updates delivered within the p99 budget', unit: '/s', better: 'higher', get: (f) => f.updatesWithinBudgetPerSec },
  { key: 'bytesPerUpdate', label: 'Bytes per entity update delivered', unit: 'B', better: 'lower', get: (f) => f.bytesPerUpdate, chart: true, digits: 2 },
  { key: 'serverUsPerDeliveredUpdate', label: 'Server CPU per entity update delivered', unit: 'µs', better: 'lower', get: (f) => f.serverUsPerDeliveredUpdate, chart: true, digits: 3 },
  { key: 'clientUsPerUpdate', label: 'Client CPU per entity update delivered', unit: 'µs', better: 'lower', get: (f) => f.clientUsPerUpdate, chart: true, digits: 3 },
  { key: 'framesPerSec', label: 'State frames delivered', unit: '/s', better: 'higher', get: (f) => f.framesPerSec },
  { key: 'messagesPerSec', label: 'WebSocket messages received', unit: '/s', better: 'info', get: (f) => f.messagesPerSec },
  { key: 'deliveredRatio', label: 'Frames delivered ÷ frames streamed', unit: '', better: 'higher', get: (f) => f.deliveredRatio, digits: 3 },
  { key: 'latencyP50', label: 'Client-observed latency p50', unit: 'ms', better: 'lower', get: (f) => f.latencyMs.p50, chart: true },
  { key: 'latencyP99', label: 'Client-observed latency p99', unit: 'ms', better: 'lower', get: (f) => f.latencyMs.p99, chart: true },
  { key: 'latencyMax', label: 'Client-observed latency max', unit: 'ms', better: 'lower', get: (f) => f.latencyMs.max },
  { key: 'cpuSecPerSimSec', label: 'Server CPU seconds per simulated second', unit: 's', better: 'lower', get: (f) => f.cpuSecPerSimSec, digits: 3 },
  { key: 'mainThreadCores', label: 'Server main-thread CPU (cores busy)', unit: '', better: 'lower', get: (f) => f.mainThreadCores, digits: 3 },
  { key: 'mainThreadCeiling', label: 'Projection: entity updates/s with the main thread 100% busy', unit: '/s', better: 'higher', get: (f) => f.mainThreadCeiling },
  { key: 'serverCores', label: 'Server CPU (cores busy)', unit: '', better: 'lower', get: (f) => f.serverCores, digits: 3 },
  { key: 'peakRssMiB', label: 'Server peak memory (RSS high-water)', unit: 'MiB', better: 'lower', get: (f) => f.peakRssMiB },
  { key: 'bytesPerSec', label: 'Bytes received by clients', unit: 'B/s', better: 'info', get: (f) => f.bytesPerSec },
  { key: 'localTicksPerSec', label: 'Local ticks (realm steps)', unit: '/s', better: 'info', get: (f) => f.localTicksPerSec },
  { key: 'entityUpdatesPerSec', label: 'Entity updates simulated', unit: '/s', better: 'info', get: (f) => f.entityUpdatesPerSec },
  { key: 'simSecondsPerSec', label: 'Simulated seconds per wall second', unit: '', better: 'higher', get: (f) => f.simSecondsPerSec, digits: 3 },
  { key: 'crossRealmEventsPerSec', label: 'Cross-realm events', unit: '/s', better: 'info', get: (f) => f.crossRealmEventsPerSec },
  { key: 'controlTickP50', label: 'Control tick p50', unit: 'ms', better: 'lower', get: (f) => f.controlTickMs?.p50 ?? null, digits: 3 },
  { key: 'controlTickP99', label: 'Control tick p99', unit: 'ms', better: 'lower', get: (f) => f.controlTickMs?.p99 ?? null, digits: 3 },
  { key: 'controlTickMax', label: 'Control tick max', unit: 'ms', better: 'lower', get: (f) => f.controlTickMs?.max ?? null, digits: 3 },
  { key: 'barrierP50', label: 'Barrier part p50', unit: 'ms', better: 'lower', get: (f) => f.barrierMs?.p50 ?? null, digits: 3 },
  { key: 'barrierP99', label: 'Barrier part p99', unit: 'ms', better: 'lower', get: (f) => f.barrierMs?.p99 ?? null, digits: 3 },
  { key: 'eventLoopDelayP99Ms', label: 'Server main-thread event-loop delay p99', unit: 'ms', better: 'lower', get: (f) => f.eventLoopDelayP99Ms, digits: 2 },
  { key: 'clientCores', label: 'Client processes CPU (cores busy)', unit: '', better: 'info', get: (f) => f.clientCores, digits: 3 },
  { key: 'gapsPerSec', label: 'Stream gaps detected by clients', unit: '/s', better: 'lower', get: (f) => f.gapsPerSec, digits: 2 },
  { key: 'otherCores', label: 'Other processes on the machine (cores busy)', unit: '', better: 'info', get: (f) => f.otherCores, digits: 2 },
  { key: 'framesDropped', label: 'Frames skipped for slow clients', unit: '', better: 'info', get: (f) => f.framesDropped },
  { key: 'joinedRatio', label: 'Clients joined ÷ clients asked for', unit: '', better: 'higher', get: (f) => f.joinedRatio, digits: 3 },
  { key: 'disconnects', label: 'Clients disconnected', unit: '', better: 'lower', get: (f) => f.disconnects },
];

export function figure(key: string): FigureDef {
  const d = FIGURES.find((f) => f.key === key);
  if (d === undefined) throw new Error(`unknown figure ${key}`);
  return d;
}

/** A figure value for tables: thousands separators for big numbers, fixed digits for small ones. */
export function fmtValue(v: number | null, digits = 0): string {
  if (v === null) return '—';
  if (Math.abs(v) >= 1000 || digits === 0) return Math.round(v).toLocaleString('en-US');
  return Number(v.toFixed(digits)).toString();
}

export function fmtRatio(r: number | null): string {
  if (r === null) return '—';
  if (r >= 100) return `${Math.round(r)}×`;
  if (r >= 10) return `${r.toFixed(1)}×`;
  return `${r.toFixed(2)}×`;
}
