// `tickverse dev`: runs `tickverse start` in a child process and restarts that whole process
// (engine and gateway) when a file under a kind path changes. A kind module is imported once
// per worker thread and ESM has no unload, so a restart is the only way to load new code;
// there is no hot reload that keeps state in memory (docs/package.md).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { KindPath } from './kind-paths.js';

/** Editors write a file in several steps (truncate, write, rename): one restart per burst. */
export const DEBOUNCE_MS = 200;

function say(msg: string): void {
  process.stderr.write(`tickverse dev: ${msg}\n`);
}

export function runDev(binFile: string, kinds: readonly KindPath[], args: readonly string[]): void {
  const env = { ...process.env };
  if (env.TICKVERSE_TOKEN === undefined || env.TICKVERSE_TOKEN === '') {
    // One token for the whole session, so a restart does not log out the admin pages.
    env.TICKVERSE_TOKEN = randomBytes(24).toString('base64url');
    say(`admin token for this session: ${env.TICKVERSE_TOKEN} (set TICKVERSE_TOKEN to choose one)`);
  }
  let child: ChildProcess | null = null;
  let restarting = false;
  let quitting = false;
  let timer: NodeJS.Timeout | undefined;

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

  const restart = (file: string): void => {
    say(`${file} changed: restarting the engine process (state in memory is not kept)`);
    if (child === null) return launch();
    restarting = true;
    child.kill('SIGTERM');
  };

  const changed = (file: string): void => {
    clearTimeout(timer);
    timer = setTimeout(() => restart(file), DEBOUNCE_MS);
  };

  // A file is watched through its directory: editors that save by rename replace the inode.
  const watchers: FSWatcher[] = kinds.map((k) =>
    k.isDirectory
      ? watch(k.path, { recursive: true }, (_e, name) => changed(name === null ? k.path : `${k.path}/${name}`))
      : watch(dirname(k.path), (_e, name) => {
          if (name === basename(k.path)) changed(k.path);
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
  say(`watching ${kinds.map((k) => k.path).join(', ')}`);
  launch();
}
