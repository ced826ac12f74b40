// Engine options from TICKVERSE_* environment variables (docs/configuration.md).
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { EngineOptions } from './types.js';

function intVar(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new TickverseError(ErrorCode.INVALID_OPTION, `environment variable ${name} must be a number; received ${JSON.stringify(raw)}`);
  return n;
}

export function engineOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): EngineOptions {
  const o: EngineOptions = {};
  const shards = intVar(env, 'TICKVERSE_SHARDS');
  if (shards !== undefined) o.shards = shards;
  const mode = env.TICKVERSE_MODE;
  if (mode !== undefined && mode !== '') o.mode = mode as EngineOptions['mode'];
  const hz = intVar(env, 'TICKVERSE_TICK_HZ');
  if (hz !== undefined) o.tickHz = hz;
  const k = intVar(env, 'TICKVERSE_TICKS_PER_CONTROL');
  if (k !== undefined) o.ticksPerControl = k;
  const ring = intVar(env, 'TICKVERSE_RING_BYTES');
  if (ring !== undefined) o.ringBytes = ring;
  const hashEvery = intVar(env, 'TICKVERSE_HASH_EVERY');
  if (hashEvery !== undefined) o.hashEvery = hashEvery;
  const snap = intVar(env, 'TICKVERSE_SNAPSHOT_EVERY');
  if (snap !== undefined) o.snapshotEvery = snap;
  const backup = intVar(env, 'TICKVERSE_BACKUP_EVERY_MS');
  if (backup !== undefined) o.backupEveryMs = backup;
  // How many automatic backups are kept (oldest pruned after each one); backups taken by hand are counted too.
  const retain = intVar(env, 'TICKVERSE_BACKUP_RETAIN');
  if (retain !== undefined) o.backupRetain = retain;
  // Time travel's checkpoints: the hashEvery hashes journaled when TICKVERSE_JOURNAL_HASHES=1 (docs/durability.md § Time travel).
  const jh = env.TICKVERSE_JOURNAL_HASHES;
  if (jh !== undefined && jh !== '') o.journalHashes = jh === '1' || jh === 'true';
  // TICKVERSE_KINDS: comma-separated kind modules (file: URLs, paths or package names; options.ts resolves them).
  const kinds = env.TICKVERSE_KINDS;
  if (kinds !== undefined && kinds.trim() !== '') o.kindModules = kinds.split(',').map((k) => k.trim()).filter((k) => k !== '');
  // TICKVERSE_DATA_DIR=none runs without persistence.
  const dir = env.TICKVERSE_DATA_DIR;
  if (dir !== undefined && dir !== '') o.dataDir = dir === 'none' ? null : dir;
  return o;
}
