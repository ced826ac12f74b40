// Versions for the report, read from the installed packages' package.json files, found by
// walking up to node_modules (not every package exports its package.json or a CommonJS entry).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function installedVersion(pkg: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const file = join(dir, 'node_modules', pkg, 'package.json');
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (typeof json.version !== 'string') break;
      // An npm alias (uWebSockets.js is installed as uws-pack) carries the real package's name.
      return json.name === undefined || json.name === pkg ? json.version : `${json.version} (${json.name})`;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return 'not installed';
}

export function versions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pkg of ['@colyseus/core', '@colyseus/ws-transport', '@colyseus/schema', '@colyseus/sdk', 'uWebSockets.js', 'msgpackr', 'ws']) out[pkg] = installedVersion(pkg);
  return out;
}
