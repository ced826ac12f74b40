// The realm contract the shard runtime hosts: what a realm kind provides, and the context it gets.
// Kinds are written with defineKind (define-kind.ts), which fills in the defaults.
// Realm logic must take time from ctx.tick/ctx.dt and randomness from ctx.random().
import type { EntityView } from '../protocol/realm.js';
import type { Stat7, Stat7Selector } from '../protocol/stat7.js';
import type { ViewSchema } from '../protocol/view-schema.js';

export type { FieldSpec, ViewSchema } from '../protocol/view-schema.js';

/** Where replicate() writes a tick's entities: a row per entity, then its fields by number (schema order). */
export interface ViewSink {
  row(id: string, kind: string): number;
  set(row: number, field: number, value: unknown): void;
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface PathHop {
  realm?: string;
  shard?: number;
  tick?: number;
  router?: 'main';
  controlTick?: number;
}

export interface RealmEvent {
  type: string;
  data: Json;
  /** Source realm id, or 'external' for events published through the engine API. */
  from: string;
  via: 'unicast' | 'broadcast' | 'selector';
  seq: number;
  /** Propagation path for audit: source, router, destination. */
  path: PathHop[];
}

export interface PlayerInput {
  player: string;
  data: Json;
}

export interface EmitOptions {
  type: string;
  data?: Json;
  /** Unicast to one realm id. */
  to?: string;
  /** Every realm whose STAT7 coordinate matches. */
  selector?: Stat7Selector;
}

export interface RealmContext {
  readonly realmId: string;
  readonly stat7: Stat7;
  /** Local tick number (starts at 0, +1 per step). */
  readonly tick: number;
  /** Fixed step in seconds. */
  readonly dt: number;
  /** Seeded generator in [0, 1); part of the realm's snapshot. */
  random(): number;
  /** Unicast (to), selector, or broadcast to subscribers of `type` (neither). Routed at the next control tick. */
  emit(event: EmitOptions): void;
  /** Move an entity to another realm at the next control tick. */
  transfer(entityId: string, toRealm: string): void;
  subscribe(type: string): void;
  unsubscribe(type: string): void;
}

export interface RealmKind<S = unknown> {
  readonly name: string;
  /** Event types realms of this kind receive by broadcast from the start. */
  readonly subscribes?: readonly string[];
  create(params: Record<string, unknown>, ctx: RealmContext): S;
  tick(state: S, ctx: RealmContext): void;
  onEvent(state: S, event: RealmEvent, ctx: RealmContext): void;
  onInput(state: S, input: PlayerInput, ctx: RealmContext): void;
  view(state: S): EntityView[];
  /** The entity fields clients receive and how each travels (docs/realms.md); omitted = every field of view(), sent as it is. */
  readonly schema?: ViewSchema;
  /** Writes the tick's entities straight into the replication columns; omitted = taken from view(). */
  replicate?(state: S, out: ViewSink): void;
  entityCount(state: S): number;
  snapshot(state: S): Json;
  restore(snapshot: Json): S;
  /** Removes the entity and returns what the receiving realm needs, or undefined if absent. */
  exportEntity(state: S, id: string): Json | undefined;
  importEntity(state: S, entity: Json, ctx: RealmContext): void;
  /** false: the kind takes no entities in or out (defineKind without exportEntity/importEntity); omitted = it does. */
  readonly transfers?: boolean;
}

// Realm developers write kinds with defineKind (defaults, handlers by event type, typed events).
export { defineKind } from './define-kind.js';
