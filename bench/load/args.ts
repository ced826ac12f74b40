// Command-line flags of `npm run bench:load`: parsed and checked once; each error names the
// flag and the value received. The result is frozen and trusted by the rest of the harness.
import { availableParallelism } from 'node:os';
import { LAYOUTS, SCENARIOS, SWEEPS, TARGETS, type Layout, type ScenarioKind, type SweepKind, type Target } from './types.js';

export interface LoadOptions {
  /** Scenarios of the run, in order (ignored with --sweep, which runs that sweep alone). */
  readonly scenarios: readonly ScenarioKind[];
  readonly quick: boolean;
  readonly realms: number;
  readonly entities: number;
  readonly clients: number;
  /** The open world (scenario b and the capacity sweep's default world): entities, clients, entities each client follows. */
  readonly openEntities: number;
  readonly openClients: number;
  readonly interest: number;
  /** Cell size in world units; 0 = from --interest. */
  readonly cell: number;
  /** The world the capacity sweep raises clients on, its points (clients) and its seconds per point. */
  readonly capacityWorld: Layout;
  readonly capacityPoints: readonly number[];
  readonly capacitySeconds: number;
  readonly shards: number;
  readonly seconds: number;
  readonly warmup: number;
  readonly targets: readonly Target[];
  readonly name: string;
  readonly sweep: SweepKind | null;
  /** Values of the swept variable (null = the sweep's default points). */
  readonly points: readonly number[] | null;
  readonly clientProcs: number;
  readonly tickHz: number;
  readonly ticksPerControl: number;
  readonly emitEvery: number;
  readonly budgetMs: number;
  readonly concurrency: number;
  /** Seconds the clients of a run have to join; the run measures whoever joined. */
  readonly joinTimeout: number;
  /** A B rounds per scenario (alternating order); figures are medians over rounds. */
  readonly rounds: number;
  /** Rerun a target's run up to this many times when other processes disturbed its window. */
  readonly retryNoisy: number;
  /** Before each run, wait up to this many seconds for the machine to be idle (other work under 0.3 cores). */
  readonly waitQuiet: number;
  /** Directory the report files go to. */
  readonly out: string;
  readonly help: boolean;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly flag: string,
  ) {
    super(message);
  }
}

/** Default points of each sweep (the issue's ranges). */
export const SWEEP_POINTS: Readonly<Record<SweepKind, readonly number[]>> = Object.freeze({
  realms: [10, 100, 1000, 10000],
  shards: [1, 2, 4, 8],
  clients: [100, 500, 1000, 2500, 5000],
});

export const DEFAULT_RESULTS_DIR = 'bench/results';

/** Clients of the capacity sweep, raised until a server misses the budget. */
export const CAPACITY_POINTS: readonly number[] = Object.freeze([100, 250, 500, 1000, 2000, 4000]);

/** `--quick`: every scenario, small, finishing in under two minutes (flags given still win). */
export const QUICK = Object.freeze({
  realms: 10,
  entities: 100,
  clients: 100,
  openClients: 150,
  capacityPoints: Object.freeze([100, 300]),
  seconds: 2.5,
  capacitySeconds: 2.5,
  warmup: 0.5,
});

interface IntSpec {
  kind: 'int';
  min: number;
  max: number;
}
interface NumSpec {
  kind: 'num';
  min: number;
  max: number;
}
type Spec =
  | IntSpec
  | NumSpec
  | { kind: 'target' }
  | { kind: 'sweep' }
  | { kind: 'scenarios' }
  | { kind: 'layout' }
  | { kind: 'name' }
  | { kind: 'points' }
  | { kind: 'path' }
  | { kind: 'bool' };

