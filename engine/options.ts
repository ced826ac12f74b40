// Engine options: checked once at the constructor, each error naming the option and the
// value received; the result is frozen and trusted everywhere else.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { EngineLogger, EngineMode, EngineOptions } from './types.js';
import type { ReplayPlan } from './persist/replay.js';

export interface ResolvedOptions {
  readonly shards: number;
  readonly mode: EngineMode;
  readonly tickHz: number;
  readonly ticksPerControl: number;
  readonly ringBytes: number;
  readonly hashEvery: number;
  readonly maxPayloadBytes: number;
  readonly maxInputBytes: number;
  readonly maxRealmStateBytes: number;
  readonly maxRealms: number;
  readonly kindModules: readonly string[];
  readonly spin: number;
  readonly stallMs: number;
  readonly dataDir: string | null;
  readonly snapshotEvery: number;
  readonly snapshotRetain: number;
  readonly backupEveryMs: number;
  readonly backupRetain: number;
  readonly journalHashes: boolean;
  readonly replay: ReplayPlan | null;
  readonly maxRestarts: number;
  readonly restartPeriodMs: number;
  readonly shardResourceLimits: Readonly<{ maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; stackSizeMb?: number }>;
  readonly logger: EngineLogger;
}

const silent: EngineLogger = { info() {}, warn() {}, error() {}, debug() {} };

function fail(option: string, value: unknown, want: string): never {
  throw new TickverseError(ErrorCode.INVALID_OPTION, `option "${option}" must be ${want}; received ${JSON.stringify(value) ?? String(value)}`, {
    option,
  });
}

function int(o: Record<string, unknown>, name: string, def: number, min: number, max: number): number {
  const v = o[name];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(name, v, `an integer from ${min} to ${max}`);
  return v;
}

const KNOWN = new Set([
  'shards', 'mode', 'tickHz', 'ticksPerControl', 'ringBytes', 'hashEvery', 'maxPayloadBytes', 'maxInputBytes', 'maxRealmStateBytes',
  'maxRealms', 'kindModules', 'spin', 'stallMs', 'logger', 'dataDir', 'snapshotEvery', 'snapshotRetain',
  'backupEveryMs', 'backupRetain', 'maxRestarts', 'restartPeriodMs', 'shardResourceLimits', 'journalHashes', 'replay',
]);

/** A kind module as the shards import it: a file: URL as is, a path from the working directory, a package name as
 *  Node resolves it from there. Kinds are JavaScript: a TypeScript kind is loaded from the .js tsc emits. */
export function kindModuleUrl(spec: string): string {
  if (/\.[mc]?ts$/.test(spec)) fail('kindModules', spec, 'JavaScript: point at the .js that tsc emits for a TypeScript kind');
  if (spec.startsWith('file:')) return spec;
  if (/^(\.{1,2}[\\/]|[\\/]|[A-Za-z]:[\\/])/.test(spec)) {
    if (!existsSync(resolve(spec))) fail('kindModules', spec, `a module file that exists (nothing at ${resolve(spec)})`);
    return pathToFileURL(resolve(spec)).href;
  }
  try {
    return pathToFileURL(createRequire(join(process.cwd(), 'package.json')).resolve(spec)).href;
  } catch {
    return fail('kindModules', spec, `a module that can be found (no package "${spec}" from ${process.cwd()})`);
  }
}

