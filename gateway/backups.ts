// Backups of the engine in <dataDir>/backups/: one function per operation (create, list,
// restore, delete), used by both the admin HTTP routes below and the WebSocket ops
// (ws-ops.ts), so both answer with the same results and codes; and the 426 hint for a plain
// GET on the WebSocket path.
import { stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { TemplatedApp } from 'uWebSockets.js';
import { listFiles } from '../engine/persist/files.js';
import { backupDirOf, parseBackupName, SNAP_SUFFIX } from '../engine/persist/store.js';
import { ErrorCode, isTickverseError, TickverseError } from '../protocol/errors.js';
import { WS_PATH, type BackupCreated, type BackupInfo, type BackupRestored } from '../protocol/wire.js';
import type { GatewayContext } from './context.js';
import { json, param, route, type RequestInfo } from './http-util.js';
import type { BackupKind } from './metrics.js';

/** Only plain file names: no separators, so a name can never leave the backups directory. */
const NAME = /^[A-Za-z0-9._-]+\.tvsnap$/;
/** Longer names cannot be files on common file systems. */
const MAX_NAME = 255;

/** Which API asked, for the logs. */
export type BackupVia = 'http' | 'ws';

function checkName(name: string): string {
  if (name.length > MAX_NAME || !NAME.test(name) || name.includes('..')) {
    const shown = name.length > 80 ? `a name of ${name.length} characters` : JSON.stringify(name);
    throw new TickverseError(ErrorCode.INVALID_ARGUMENT, `backup name must be letters, digits, ".", "_" or "-" ending in ${SNAP_SUFFIX}, without "..", at most ${MAX_NAME} characters; received ${shown}`, { field: 'name' });
  }
  return name;
}

function backupDir(ctx: GatewayContext): string {
  const dir = ctx.engine.options.dataDir;
  if (dir === null) throw new TickverseError(ErrorCode.NO_DATA_DIR, 'backups need a data directory; this engine keeps its state in memory only (set dataDir / TICKVERSE_DATA_DIR)');
  return backupDirOf(dir);
}

const isMissing = (e: unknown): boolean => (e as NodeJS.ErrnoException | null)?.code === 'ENOENT';
const notFound = (name: string): TickverseError => new TickverseError(ErrorCode.NOT_FOUND, `no backup named ${JSON.stringify(name)}`);

async function entry(dir: string, name: string): Promise<BackupInfo | null> {
  let st;
  try {
    st = await stat(join(dir, name));
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
  if (!st.isFile()) return null;
  const named = parseBackupName(name);
  return {
    name,
    time: new Date(named?.ms ?? st.mtimeMs).toISOString(),
    size: st.size,
    controlTick: named?.controlTick ?? null,
  };
}

async function requireEntry(dir: string, name: string): Promise<BackupInfo> {
  const e = await entry(dir, checkName(name));
  if (e === null) throw notFound(name);
  return e;
}

/** Runs one operation and counts it (kind, ok or error) with its duration in the gateway's metrics. */
async function measured<T>(ctx: GatewayContext, kind: BackupKind, op: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    const r = await op();
    ctx.metrics.observeBackup(kind, 'ok', (performance.now() - t0) / 1000);
    return r;
  } catch (e) {
    ctx.metrics.observeBackup(kind, 'error', (performance.now() - t0) / 1000);
    throw e;
  }
}

/** Takes a backup of the whole multiverse into <dataDir>/backups/. */
export function createBackup(ctx: GatewayContext, via: BackupVia): Promise<BackupCreated> {
  return measured(ctx, 'create', async () => {
    const dir = backupDir(ctx);
    const report = await ctx.engine.backup();
    const name = basename(report.path);
    const e = await entry(dir, name);
    ctx.opts.logger.info({ backup: name, via }, 'backup taken');
    return { name, time: e?.time ?? new Date().toISOString(), size: report.bytes, controlTick: report.controlTick, realms: report.realms };
  });
}

/** Backup file names in `dir`, sorted (the engine's names sort by control tick). */
async function backupNames(dir: string): Promise<string[]> {
  // No backup taken yet lists as none (the engine creates the directory on the first one).
  return (await listFiles(dir, SNAP_SUFFIX)).map((p) => basename(p)).filter((n) => NAME.test(n));
}

/** The backups on disk, oldest first. */
export async function listBackups(ctx: GatewayContext): Promise<BackupInfo[]> {
  const dir = backupDir(ctx);
  const names = await backupNames(dir);
  const found = await Promise.all(names.map((n) => entry(dir, n)));
  return found.filter((e): e is BackupInfo => e !== null);
}

/**
 * For the metrics: how many backups <dataDir>/backups/ holds and when the newest one the engine
 * named was taken — scheduled backups included, which the engine reports only in its log.
 */
export async function backupsOnDisk(dataDir: string): Promise<{ count: number; newestMs: number | null }> {
  const names = await backupNames(backupDirOf(dataDir));
  let newestMs: number | null = null;
  for (const n of names) {
    const ms = parseBackupName(n)?.ms;
    if (ms !== undefined && (newestMs === null || ms > newestMs)) newestMs = ms;
  }
  return { count: names.length, newestMs };
}

/** Replaces the multiverse with a backup. The engine reads and verifies the whole file before it touches any realm. */
export function restoreBackup(ctx: GatewayContext, name: string, via: BackupVia): Promise<BackupRestored> {
  return measured(ctx, 'restore', async () => {
    const dir = backupDir(ctx);
    const e = await requireEntry(dir, name);
    const path = join(dir, e.name);
    let report;
    try {
      report = await ctx.engine.restoreBackup(path);
    } catch (err) {
      // The engine names the file by its full path: callers know it by name, and need not learn the server's directories.
      if (isTickverseError(err) && err.message.includes(path)) throw new TickverseError(err.code, err.message.split(path).join(e.name));
      throw err;
    }
    ctx.opts.logger.info({ backup: e.name, via, realms: report.realms }, 'backup restored');
    return { name: e.name, controlTick: report.controlTick, realms: report.realms, hashesChecked: report.hashesChecked, hashMismatches: report.hashMismatches };
  });
}

export function deleteBackup(ctx: GatewayContext, name: string, via: BackupVia): Promise<{ name: string; deleted: true }> {
  return measured(ctx, 'delete', async () => {
    const dir = backupDir(ctx);
    const e = await requireEntry(dir, name);
    try {
      await unlink(join(dir, e.name));
    } catch (err) {
      if (isMissing(err)) throw notFound(e.name);
      throw err;
    }
    ctx.opts.logger.info({ backup: e.name, via }, 'backup deleted');
    return { name: e.name, deleted: true };
  });
}

export function mountBackups(app: TemplatedApp, ctx: GatewayContext, admin: (info: RequestInfo) => void): void {
  app.post(
    '/api/backups',
    route(ctx, 0, async (info) => {
      admin(info);
      return json(await createBackup(ctx, 'http'), '201 Created');
    }),
  );
  app.get(
    '/api/backups',
    route(ctx, 0, async (info) => {
      // Listing is admin too: names and sizes tell who backs up what and when.
      admin(info);
      return json(await listBackups(ctx));
    }),
  );
  app.post(
    '/api/backups/:name/restore',
    route(ctx, 1, async (info) => {
      admin(info);
      return json(await restoreBackup(ctx, param(info, 0), 'http'));
    }),
  );
  app.del(
    '/api/backups/:name',
    route(ctx, 1, async (info) => {
      admin(info);
      return json(await deleteBackup(ctx, param(info, 0), 'http'));
    }),
  );
}

/** A GET on the WebSocket path without an upgrade reaches the HTTP routes: say what it needs. */
export function mountWsHint(app: TemplatedApp, ctx: GatewayContext): void {
  app.get(
    WS_PATH,
    route(ctx, 0, () => ({
      ...json({ error: { code: ErrorCode.BAD_REQUEST, message: `${WS_PATH} is the WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket); see docs/protocol.md` } }, '426 Upgrade Required'),
      headers: { upgrade: 'websocket', connection: 'Upgrade' },
    })),
  );
}
