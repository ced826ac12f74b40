// Kind paths on the command line: a .js/.mjs file is one kind module; a directory holds one
// kind module per .js/.mjs file directly inside it (helpers go in subdirectories).
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const MODULE = /\.m?js$/;

export class UsageError extends Error {}

export interface KindPath {
  /** Absolute path as given (file or directory): what `tickverse dev` watches. */
  readonly path: string;
  readonly isDirectory: boolean;
  /** file: URLs of the kind modules, for the engine's `kindModules` option. */
  readonly modules: readonly string[];
}

export function resolveKindPaths(args: readonly string[], cwd: string = process.cwd()): KindPath[] {
  return args.map((arg) => {
    const path = resolve(cwd, arg);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw new UsageError(`kind path ${JSON.stringify(arg)} does not exist (resolved to ${path})`);
    }
    if (!isDirectory && !MODULE.test(path)) throw new UsageError(`kind path ${JSON.stringify(arg)} is not a .js/.mjs file or a directory`);
    const files = isDirectory
      ? readdirSync(path, { withFileTypes: true }).filter((d) => d.isFile() && MODULE.test(d.name)).map((d) => join(path, d.name)).sort()
      : [path];
    if (files.length === 0) throw new UsageError(`kind directory ${JSON.stringify(arg)} holds no .js/.mjs file`);
    return { path, isDirectory, modules: files.map((f) => pathToFileURL(f).href) };
  });
}

/** Files a kind module may import (a change to one under a kind directory is a helper change). */
const CODE = /\.(m?js|cjs|json)$/;

/** What a changed file is to `tickverse dev`: a kind module it can hot-reload (the kind path's file, or a .js/.mjs
 *  directly in a kind directory); 'helper', another code file under a kind directory (ESM caches it by URL, so only a
 *  restart loads it anew); or null, nothing to do (an editor's swap or backup file). */
export function changedModule(kind: KindPath, file: string): string | 'helper' | null {
  const path = resolve(kind.path, file);
  if (!kind.isDirectory) return path === kind.path ? path : null;
  if (MODULE.test(path) && dirname(path) === kind.path) return path;
  return CODE.test(path) ? 'helper' : null;
}