const FLAGS: Readonly<Record<string, { key: keyof LoadOptions; spec: Spec; help: string }>> = {
  scenarios: { key: 'scenarios', spec: { kind: 'scenarios' }, help: `comma-separated, run in this order: ${SCENARIOS.join(', ')} (default all: (a) realms, (b) open world, (c) capacity sweep)` },
  quick: { key: 'quick', spec: { kind: 'bool' }, help: `small variants of every scenario, under 2 minutes (${QUICK.realms} realms, ${QUICK.clients}/${QUICK.openClients} clients, capacity ${QUICK.capacityPoints.join(',')}, ${QUICK.seconds} s); report load-quick` },
  realms: { key: 'realms', spec: { kind: 'int', min: 1, max: 100_000 }, help: 'realms (Colyseus: rooms), default 100' },
  entities: { key: 'entities', spec: { kind: 'int', min: 1, max: 10_000 }, help: 'entities per realm, default 100' },
  clients: { key: 'clients', spec: { kind: 'int', min: 0, max: 20_000 }, help: 'WebSocket clients; client i joins realm i mod R, default 1000' },
  'open-entities': { key: 'openEntities', spec: { kind: 'int', min: 1, max: 100_000 }, help: 'entities of the open-world realm (scenario b, capacity), default 10000' },
  'open-clients': { key: 'openClients', spec: { kind: 'int', min: 0, max: 20_000 }, help: 'clients of the open world (scenario b), each focused on a seeded point, default 1000' },
  interest: { key: 'interest', spec: { kind: 'int', min: 1, max: 100_000 }, help: 'entities a client of the open world follows (sets the cell size: the 2 × 2 cells a client follows hold about this many), default 100' },
  cell: { key: 'cell', spec: { kind: 'num', min: 0, max: 1000 }, help: 'open-world cell size in world units instead of the one --interest gives (0 = from --interest)' },
  'capacity-world': { key: 'capacityWorld', spec: { kind: 'layout' }, help: 'the world the capacity sweep raises clients on: open (one realm, --open-entities) or realms (--realms × --entities), default open' },
  'capacity-seconds': { key: 'capacitySeconds', spec: { kind: 'num', min: 1, max: 3600 }, help: 'measured seconds per target at each capacity point, default 10' },
  shards: { key: 'shards', spec: { kind: 'int', min: 1, max: 64 }, help: `Tickverse shard threads, default the core count (${availableParallelism()})` },
  seconds: { key: 'seconds', spec: { kind: 'num', min: 1, max: 3600 }, help: 'measured seconds per target, default 20' },
  warmup: { key: 'warmup', spec: { kind: 'num', min: 0, max: 600 }, help: 'seconds between the last client joining and the measurement, default 3' },
  target: { key: 'targets', spec: { kind: 'target' }, help: 'tickverse | colyseus | both (alternating in one run), default both' },
  name: { key: 'name', spec: { kind: 'name' }, help: 'report name: bench/results/<name>.{json,md,svg}; default load-latest, or load-sweep-<kind>' },
  sweep: { key: 'sweep', spec: { kind: 'sweep' }, help: `realms | shards | clients: run the scenario at several values (${SWEEPS.map((s) => `${s} ${SWEEP_POINTS[s].join('→')}`).join('; ')})` },
  points: { key: 'points', spec: { kind: 'points' }, help: `comma-separated values for --sweep, or clients for the capacity sweep (default ${CAPACITY_POINTS.join(',')}), e.g. 100,1000` },
  'client-procs': { key: 'clientProcs', spec: { kind: 'int', min: 1, max: 32 }, help: 'client driver processes the clients are split over, default 2' },
  'tick-hz': { key: 'tickHz', spec: { kind: 'num', min: 1, max: 100 }, help: 'local ticks per second in both servers, default 10' },
  'ticks-per-control': { key: 'ticksPerControl', spec: { kind: 'int', min: 1, max: 1000 }, help: 'Tickverse local ticks per control tick, default 10' },
  'emit-every': { key: 'emitEvery', spec: { kind: 'int', min: 0, max: 100_000 }, help: 'a cross-realm event from every realm every N local ticks (0 = none), default 10' },
  'latency-budget': { key: 'budgetMs', spec: { kind: 'num', min: 1, max: 60_000 }, help: 'client-observed p99 budget (ms) for the capacity comparison, default 50' },
  rounds: { key: 'rounds', spec: { kind: 'int', min: 1, max: 20 }, help: 'rounds per scenario, the targets alternating first and second; each figure is the median over rounds, default 1' },
  'retry-noisy': { key: 'retryNoisy', spec: { kind: 'int', min: 0, max: 10 }, help: 'rerun a run up to N times when other processes used > 0.3 cores during its window (the quietest attempt is kept), default 0' },
  'wait-quiet': { key: 'waitQuiet', spec: { kind: 'num', min: 0, max: 3600 }, help: 'before each run, wait up to N seconds for other work on the machine to stop (< 0.3 cores busy), default 0' },
  'join-timeout': { key: 'joinTimeout', spec: { kind: 'num', min: 1, max: 3600 }, help: 'seconds the clients of a run have to join (an overloaded server accepts them slowly); the run measures whoever joined, and counts as over budget, default 90' },
  concurrency: { key: 'concurrency', spec: { kind: 'int', min: 1, max: 1000 }, help: 'connections each client process opens at once while joining, default 50' },
  out: { key: 'out', spec: { kind: 'path' }, help: `directory for the report files, default ${DEFAULT_RESULTS_DIR}` },
  help: { key: 'help', spec: { kind: 'bool' }, help: 'print this help' },
};

