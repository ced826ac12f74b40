// defineKind: what a realm developer writes, turned into the full RealmKind the shard runtime
// hosts. Only `name`, `create` and `view` are required; every other hook has a default, event
// handlers are a table keyed by event type (the keys are the kind's broadcast subscriptions),
// and an `Events` map types what the kind emits and receives. Tutorial: docs/realm-kinds.md.
import type { EntityView } from '../protocol/realm.js';
import type { Stat7Selector } from '../protocol/stat7.js';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { Json, PlayerInput, RealmContext, RealmEvent, RealmKind, ViewSchema, ViewSink } from './realm.js';

/**
 * Event type → the data its events carry, e.g. `{ rumor: { text: string }; bell: { tick: number } }`.
 * Declare it with `type`, not `interface` (an interface's fields are not Json to TypeScript).
 */
export type EventMap<E> = { [K in keyof E]: Json };
/** The Events of a kind that does not declare them: any type, any Json data. */
export type AnyEvents = Record<string, Json>;

type TypeOf<E> = keyof E & string;

/** What `ctx.emit` takes: `data` is checked against the type's entry in Events (optional when it may be null). */
export type KindEmit<E> = {
  [K in TypeOf<E>]: { type: K; to?: string; selector?: Stat7Selector } & (null extends E[K] ? { data?: E[K] } : { data: E[K] });
}[TypeOf<E>];

/** An event of type K as its handler sees it. `data` is typed from Events: what your realms emit.
 *  Events published from outside (engine.publish, the gateway) are not checked against it. */
export type KindEvent<E, K extends TypeOf<E>> = Omit<RealmEvent, 'type' | 'data'> & { readonly type: K; readonly data: E[K] };

/** The realm context with `emit` typed by Events. */
export type KindContext<E> = Omit<RealmContext, 'emit'> & { emit(event: KindEmit<E>): void };

export type EventHandler<S, E, K extends TypeOf<E>> = (state: S, event: KindEvent<E, K>, ctx: KindContext<E>) => void;
export type EventHandlers<S, E> = { readonly [K in TypeOf<E>]?: EventHandler<S, E, K> };

export interface KindDefinition<S, E extends EventMap<E>> {
  readonly name: string;
  /** The initial state from the registration's params (untrusted: check them). */
  create(params: Record<string, unknown>, ctx: KindContext<E>): S;
  /** The entities clients see. */
  view(state: S): EntityView[];
  /** One local tick; default: nothing happens between events and inputs. */
  tick?(state: S, ctx: KindContext<E>): void;
  /** A player's input (untrusted Json: check it); default: ignored. */
  onInput?(state: S, input: PlayerInput, ctx: KindContext<E>): void;
  /** Handlers by event type. Each key is also a broadcast subscription of every realm of this kind. */
  readonly on?: EventHandlers<S, E>;
  /** Handlers by event type for events that come addressed (unicast, selector): no subscription. */
  readonly direct?: EventHandlers<S, E>;
  /** Events whose type has no handler in `on` or `direct`; default: ignored. */
  onOtherEvent?(state: S, event: RealmEvent, ctx: KindContext<E>): void;
  readonly schema?: ViewSchema;
  replicate?(state: S, out: ViewSink): void;
  /** Default: view(state).length (a view per local tick: override it when view() is costly). */
  entityCount?(state: S): number;
  /** Default: structuredClone(state). The state must then be plain data the codec keeps
   *  (objects, arrays, strings, finite numbers, booleans, null): typed arrays, Map, Set and class
   *  instances do not survive a snapshot's MessagePack bytes, so a kind holding them overrides both. */
  snapshot?(state: S): Json;
  /** Default: structuredClone(snapshot). */
  restore?(snapshot: Json): S;
  /** Entity transfers: define both or neither. Without them, a transfer from or to the kind fails with TRANSFER_UNSUPPORTED. */
  exportEntity?(state: S, id: string): Json | undefined;
  importEntity?(state: S, entity: Json, ctx: KindContext<E>): void;
}

type AnyHandler<S> = (state: S, event: RealmEvent, ctx: RealmContext) => void;

const noop = (): void => {};

function unsupported(kind: string): never {
  throw new TickverseError(ErrorCode.TRANSFER_UNSUPPORTED, `realm kind "${kind}" defines no exportEntity/importEntity`);
}

/** A RealmKind from a definition, with the defaults filled in. */
export function defineKind<S, E extends EventMap<E> = AnyEvents>(def: KindDefinition<S, E>): RealmKind<S> {
  if ((def.exportEntity === undefined) !== (def.importEntity === undefined)) {
    throw new TypeError(`realm kind "${def.name}": define both exportEntity and importEntity, or neither`);
  }
  const handlers = new Map<string, AnyHandler<S>>();
  // The one place untyped wire events meet the kind's Events map: a handler gets the type it is keyed by.
  for (const table of [def.direct, def.on]) {
    for (const [type, h] of Object.entries(table ?? {})) if (typeof h === 'function') handlers.set(type, h as AnyHandler<S>);
  }
  const other = def.onOtherEvent;
  const { exportEntity, importEntity } = def;
  const kind: RealmKind<S> = {
    name: def.name,
    subscribes: Object.keys(def.on ?? {}),
    create: (params, ctx) => def.create(params, ctx),
    tick: def.tick === undefined ? noop : (s, ctx) => def.tick!(s, ctx),
    onInput: def.onInput === undefined ? noop : (s, input, ctx) => def.onInput!(s, input, ctx),
    onEvent(s, ev, ctx) {
      const h = handlers.get(ev.type);
      if (h !== undefined) h(s, ev, ctx);
      else if (other !== undefined) other.call(def, s, ev, ctx);
    },
    view: (s) => def.view(s),
    entityCount: def.entityCount === undefined ? (s) => def.view(s).length : (s) => def.entityCount!(s),
    snapshot: def.snapshot === undefined ? (s) => structuredClone(s) as Json : (s) => def.snapshot!(s),
    restore: def.restore === undefined ? (snap) => structuredClone(snap) as S : (snap) => def.restore!(snap),
    exportEntity: exportEntity === undefined ? () => unsupported(def.name) : (s, id) => exportEntity.call(def, s, id),
    importEntity: importEntity === undefined ? () => unsupported(def.name) : (s, e, ctx) => importEntity.call(def, s, e, ctx),
    transfers: exportEntity !== undefined,
  };
  if (def.schema !== undefined) Object.assign(kind, { schema: def.schema });
  if (def.replicate !== undefined) {
    const replicate = def.replicate;
    Object.assign(kind, { replicate: (s: S, out: ViewSink) => replicate.call(def, s, out) });
  }
  return Object.freeze(kind);
}
