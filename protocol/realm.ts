// Realm metadata shared by engine, gateway and client: registration fields, lifecycle
// states and the entity view that clients receive.
import type { Stat7 } from './stat7.js';

export const REALM_STATES = ['booting', 'running', 'syncing', 'paused', 'error', 'offline'] as const;
export type RealmState = (typeof REALM_STATES)[number];

/** Numeric codes used in shard stats frames; index into REALM_STATES. */
export const RealmStateCode = { booting: 0, running: 1, syncing: 2, paused: 3, error: 4, offline: 5 } as const;

export function realmStateFromCode(code: number): RealmState {
  return REALM_STATES[code] ?? 'error';
}

/** What a game developer registers: the seed's fields, an optional STAT7 override and the hosted kind. */
export interface RealmRegistration {
  realm_id: string;
  game_id: string;
  developer_name?: string;
  /** A name to show players; unlike realm_id it may contain spaces (at most 128 characters). */
  display_name?: string;
  description?: string;
  realm_type?: string;
  adjacency?: string;
  resonance?: number;
  density?: number;
  stat7?: Partial<Stat7>;
  /** Hosted realm kind; omitted = the generic relay realm. */
  kind?: string;
  params?: Record<string, unknown>;
  /** Event types the realm receives by broadcast. */
  subscribe?: string[];
  /** Seed for the realm's random generator; default derived from realm_id. */
  seed?: number;
}

export interface RealmInfo {
  realmId: string;
  gameId: string;
  developerName: string;
  /** `display_name` at registration, '' when none. */
  displayName: string;
  description: string;
  kind: string;
  stat7: Stat7;
  stat7Canonical: string;
  stat7Hash: string;
  shard: number;
  state: RealmState;
  localTick: number;
  entities: number;
  eventsIn: number;
  eventsOut: number;
  stateHash: number | null;
  /** Encoded size of the realm's state when its shard last measured it (after inputs grew it, and at snapshots), or null. */
  stateBytes: number | null;
  /** Area-of-interest cell size in world units (protocol.md § 6.4); 0 = whole-realm streams. */
  cellSize: number;
  error: string | null;
  subscriptions: string[];
  registeredAtControlTick: number;
}

/** One entity as clients see it: id, kind and position plus any flat fields the kind exposes. */
export interface EntityView {
  id: string;
  kind: string;
  x: number;
  y: number;
  [field: string]: string | number | boolean;
}

/** The state-stream frame a client receives (wire v2: one stream, the whole realm or one cell). */
export type { StateFrameV2 as StateFrame } from './state-wire.js';
