// @ts-nocheck
// Bench fixtures (.mjs worker scripts and realm kinds) live next to the sources in
// bench/fixtures/; tsc does not copy them, so from dist/bench/ they are two levels up.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function fixtureUrl(name: string): URL {
  const near = new URL(`./fixtures/${name}`, import.meta.url);
  return existsSync(fileURLToPath(near)) ? near : new URL(`../../bench/fixtures/${name}`, import.meta.url);
}
