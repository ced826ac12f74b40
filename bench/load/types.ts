// Shapes shared by the load harness, its server and client child processes, and the report.
// Every message between processes is one of the IPC unions below, keyed on `type`.
import type { Summary } from '../stats.js';

export const TARGETS = ['tickverse', 'colyseus'] as const;
export type Target = (typeof TARGETS)[number];

export const SWEEPS = ['realms', 'shards', 'clients'] as const;
export type SweepKind = (typeof SWEEPS)[number];

/**
 * The scenarios of one run: `realms` (a) R realms × E entities, whole-realm streams;
 * `open` (b) one open-world realm whose clients each follow the cells around a focus point;
 * `capacity` (c) clients raised on a world until a server misses the latency budget.
 */
export const SCENARIOS = ['realms', 'open', 'capacity'] as const;
export type ScenarioKind = (typeof SCENARIOS)[number];

/** `realms`: whole-realm streams, client i joins realm i mod R; `open`: one realm with area-of-interest cells. */
export const LAYOUTS = ['realms', 'open'] as const;
export type Layout = (typeof LAYOUTS)[number];

/** The world both servers simulate: R realms (rooms) of E entities ticking at tickHz. */
export interface World {
  layout: Layout;
  realms: number;
  entities: number;
  /** Area-of-interest cell size in world units (open layout); 0 = whole-realm streams. */
  cell: number;
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

/** What one client joins: a realm (Colyseus: room), and in an open world the point it focuses on. */
export interface ClientJoin {
  realm: string;
  focus: [number, number] | null;
}

export interface ClientSlice {
  target: Target;
  url: string;
  /** One join per client of this process. */
  joins: ClientJoin[];
  /** Connections opened at once while connecting. */
  concurrency: number;
  /** Joins not done this long after the first one started count as failed (an overloaded server). */
  joinTimeoutMs: number;
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
  /** Target-specific figures for the notes (Colyseus: broadcastPatch ms per tick, view adds/removes per second). */
  extra: Record<string, number>;
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
  /** Frames the stream sequence numbers say were sent in the window (last − first + 1 per stream). */
  expectedFrames: number;
  /**
   * Entity records applied from delta frames: spawns (an entity entering the client's view:
   * Tickverse `spawn` records, Colyseus entity adds) and updates (Tickverse `update` records,
   * Colyseus entity onChange callbacks). Keyframe records are counted apart.
   */
  spawns: number;
  updates: number;
  keyEntities: number;
  /** WebSocket message payloads received, bytes, and messages. */
  bytes: number;
  messages: number;
  gaps: number;
  /** Frames ignored while a stream waited for its keyframe (after a gap or a new cell). */
  waiting: number;
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
  /** Spawn + update records applied by the clients from delta frames, per second. */
  entityUpdatesDeliveredPerSec: number;
  /** Entity updates delivered per second when the run met the latency budget (and the other checks), else 0. */
  updatesWithinBudgetPerSec: number;
  bytesPerSec: number;
  /** Bytes received by the clients (every message, keyframes included) ÷ entity updates delivered. */
  bytesPerUpdate: number;
  /** WebSocket messages received by the clients per second. */
  messagesPerSec: number;
  /** Stream gaps the clients detected (a lost frame), per second. */
  gapsPerSec: number;
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
  /** Clients that joined ÷ clients asked for (below 1: the server could not take them all in time). */
  joinedRatio: number;
  /** Server CPU per entity update delivered to a client, µs (server cores ÷ delivered updates/s). */
  serverUsPerDeliveredUpdate: number;
  /** Client processes' CPU per entity update delivered, µs. */
  clientUsPerUpdate: number;
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
  /** Client-observed p99 budget, ms (a run within it counts toward capacity). */
  budgetMs: number;
  clients: number;
  seconds: number;
  warmup: number;
  clientProcs: number;
  /** Connections each client process opens at once while joining. */
  concurrency: number;
  /** Seconds the clients have to join; the run measures whoever joined by then. */
  joinTimeout: number;
}

export interface ScenarioResult {
  /** Which scenario of the run this point belongs to; `sweep` for a custom `--sweep`. */
  kind: ScenarioKind | 'sweep';
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

/** The comparison within one scenario: its one point, or a sweep's points. */
export interface GroupVerdict {
  kind: ScenarioKind | 'sweep';
  label: string;
  /** Tickverse ÷ Colyseus per delivered entity update (median over the points where both delivered): bytes, server CPU, client CPU. */
  bytesRatio: number | null;
  serverCpuRatio: number | null;
  clientCpuRatio: number | null;
  /** Highest entity updates/s delivered within the budget, per target (0 = missed it at every load tried). */
  capacity: Partial<Record<Target, number>>;
  /** The target still met the budget at the largest load it was given: its capacity is a lower bound. */
  capacityIsLowerBound: Partial<Record<Target, boolean>>;
  /** Tickverse ÷ Colyseus of the capacities; null when the run cannot size it. */
  capacityRatio: number | null;
  /** The ratio is "at least" (Colyseus missed at its smallest load, or Tickverse never missed). */
  capacityRatioAtLeast: boolean;
  /** Bounds on the ratio from the loads carried and missed: [low, high] (high null = unbounded); the capacity part is met when low ≥ 3. */
  capacityRange: [number, number | null] | null;
  /** This scenario's part of the bar: true met, false not met, null not decided (or not measured here). */
  bytesBar: boolean | null;
  serverCpuBar: boolean | null;
  capacityBar: boolean | null;
}

export interface Verdict {
  /** Latency budget the comparison holds both to (client-observed p99, ms). */
  budgetMs: number;
  groups: GroupVerdict[];
  /** The bar, part by part: true met, false not met, null not decided by this run. */
  bytesBar: boolean | null;
  serverCpuBar: boolean | null;
  capacityBar: boolean | null;
  met: boolean | null;
  lines: string[];
}

export interface LoadReport {
  kind: 'tickverse-load-report';
  /** 2: scenarios (realms, open world, capacity), per-update figures, the three-part bar. */
  version: 2;
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