export const HELP = [
  'Usage: npm run bench:load -- [flags]',
  '',
  'Starts the server (Tickverse engine + gateway, and/or the Colyseus baseline) in a child process,',
  'drives WebSocket clients from separate client processes, measures a window, and writes',
  'bench/results/<name>.json, <name>.md and <name>.svg. With --target both, the two servers run',
  'one after the other in the same run (alternating order across points).',
  '',
  'Scenarios (all by default): (a) realms — --realms × --entities, whole-realm streams, --clients;',
  '(b) open — one realm of --open-entities on the 1000 × 1000 torus, --open-clients each following',
  'the 2 × 2 cells nearest a seeded focus point (about --interest entities); (c) capacity — clients raised',
  'over --points on the --capacity-world until a server misses the p99 budget. --sweep runs one',
  'classic sweep of the realms world instead.',
  '',
  'Flags (--flag value or --flag=value):',
  ...Object.entries(FLAGS).map(([f, d]) => `  --${f.padEnd(18)} ${d.help}`),
  '',
  'Examples:',
  '  npm run bench:load                                   # scenarios (a), (b), (c), both targets',
  '  npm run bench:load -- --quick                        # the same, small (under 2 minutes)',
  '  npm run bench:load -- --scenarios open --open-clients 500 --seconds 10',
  '  npm run bench:load -- --realms 10 --clients 100 --seconds 5 --target tickverse',
  '  npm run bench:load -- --sweep clients --seconds 10   # capacity at the latency budget',
  '',
].join('\n');

function parseValue(flag: string, spec: Spec, raw: string): unknown {
  const bad = (want: string): never => {
    throw new UsageError(`--${flag} must be ${want}; received ${JSON.stringify(raw)}`, flag);
  };
  switch (spec.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(raw)) bad(`an integer from ${spec.min} to ${spec.max}`);
      const n = Number(raw);
      if (!Number.isSafeInteger(n) || n < spec.min || n > spec.max) bad(`an integer from ${spec.min} to ${spec.max}`);
      return n;
    }
    case 'num': {
      const n = raw.trim() === '' ? Number.NaN : Number(raw);
      if (!Number.isFinite(n) || n < spec.min || n > spec.max) bad(`a number from ${spec.min} to ${spec.max}`);
      return n;
    }
    case 'target':
      if (raw === 'both') return [...TARGETS];
      if ((TARGETS as readonly string[]).includes(raw)) return [raw as Target];
      return bad(`one of ${[...TARGETS, 'both'].join(', ')}`);
    case 'sweep':
      if ((SWEEPS as readonly string[]).includes(raw)) return raw as SweepKind;
      return bad(`one of ${SWEEPS.join(', ')}`);
    case 'layout':
      if ((LAYOUTS as readonly string[]).includes(raw)) return raw as Layout;
      return bad(`one of ${LAYOUTS.join(', ')}`);
    case 'scenarios': {
      const parts = raw.split(',').map((p) => p.trim());
      if (parts.length === 0 || parts.some((p) => !(SCENARIOS as readonly string[]).includes(p)) || new Set(parts).size !== parts.length) {
        bad(`comma-separated scenarios from ${SCENARIOS.join(', ')}, each once`);
      }
      return parts as ScenarioKind[];
    }
    case 'name':
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(raw)) bad('1-64 letters, digits, ".", "_" or "-" (a file name, no path)');
      return raw;
    case 'points': {
      const parts = raw.split(',').map((s) => s.trim());
      if (parts.length === 0 || parts.length > 12 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) bad('1-12 comma-separated positive integers');
      return parts.map(Number);
    }
    case 'path':
      if (raw.length === 0) bad('a directory path');
      return raw;
    case 'bool':
      return true;
  }
}

