// @ts-nocheck
// After a measurement window: how many realms are not running. A scenario whose realms crashed
// (or never started) measures an idle engine; the report must say so rather than show the figure.
import type { Engine } from '../engine/index.js';

export interface RealmHealth {
  /** Realms whose state is not 'running'. */
  notRunning: number;
  /** The first such realm's error, if any ("realm: message"). */
  firstError: string | null;
}

export function realmHealth(engine: Engine): RealmHealth {
  let notRunning = 0;
  let firstError: string | null = null;
  for (const r of engine.list()) {
    if (r.state === 'running') continue;
    notRunning++;
    if (firstError === null && r.error !== null) firstError = `${r.realmId} (${r.state}): ${r.error}`;
  }
  return { notRunning, firstError };
}

/** A Markdown line for the scenarios whose realms were not all running, or nothing. */
export function healthNote(rows: readonly { name: string; health: RealmHealth }[]): string[] {
  const bad = rows.filter((r) => r.health.notRunning > 0);
  if (bad.length === 0) return [];
  return [
    ...bad.map((r) => `**Not a measurement — ${r.name}: ${r.health.notRunning} realms were not running** (${r.health.firstError ?? 'no error recorded'}).`),
    '',
  ];
}
