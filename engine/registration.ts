// Validates a realm registration (the seed's fields + STAT7) into a normalised record.
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { RealmRegistration } from '../protocol/realm.js';
import { toStat7, type Stat7 } from '../protocol/stat7.js';
import { fnv1a } from '../protocol/frames.js';

export interface ValidRegistration {
  realmId: string;
  gameId: string;
  developerName: string;
  /** A name to show players (may contain spaces); '' = none. */
  displayName: string;
  description: string;
  kind: string;
  params: Record<string, unknown>;
  subscribe: string[];
  seed: number;
  stat7: Stat7;
}

const ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const TYPE = /^[A-Za-z0-9_.:/-]{1,64}$/;

function bad(field: string, value: unknown, want: string): TickverseError {
  return new TickverseError(ErrorCode.INVALID_ARGUMENT, `${field} must be ${want}; received ${JSON.stringify(value) ?? String(value)}`, { field });
}

function text(r: Record<string, unknown>, field: string, max: number): string {
  const v = r[field] ?? '';
  if (typeof v !== 'string' || v.length > max) throw bad(field, v, `a string of at most ${max} characters`);
  return v;
}

export function isEventType(v: unknown): v is string {
  return typeof v === 'string' && TYPE.test(v);
}

export function validateRegistration(input: unknown): ValidRegistration {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw bad('registration', input, 'an object');
  const r = input as Record<string, unknown> & Partial<RealmRegistration>;
  if (typeof r.realm_id !== 'string' || !ID.test(r.realm_id)) throw bad('realm_id', r.realm_id, 'an id of 1-64 [A-Za-z0-9_.:-]');
  if (typeof r.game_id !== 'string' || !ID.test(r.game_id)) throw bad('game_id', r.game_id, 'an id of 1-64 [A-Za-z0-9_.:-]');
  const kind = r.kind ?? 'relay';
  if (typeof kind !== 'string' || !ID.test(kind)) throw bad('kind', kind, 'a realm kind name');
  const params = r.params ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw bad('params', params, 'an object');
  const subscribe = r.subscribe ?? [];
  if (!Array.isArray(subscribe) || subscribe.length > 64 || !subscribe.every(isEventType)) {
    throw bad('subscribe', subscribe, 'a list of at most 64 event types');
  }
  const seed = r.seed ?? fnv1a(r.realm_id);
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw bad('seed', seed, 'a 32-bit unsigned integer');
  for (const f of ['realm_type', 'adjacency'] as const) {
    if (r[f] !== undefined && typeof r[f] !== 'string') throw new TickverseError(ErrorCode.INVALID_COORDINATE, `${f} must be a string`);
  }
  for (const f of ['resonance', 'density'] as const) {
    if (r[f] !== undefined && typeof r[f] !== 'number') throw new TickverseError(ErrorCode.INVALID_COORDINATE, `${f} must be a number from 0 to 1`);
  }
  const stat7 = toStat7(r.stat7 as Record<string, unknown> | undefined, {
    realm_type: r.realm_type ?? (kind === 'relay' ? undefined : kind),
    adjacency: r.adjacency,
    resonance: r.resonance,
    density: r.density,
  });
  return {
    realmId: r.realm_id,
    gameId: r.game_id,
    developerName: text(r, 'developer_name', 128),
    displayName: text(r, 'display_name', 128),
    description: text(r, 'description', 1024),
    kind,
    params: params as Record<string, unknown>,
    subscribe: [...new Set(subscribe)],
    seed,
    stat7,
  };
}