/** Parses argv (without node and the script); throws UsageError naming the flag. */
export function parseArgs(argv: readonly string[]): LoadOptions {
  const seen = new Map<string, unknown>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') {
      seen.set('help', true);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(arg)} (flags start with --; see --help)`, arg);
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const def = FLAGS[flag];
    if (def === undefined) throw new UsageError(`unknown flag --${flag} (see --help)`, flag);
    if (seen.has(flag)) throw new UsageError(`--${flag} given more than once`, flag);
    let raw: string;
    if (def.spec.kind === 'bool') {
      if (eq >= 0) throw new UsageError(`--${flag} takes no value`, flag);
      raw = '';
    } else if (eq >= 0) {
      raw = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`--${flag} needs a value`, flag);
      raw = next;
      i++;
    }
    seen.set(flag, parseValue(flag, def.spec, raw));
  }
  const get = <T>(flag: string, fallback: T): T => (seen.has(flag) ? (seen.get(flag) as T) : fallback);
  const sweep = get<SweepKind | null>('sweep', null);
  const points = get<number[] | null>('points', null);
  const quick = get('quick', false);
  const scenarios = get<ScenarioKind[]>('scenarios', [...SCENARIOS]);
  if (points !== null && sweep === null && !scenarios.includes('capacity')) throw new UsageError('--points needs --sweep or the capacity scenario', 'points');
  if (sweep !== null && seen.has('scenarios')) throw new UsageError('--scenarios and --sweep conflict: a sweep runs alone', 'scenarios');
  if (sweep === null && points !== null && points.some((p) => p > 20_000)) throw new UsageError('--points for the capacity sweep must be from 1 to 20000 clients', 'points');
  if (sweep !== null && seen.has(sweep)) {
    throw new UsageError(`--${sweep} and --sweep ${sweep} conflict: the sweep sets it (use --points to choose values)`, sweep);
  }
  if (sweep === 'shards' && points !== null && points.some((p) => p > 64)) throw new UsageError('--points for --sweep shards must be from 1 to 64', 'points');
  if (sweep === 'realms' && points !== null && points.some((p) => p > 100_000)) throw new UsageError('--points for --sweep realms must be from 1 to 100000', 'points');
  if (sweep === 'clients' && points !== null && points.some((p) => p > 20_000)) throw new UsageError('--points for --sweep clients must be from 1 to 20000', 'points');
  const seconds = get('seconds', quick ? QUICK.seconds : 20);
  return Object.freeze({
    scenarios: Object.freeze(scenarios),
    quick,
    realms: get('realms', quick ? QUICK.realms : 100),
    entities: get('entities', quick ? QUICK.entities : 100),
    clients: get('clients', quick ? QUICK.clients : 1000),
    openEntities: get('open-entities', 10_000),
    openClients: get('open-clients', quick ? QUICK.openClients : 1000),
    interest: get('interest', 100),
    cell: get('cell', 0),
    capacityWorld: get<Layout>('capacity-world', 'open'),
    capacityPoints: Object.freeze([...(sweep === null && points !== null ? points : quick ? QUICK.capacityPoints : CAPACITY_POINTS)].sort((a, b) => a - b)),
    capacitySeconds: get('capacity-seconds', quick ? QUICK.capacitySeconds : 10),
    shards: get('shards', Math.max(1, availableParallelism())),
    seconds,
    warmup: get('warmup', quick ? QUICK.warmup : 3),
    targets: Object.freeze(get<Target[]>('target', [...TARGETS])),
    name: get('name', sweep !== null ? `load-sweep-${sweep}` : quick ? 'load-quick' : 'load-latest'),
    sweep,
    points: sweep === null || points === null ? null : Object.freeze(points),
    clientProcs: get('client-procs', 2),
    tickHz: get('tick-hz', 10),
    ticksPerControl: get('ticks-per-control', 10),
    emitEvery: get('emit-every', 10),
    budgetMs: get('latency-budget', 50),
    concurrency: get('concurrency', 50),
    joinTimeout: get('join-timeout', quick ? 30 : 90),
    waitQuiet: get('wait-quiet', 0),
    rounds: get('rounds', 1),
    retryNoisy: get('retry-noisy', 0),
    out: get('out', DEFAULT_RESULTS_DIR),
    help: get('help', false),
  });
}
