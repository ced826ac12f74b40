// Admin HTTP routes for the engine's backups in <dataDir>/backups/ (create, list, restore,
// delete), and the 426 hint for a plain GET on the WebSocket path.
import { stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { TemplatedApp } from 'uWebSockets.js';
import { listFiles } from '../engine/persist/files.js';
import { backupDirOf, parseBackupName, SNAP_SUFFIX } from '../engine/persist/store.js';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import { WS_PATH } from '../protocol/wire.js';
import type { GatewayContext } from './context.js';
import { json, param, route, type RequestInfo } from './http-util.js';

/** Only plain file names: no separators, so a name can never leave the backups directory. */
const NAME = /^[A-Za-z0-9._-]+\.tvsnap$/;

export interface BackupEntry {
  name: string;
  /** ISO time the backup was taken (from the engine's name), else the file's modification time. */
  time: string;
  size: number;
  /** Known only from the engine's naming; reading every file to decode it would be costly. */
  controlTick: number | null;
}

function checkName(name: string): string {
  if (!NAME.test(name) || name.includes('..')) {
    throw new TickverseError(ErrorCode.INVALID_ARGUMENT, `backup name must be letters, digits, ".", "_" or "-" ending in ${SNAP_SUFFIX}, without ".."; received ${JSON.stringify(name)}`, { field: 'name' });
  }
  return name;
}

function backupDir(ctx: GatewayContext): string {
  const dir = ctx.engine.options.dataDir;
  if (dir === null) throw new TickverseError(ErrorCode.NO_DATA_DIR, 'backups need a data directory; this engine keeps its state in memory only (set dataDir / TICKVERSE_DATA_DIR)');
  return backupDirOf(dir);
}

const isMissing = (e: unknown): boolean => (e as NodeJS.ErrnoException | null)?.code === 'ENOENT';

async function entry(dir: string, name: string): Promise<BackupEntry | null> {
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

async function requireEntry(dir: string, name: string): Promise<BackupEntry> {
  const e = await entry(dir, checkName(name));
  if (e === null) throw new TickverseError(ErrorCode.NOT_FOUND, `no backup named ${JSON.stringify(name)}`);
  return e;
}

export async function listBackups(dir: string): Promise<BackupEntry[]> {
  // No backup taken yet lists as none (the engine creates the directory on the first one).
  const names = (await listFiles(dir, SNAP_SUFFIX)).map((p) => basename(p)).filter((n) => NAME.test(n));
  const found = await Promise.all(names.map((n) => entry(dir, n)));
  return found.filter((e): e is BackupEntry => e !== null);
}

export function mountBackups(app: TemplatedApp, ctx: GatewayContext, admin: (info: RequestInfo) => void): void {
  const { engine, opts } = ctx;

  app.post(
    '/api/backups',
    route(ctx, 0, async (info) => {
      admin(info);
      const dir = backupDir(ctx);
      const report = await engine.backup();
      const name = basename(report.path);
      const e = await entry(dir, name);
      opts.logger.info({ backup: name, via: 'http' }, 'backup taken');
      return json({ name, time: e?.time ?? new Date().toISOString(), size: report.bytes, controlTick: report.controlTick, realms: report.realms }, '201 Created');
    }),
  );

  app.get(
    '/api/backups',
    route(ctx, 0, async (info) => {
      // Listing is admin too: names and sizes tell who backs up what and when.
      admin(info);
      return json(await listBackups(backupDir(ctx)));
    }),
  );

  /** The backup a route's :name names, after the admin check. */
  const named = async (info: RequestInfo): Promise<{ dir: string; e: BackupEntry }> => {
    admin(info);
    const dir = backupDir(ctx);
    return { dir, e: await requireEntry(dir, param(info, 0)) };
  };

  app.post(
    '/api/backups/:name/restore',
    route(ctx, 1, async (info) => {
      const { dir, e } = await named(info);
      // The engine reads and verifies the whole file before it touches any realm.
      const report = await engine.restoreBackup(join(dir, e.name));
      opts.logger.info({ backup: e.name, via: 'http', realms: report.realms }, 'backup restored');
      return json({ ...report, path: undefined, name: e.name });
    }),
  );

  app.del(
    '/api/backups/:name',
    route(ctx, 1, async (info) => {
      const { dir, e } = await named(info);
      try {
        await unlink(join(dir, e.name));
      } catch (err) {
        if (isMissing(err)) throw new TickverseError(ErrorCode.NOT_FOUND, `no backup named ${JSON.stringify(e.name)}`);
        throw err;
      }
      return json({ name: e.name, deleted: true });
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
