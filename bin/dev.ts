// `tickverse dev`: runs `tickverse start` in a child process and, when a kind module under a
// kind path changes, hot-reloads it through the child's admin route (POST /api/kinds/reload):
// every realm of the kind keeps its state and ticking, clients stay connected (docs/realm-kinds.md#hot-reload).
// A reload the engine refuses (syntax error, restore or first tick throws) leaves the old code
// running and prints why. The whole process is restarted (state in memory lost) only when
// reloading cannot help: a helper file changed (ESM caches imports by URL, so only a new
// process loads it anew), or the child is not there to ask (docs/package.md).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { changedModule, type KindPath } from './kind-paths.js';

/** Editors write a file in several steps (truncate, write, rename): one reload per burst. */
export const DEBOUNCE_MS = 200;

function say(msg: string): void {
  process.stderr.write(`tickverse dev: ${msg}\n`);
}

/** Where the child's gateway listens, from the same variables `tickverse start` reads; null for port 0 (any free
 *  port: this process cannot know which, so it restarts instead of reloading). */
function childUrl(env: NodeJS.ProcessEnv): string | null {
  const port = Number(env.TICKVERSE_PORT || env.PORT || 8000);
  if (!Number.isInteger(port) || port <= 0) return null;
  const host = env.TICKVERSE_HOST;
  const local = host === undefined || host === '' || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${local.includes(':') ? `[${local}]` : local}:${port}`;
}

type Reloaded = { ok: true; text: string } | { ok: false; refused: boolean; text: string };

/** Asks the child to reload one kind module. `refused`: the engine answered with an error (keep it running). */
async function reload(base: string, token: string, module: string): Promise<Reloaded> {
  let res: Response;
  try {
    res = await fetch(`${base}/api/kinds/reload`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ module }) });
  } catch (e) {
    return { ok: false, refused: false, text: `the engine process did not answer (${e instanceof Error ? e.message : String(e)})` };
  }
  const body = (await res.json().catch(() => null)) as { kind?: string; realms?: number; controlTick?: number; error?: { code?: string; message?: string } } | null;
  if (res.ok && body !== null) return { ok: true, text: `kind "${body.kind}" reloaded in ${body.realms} realm(s) at control tick ${body.controlTick}, state kept` };
  const err = body?.error;
  // Only the engine's verdict on the code keeps the process; anything else (an old child without the route, auth) restarts it.
  return { ok: false, refused: err?.code === 'RELOAD_FAILED', text: `${err?.code ?? res.status}: ${err?.message ?? 'no error message'}` };
}

export function runDev(binFile: string, kinds: readonly KindPath[], args: readonly string[]): void {
  const env = { ...process.env };
  if (env.TICKVERSE_TOKEN === undefined || env.TICKVERSE_TOKEN === '') {
    // One token for the whole session, so a restart does not log out the admin pages.
    env.TICKVERSE_TOKEN = randomBytes(24).toString('base64url');
    say(`admin token for this session: ${env.TICKVERSE_TOKEN} (set TICKVERSE_TOKEN to choose one)`);
  }
  const token = env.TICKVERSE_TOKEN;
  const base = childUrl(env);
  let child: ChildProcess | null = null;
  let restarting = false;
  let quitting = false;
  let timer: NodeJS.Timeout | undefined;
  /** Files changed in the current burst: kind modules to reload, or null when a restart is needed. */
  let modules: Set<string> | null = new Set();
  let busy: Promise<void> = Promise.resolve();

  const launch = (): void => {
    const c = spawn(process.execPath, [binFile, 'start', ...args], { stdio: 'inherit', env });
    child = c;
    c.on('exit', (code, signal) => {
      if (child === c) child = null;
      if (quitting) process.exit(0);
      if (restarting) {
        restarting = false;
        launch();
      } else say(`the engine process exited (${signal ?? `code ${code}`}); waiting for a change to a kind file to start it again`);
    });
  };

  const restart = (why: string): void => {
    say(`${why}: restarting the engine process (state in memory is not kept)`);
    if (child === null) return launch();
    restarting = true;
    child.kill('SIGTERM');
  };

  const settle = async (burst: Set<string> | null, file: string): Promise<void> => {
    if (burst === null) return restart(`${file} changed (a helper, not a kind module: no hot reload for it)`);
    if (child === null) return restart(`${file} changed`);
    if (base === null) return restart(`${file} changed (TICKVERSE_PORT=0: the engine's port is unknown here, no hot reload)`);
    for (const module of burst) {
      if (!existsSync(module)) {
        say(`${module} is gone: its kind keeps running the code it had (restart tickverse dev to drop it)`);
        continue;
      }
      const r = await reload(base, token, module);
      if (r.ok) say(`${module}: ${r.text}`);
      else if (r.refused) say(`${module}: not reloaded, the old code keeps running: ${r.text}`);
      else return restart(`${module} changed; ${r.text}`);
    }
  };

  const changed = (kind: KindPath, file: string): void => {
    const module = changedModule(kind, file);
    if (module === null) return;
    if (module === 'helper') modules = null;
    else modules?.add(module);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const burst = modules;
      modules = new Set();
      busy = busy.then(() => settle(burst, file));
    }, DEBOUNCE_MS);
  };

  // A file is watched through its directory: editors that save by rename replace the inode.
  const watchers: FSWatcher[] = kinds.map((k) =>
    k.isDirectory
      ? watch(k.path, { recursive: true }, (_e, name) => changed(k, name === null ? k.path : join(k.path, name)))
      : watch(dirname(k.path), (_e, name) => {
          if (name === basename(k.path)) changed(k, k.path);
        }),
  );

  const quit = (): void => {
    if (quitting) return;
    quitting = true;
    clearTimeout(timer);
    for (const w of watchers) w.close();
    if (child === null) process.exit(0);
    else child.kill('SIGTERM');
  };
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);
  say(`watching ${kinds.map((k) => k.path).join(', ')}; a changed kind module is hot-reloaded (state kept)`);
  launch();
}
