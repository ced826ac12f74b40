// @ts-nocheck
// The package version, for /api/health: read once from package.json, found by walking up
// from this module (dist/gateway/ in production, gateway/ from sources in tests).
import { readFileSync } from 'node:fs';

function findVersion(): string {
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tickverse' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

export const PACKAGE_VERSION: string = findVersion();
