// @ts-nocheck
// Shapes shared by the load harness, its server and client child processes, and the report.
// Every message between processes is one of the IPC unions below, keyed on `type`.
import type { Summary } from '../stats.js';

export const TARGETS = ['tickverse', 'colyseus'] as const;
export type Target = (typeof TARGETS)[number];

export const SWEEPS = ['realms', 'shards', 'clients'] as const;
export type SweepKind = (typeof SWEEPS)[number];

/** The world both servers simulate: R realms (rooms) of E entities ticking at tickHz. */
export interface World {
  realms: number;
  entities: number;
  /** Tickverse shard threads (Colyseus runs every room on its one thread). */
  shards: number;
  tickHz: number;
  /** Tickverse local ticks per control tick. */
  ticksPerControl: number;
  /** Each realm sends its neighbour one cross-realm event every this many local ticks (0 = none). */
  emitEvery: number;
}

export interface ServerConfig extends World {
  target: Target;
}

export interface ClientSlice {
  target: Target;
  url: string;
  /** One realm id per client of this process. */
  realms: string[];
  /** Connections opened at once while connecting. */
  concurrency: number;
}

// ---- server process ----

/**
 * The measurement window is scheduled, not signalled: `window` carries its wall-clock start and
 * end (Date.now() ms) ahead of time, so a process too busy to read its IPC channel promptly still
 * counts exactly the frames it received between the two instants. `report` asks for the result.
 */
export interface WindowSpec {
  startAt: number;
  endAt: number;
}

export type ToServer = ({ type: 'window' } & WindowSpec) | { type: 'report' } | { type: 'shutdown' };

export type FromServer =
  | { type: 'ready'; url: string; port: number; setupMs: number }
  | { type: 'window'; window: ServerWindow }
  | { type: 'fatal'; message: string };

export interface ServerWindow {
  wallMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  /** CPU time of the main thread alone (Tickverse: gateway + routing; Colyseus: everything but GC/libuv helpers), ms; null off Linux. */
  mainThreadCpuMs: number | null;
  /** Local ticks (realm steps) per second and simulated entity updates per second. */
  localTicksPerSec: number;
  entityUpdatesPerSec: number;
  crossRealmEventsPerSec: number;
  /** Per control tick (Tickverse only): close cost and its barrier part, ms. */
  controlTickMs: number[] | null;
  barrierMs: number[] | null;
  /** Main-thread event-loop delay, ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** RSS high-water mark (VmHWM) of the server process since it started, and RSS now, bytes. */
  peakRssBytes: number;
  rssBytes: number;
  /** Server-side stream counters over the window (Tickverse gateway stats; Colyseus patches broadcast). */
  framesPublished: number;
  framesSent: number;
  framesDropped: number;
  slowClientCloses: number;
}

// ---- client processes ----

export type ToClient = { type: 'connect'; slice: ClientSlice } | ({ type: 'window' } & WindowSpec) | { type: 'report' } | { type: 'close' };

export type FromClient =
  | { type: 'progress'; connected: number; failed: number }
  | { type: 'connected'; connected: number; failed: number; retries: number; errors: string[] }
  | { type: 'window'; window: ClientWindow }
  | { type: 'fatal'; message: string };

export interface ClientWindow {
  clients: number;
  /** Connections still open at the end of the window. */
  open: number;
  wallMs: number;
  frames: number;
  keyframes: number;
  /** Entity records in delta frames (Colyseus: entity onChange callbacks) and in keyframes. */
  deltaEntities: number;
  keyEntities: number;
  bytes: number;
  gaps: number;
  disconnects: number;
  /** Latency histogram: [ms, count] pairs. */
  latency: [number, number][];
  cpuUserMs: number;
  cpuSystemMs: number;
}

// ---- results ----

export interface Figures {
  /** Tickverse only (null for Colyseus, which has no control tick). */
  controlTickMs: Summary | null;
  barrierMs: Summary | null;
  localTicksPerSec: number;
  entityUpdatesPerSec: number;
  crossRealmEventsPerSec: number;
  framesPerSec: number;
  entityUpdatesDeliveredPerSec: number;
  bytesPerSec: number;
  latencyMs: Summary;
  /** Frames received ÷ frames the server streamed to them (clients × the realms' actual tick rate × seconds). */
  deliveredRatio: number;
  simSecondsPerSec: number;
  cpuSecPerSimSec: number;
  /** Server process CPU in cores (1 = one core busy). */
  serverCores: number;
  clientCores: number;
  peakRssMiB: number;
  eventLoopDelayP99Ms: number;
  framesDropped: number;
  disconnects: number;
  /** CPU used by everything else on the machine during the window (other processes), cores; null off Linux. */
  otherCores: number | null;
  /** Main-thread CPU of the server, cores; null off Linux. */
  mainThreadCores: number | null;
  /** Projection: entity updates/s delivered if the main thread were 100% busy (delivered ÷ main-thread cores). */
  mainThreadCeiling: number | null;
  /** Server CPU per entity update delivered to a client, µs (server cores ÷ delivered updates/s). */
  serverUsPerDeliveredUpdate: number;
}

export interface TargetRun {
  target: Target;
  /** 1 = ran first in its scenario, 2 = second (in the first round). */
  order: number;
  /** Rounds this run combines (figures are medians over them); each round's figures in `perRound` when > 1. */
  rounds: number;
  perRound?: Figures[];
  connected: number;
  connectFailed: number;
  /** Joins that failed once and succeeded when tried again. */
  connectRetries: number;
  setupMs: number;
  figures: Figures;
  notes: string[];
}

export interface ScenarioParams extends World {
  clients: number;
  seconds: number;
  warmup: number;
  clientProcs: number;
  /** Connections each client process opens at once while joining. */
  concurrency: number;
}

export interface ScenarioResult {
  label: string;
  /** The swept variable's value at this point (null for a single scenario). */
  x: number | null;
  params: ScenarioParams;
  runs: Partial<Record<Target, TargetRun>>;
  /** tickverse ÷ colyseus per figure, when both ran. */
  ratios: Record<string, number | null>;
}

export interface Machine {
  cores: number;
  cpu: string;
  memGiB: number;
  node: string;
  platform: string;
}

export interface Verdict {
  /** Latency budget the comparison holds both to (client-observed p99, ms). */
  budgetMs: number;
  /** Highest entity updates/s delivered within the budget, per target, and their ratio. */
  capacity: Partial<Record<Target, number>>;
  capacityRatio: number | null;
  /** Whether the highest point tried was still within budget (the capacity is then a lower bound). */
  capacityIsLowerBound: Partial<Record<Target, boolean>>;
  cpuRatio: number | null;
  meetsUpdatesBar: boolean | null;
  meetsCpuBar: boolean | null;
  lines: string[];
}

export interface LoadReport {
  kind: 'tickverse-load-report';
  version: 1;
  name: string;
  date: string;
  command: string;
  machine: Machine;
  versions: Record<string, string>;
  sweep: SweepKind | null;
  targets: Target[];
  rounds: number;
  scenarios: ScenarioResult[];
  verdict: Verdict;
  growth: string[];
}