export function resolveOptions(input: EngineOptions | undefined): ResolvedOptions {
  if (input !== undefined && (typeof input !== 'object' || input === null)) fail('options', input, 'an object');
  const o = (input ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) fail(k, o[k], `a known option (${[...KNOWN].join(', ')})`);
  const mode = o.mode ?? 'realtime';
  if (mode !== 'realtime' && mode !== 'max') fail('mode', mode, '"realtime" or "max"');
  const tickHz = o.tickHz ?? 25;
  if (typeof tickHz !== 'number' || !Number.isFinite(tickHz) || tickHz <= 0 || tickHz > 1000) fail('tickHz', tickHz, 'a number in (0, 1000]');
  const ringBytes = int(o, 'ringBytes', 4 << 20, 1024, 1 << 30);
  if ((ringBytes & (ringBytes - 1)) !== 0) fail('ringBytes', ringBytes, 'a power of two');
  const kindModules = o.kindModules ?? [];
  if (!Array.isArray(kindModules) || !kindModules.every((u) => typeof u === 'string' && u.length > 0)) {
    fail('kindModules', kindModules, 'an array of file: URLs, paths or package names');
  }
  const kindUrls = (kindModules as string[]).map(kindModuleUrl);
  const logger = o.logger ?? silent;
  if (typeof logger !== 'object' || logger === null || typeof (logger as EngineLogger).info !== 'function') {
    fail('logger', '[object]', 'a pino-compatible logger');
  }
  const dataDir = o.dataDir ?? null;
  if (dataDir !== null && (typeof dataDir !== 'string' || dataDir.length === 0)) fail('dataDir', dataDir, 'a directory path or null');
  const limits = o.shardResourceLimits ?? {};
  if (typeof limits !== 'object' || limits === null || !Object.values(limits).every((v) => typeof v === 'number' && v > 0)) {
    fail('shardResourceLimits', limits, 'an object of positive numbers (maxOldGenerationSizeMb, maxYoungGenerationSizeMb, stackSizeMb)');
  }
  const shards = int(o, 'shards', Math.max(1, availableParallelism()), 1, 256);
  const journalHashes = o.journalHashes ?? false;
  if (typeof journalHashes !== 'boolean') fail('journalHashes', journalHashes, 'a boolean');
  // Time travel's replay engine (engine/time-travel.ts builds the plan): stepped, and never writing a data directory.
  const replay = o.replay ?? null;
  if (replay !== null && (typeof replay !== 'object' || !Number.isInteger((replay as ReplayPlan).first) || (replay as ReplayPlan).first < 1)) fail('replay', replay, 'a replay plan from engine/time-travel.ts');
  if (replay !== null && dataDir !== null) fail('replay', '[plan]', 'used without a dataDir (a replay never writes one)');
  return Object.freeze({
    shards,
    mode,
    tickHz,
    ticksPerControl: int(o, 'ticksPerControl', 1, 1, 10_000),
    ringBytes,
    hashEvery: int(o, 'hashEvery', 0, 0, 1_000_000),
    maxPayloadBytes: int(o, 'maxPayloadBytes', 64 * 1024, 16, 16 << 20),
    maxInputBytes: int(o, 'maxInputBytes', 16 * 1024, 16, 16 << 20),
    maxRealmStateBytes: int(o, 'maxRealmStateBytes', 8 << 20, 1024, 1 << 30),
    maxRealms: int(o, 'maxRealms', 100_000, 1, 10_000_000),
    kindModules: Object.freeze(kindUrls),
    // Spinning helps only while the shards and the main thread each have a core; past that a
    // spinning shard takes the core the thread it waits for needs (2 shards on 2 cores: 99 µs → 71 µs per round with 0).
    spin: int(o, 'spin', mode === 'max' && shards < availableParallelism() ? 2000 : 0, 0, 10_000_000),
    // A stall is one call into realm code (or a shard's own work) running this long: 500 ms stays
    // clear of garbage-collection pauses, and is at least two control-tick periods.
    stallMs: int(o, 'stallMs', Math.max(500, Math.ceil((2000 * (o.ticksPerControl === undefined ? 1 : Number(o.ticksPerControl))) / tickHz)), 10, 3_600_000),
    dataDir: dataDir as string | null,
    snapshotEvery: int(o, 'snapshotEvery', 50, 0, 1_000_000),
    snapshotRetain: int(o, 'snapshotRetain', 3, 2, 1000),
    backupEveryMs: int(o, 'backupEveryMs', 0, 0, 365 * 86_400_000),
    backupRetain: int(o, 'backupRetain', 5, 1, 1000),
    journalHashes,
    replay: replay as ReplayPlan | null,
    maxRestarts: int(o, 'maxRestarts', 3, 0, 1000),
    restartPeriodMs: int(o, 'restartPeriodMs', 60_000, 1, 86_400_000),
    shardResourceLimits: Object.freeze({ ...(limits as object) }),
    logger: logger as EngineLogger,
  });
}
