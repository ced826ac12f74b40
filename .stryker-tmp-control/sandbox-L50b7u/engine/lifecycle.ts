// @ts-nocheck
// The realm lifecycle, one state machine for every transition the engine makes or a shard
// reports. A transition not listed here is refused (and logged), never applied silently.
import type { RealmState } from '../protocol/realm.js';

const NEXT: Readonly<Record<RealmState, readonly RealmState[]>> = {
  booting: ['running', 'paused', 'error', 'syncing', 'offline'],
  running: ['paused', 'error', 'syncing', 'offline'],
  paused: ['running', 'error', 'syncing', 'offline'],
  // A replaced shard restores its realms: they come back running, paused or failed.
  syncing: ['running', 'paused', 'error', 'offline'],
  error: ['offline'],
  offline: [],
};

/** States in which a realm takes deliveries (a syncing realm gets them replayed on restore). */
const ACCEPTS: ReadonlySet<RealmState> = new Set(['booting', 'running', 'syncing', 'paused']);

export function canMove(from: RealmState, to: RealmState): boolean {
  return NEXT[from].includes(to);
}

export function acceptsDeliveries(state: RealmState): boolean {
  return ACCEPTS.has(state);
}
