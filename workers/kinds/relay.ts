// The generic realm for games registered without hosted code: the game's own server or
// clients drive it with inputs. {set: entity} upserts an entity, {remove: id} deletes one,
// {emit: {type, to?, selector?, data?}} sends a cross-realm event, {leave: true} removes the
// player's entities (the gateway sends it when a player leaves). An entity belongs to the
// player that created it: others cannot change or remove it (entities without an owner — arrived
// by transfer, or saved before owners existed — are open to all), unless the realm was registered
// with `params: {shared: true}` (any player may act on any entity; nothing is removed on leave).
// Received events are counted and the last few are kept (they also reach gateway subscribers).
import type { EntityView } from '../../protocol/realm.js';
import { toSelector } from '../../protocol/stat7.js';
import type { Json } from '../realm.js';
import { defineKind } from '../define-kind.js';

interface RelayState {
  entities: Record<string, EntityView>;
  order: string[];
  received: number;
  lastEvents: { type: string; from: string; seq: number }[];
  /** Entity id → the player that created it (absent: arrived by transfer, or saved before owners existed). */
  owners?: Record<string, string>;
  shared?: boolean;
}

const MAX_ENTITIES = 10_000;

function isRecord(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The fields a `set` gives (flat values only); those it leaves out are kept (a merge, docs/gateway.md). */
function toEntity(v: { [k: string]: Json }): (Partial<EntityView> & { id: string }) | null {
  if (typeof v.id !== 'string' || v.id.length === 0 || v.id.length > 128) return null;
  const e: Partial<EntityView> & { id: string } = { id: v.id };
  for (const [k, val] of Object.entries(v)) {
    if (k === 'id' || (k === 'kind' && typeof val !== 'string')) continue;
    if (typeof val === 'number' || typeof val === 'string' || typeof val === 'boolean') e[k] = val;
  }
  return e;
}

function removeEntity(s: RelayState, id: string): void {
  delete s.entities[id];
  if (s.owners !== undefined) delete s.owners[id];
  s.order = s.order.filter((x) => x !== id);
}

/** Whether `player` may change entity `id`: a new id, or one it created (entities without an owner are open to all). */
function mayAct(s: RelayState, player: string, id: string): boolean {
  const owner = s.owners?.[id];
  return s.shared === true || s.entities[id] === undefined || owner === undefined || owner === player;
}

export default defineKind<RelayState>({
  name: 'relay',
  create: (params) => ({ entities: {}, order: [], received: 0, lastEvents: [], owners: {}, ...(params.shared === true ? { shared: true } : {}) }),
  // No subscriptions of its own (a registration's `subscribe` adds them): every event lands here.
  onOtherEvent(s, ev) {
    s.received++;
    s.lastEvents.push({ type: ev.type, from: ev.from, seq: ev.seq });
    if (s.lastEvents.length > 20) s.lastEvents.shift();
  },
  onInput(s, input, ctx) {
    const d = input.data;
    const player = input.player;
    if (!isRecord(d)) return;
    if (isRecord(d.set)) {
      const e = toEntity(d.set);
      if (e !== null && mayAct(s, player, e.id) && (s.entities[e.id] !== undefined || s.order.length < MAX_ENTITIES)) {
        if (s.entities[e.id] === undefined) {
          s.order.push(e.id);
          (s.owners ??= {})[e.id] = player;
        }
        s.entities[e.id] = { ...(s.entities[e.id] ?? { id: e.id, kind: 'entity', x: 0, y: 0 }), ...e } as EntityView;
      }
    }
    if (typeof d.remove === 'string' && s.entities[d.remove] !== undefined && mayAct(s, player, d.remove)) removeEntity(s, d.remove);
    if (isRecord(d.emit) && typeof d.emit.type === 'string') {
      const e = d.emit;
      const type = e.type as string;
      const data = e.data ?? null;
      if (typeof e.to === 'string') ctx.emit({ type, data, to: e.to });
      else if (isRecord(e.selector)) ctx.emit({ type, data, selector: toSelector(e.selector) });
      else ctx.emit({ type, data });
    }
    if (isRecord(d.transfer) && typeof d.transfer.id === 'string' && typeof d.transfer.to === 'string') {
      const id = d.transfer.id;
      // Leaves at the end of this control tick, into realm `to` (on any node of the multiverse).
      if (s.entities[id] !== undefined && mayAct(s, player, id)) ctx.transfer(id, d.transfer.to);
    }
    if (d.leave === true && s.shared !== true && s.owners !== undefined) {
      const gone = new Set<string>();
      for (const [id, owner] of Object.entries(s.owners)) if (owner === player) gone.add(id);
      if (gone.size > 0) {
        for (const id of gone) {
          delete s.entities[id];
          delete s.owners[id];
        }
        s.order = s.order.filter((id) => !gone.has(id));
      }
    }
  },
  view: (s) => s.order.map((id) => s.entities[id]!),
  entityCount: (s) => s.order.length,
  exportEntity(s, id) {
    const e = s.entities[id];
    if (e === undefined) return undefined;
    removeEntity(s, id);
    return e as unknown as Json;
  },
  importEntity(s, entity) {
    if (!isRecord(entity)) return;
    const e = toEntity(entity);
    if (e === null || s.entities[e.id] !== undefined) return;
    s.entities[e.id] = Object.assign({ id: e.id, kind: 'entity', x: 0, y: 0 }, e) as EntityView;
    s.order.push(e.id);
  },
});
