// The Colyseus twin of Tickverse's `stress` realm kind, written as a Colyseus 0.18 developer
// would: the same entity logic at the same tick rate, state sync through @colyseus/schema 5.
// E points move on a 1000 × 1000 torus with velocities from the same seeded generator (sfc32
// seeded with fnv1a(realm id), as the engine seeds a realm), positions rounded to whole units
// (uint16 fields) as the stress kind's schema sends them, so both servers send the same entity
// changes. `at` (server Date.now() when the patch is made) and `tick` ride in the shared part of
// every patch, for latency and gap detection. The room patches right after each step
// (patchRate 0 + broadcastPatch()), as Tickverse sends a frame after each local tick.
//
// - StressRoom (realms layout): one room per realm, every client sees every entity; a
//   cross-realm event every `emitEvery` ticks goes to the next room through presence pub/sub.
// - OpenRoom (open world): one room, the entities map tagged `.view()`, a StateView per client
//   holding the entities in the cells around its focus point (the same cells a Tickverse
//   client follows), kept up to date as entities cross cells: Colyseus 0.18's interest management.
import { Room, type Client } from '@colyseus/core';
import { schema, StateView, t } from '@colyseus/schema';
import { fnv1a } from '../../../protocol/frames.js';
import { SeededRandom } from '../../../workers/random.js';
import { SIZE, stepPoint } from '../../../workers/kinds/torus.js';
import { cellKey, cellOf, cellsAround } from '../interest.js';

export const Entity = schema({ x: t.uint16(), y: t.uint16() }, 'Entity');
export type Entity = InstanceType<typeof Entity>;
export const StressState = schema({ at: t.float64(), tick: t.uint32(), entities: t.map(Entity) }, 'StressState');
export type StressState = InstanceType<typeof StressState>;
export const OpenState = schema({ at: t.float64(), tick: t.uint32(), entities: t.map(Entity).view() }, 'OpenState');
export type OpenState = InstanceType<typeof OpenState>;

export interface StressRoomOptions {
  realmId: string;
  peer: string;
  entities: number;
  tickHz: number;
  emitEvery: number;
}

export interface OpenRoomOptions {
  realmId: string;
  entities: number;
  tickHz: number;
  /** Cell size in world units. */
  cell: number;
}

/** What a client of the open world asks for when it joins: the point it focuses on. */
export interface OpenJoinOptions {
  x: number;
  y: number;
}

/** Counters of every room in this process, read by the harness's server process. */
export const roomCounters = { ticks: 0, entityUpdates: 0, eventsOut: 0, eventsIn: 0, patches: 0, patchSends: 0, viewAdds: 0, viewRemoves: 0, patchMs: 0 };

const channel = (realm: string): string => `stress:${realm}`;

/**
 * Seconds a reserved seat waits for its WebSocket (Colyseus's default is 15). An overloaded
 * room's event loop can take longer than that to accept a connection; the harness measures
 * the overloaded room rather than refusing its clients.
 */
const SEAT_RESERVATION_S = 120;

/** The stress kind's bodies for a realm: x, y, vx, vy per point, from the realm's seeded generator. */
function bodies(realmId: string, n: number): Float64Array {
  const rng = new SeededRandom(fnv1a(realmId));
  const b = new Float64Array(n * 4);
  for (let i = 0; i < n * 4; i += 4) {
    b[i] = rng.next() * SIZE;
    b[i + 1] = rng.next() * SIZE;
    b[i + 2] = (rng.next() - 0.5) * 20;
    b[i + 3] = (rng.next() - 0.5) * 20;
  }
  return b;
}

/** Fills a state's entity map from the bodies; returns the entities in body order. */
function spawn(body: Float64Array, entities: { set(key: string, e: Entity): unknown }): Entity[] {
  const out: Entity[] = [];
  for (let i = 0; i < body.length / 4; i++) {
    const e = new Entity();
    e.x = Math.round(body[i * 4]!);
    e.y = Math.round(body[i * 4 + 1]!);
    entities.set(`e${i}`, e);
    out.push(e);
  }
  return out;
}

/** Moves every body one step and writes the rounded positions (schema setters skip unchanged values: only moved entities are patched). */
function step(body: Float64Array, ents: readonly Entity[], dt: number): void {
  for (let i = 0; i < ents.length; i++) {
    const o = i * 4;
    stepPoint(body, o, dt);
    const e = ents[i]!;
    e.x = Math.round(body[o]!);
    e.y = Math.round(body[o + 1]!);
  }
}

export class StressRoom extends Room<{ state: StressState }> {
  private body: Float64Array = new Float64Array(0);
  private ents: Entity[] = [];
  private dt = 0.1;
  private emitEvery = 0;
  private peer = '';
  private tick = 0;

  override async onCreate(o: StressRoomOptions): Promise<void> {
    this.roomId = o.realmId;
    this.autoDispose = false;
    this.seatReservationTimeout = SEAT_RESERVATION_S;
    this.patchRate = 0; // no patch timer: broadcastPatch() after each step
    this.dt = 1 / o.tickHz;
    this.emitEvery = o.emitEvery;
    this.peer = o.peer;
    const state = new StressState();
    this.body = bodies(o.realmId, o.entities);
    this.ents = spawn(this.body, state.entities);
    this.state = state;
    await this.presence.subscribe(channel(o.realmId), () => {
      roomCounters.eventsIn++;
    });
    // A fixed dt per step, as the engine's local tick (setTimestep's measured delta is not used).
    this.setTimestep(() => this.step(), 1000 / o.tickHz);
  }

  private step(): void {
    step(this.body, this.ents, this.dt);
    this.tick++;
    roomCounters.ticks++;
    roomCounters.entityUpdates += this.ents.length;
    if (this.emitEvery > 0 && this.tick % this.emitEvery === 0) {
      roomCounters.eventsOut++;
      void this.presence.publish(channel(this.peer), this.tick);
    }
    const state = this.state;
    state.tick = this.tick;
    state.at = Date.now();
    if (this.clients.length > 0) {
      roomCounters.patches++;
      roomCounters.patchSends += this.clients.length;
    }
    const t0 = performance.now();
    this.broadcastPatch();
    roomCounters.patchMs += performance.now() - t0;
  }
}

/** A client of the open world: its view and the cells it follows. */
interface Viewer {
  client: Client;
  view: StateView;
  cells: number[];
}

export class OpenRoom extends Room<{ state: OpenState }> {
  private body: Float64Array = new Float64Array(0);
  private ents: Entity[] = [];
  private dt = 0.1;
  private tick = 0;
  private size = 1;
  /** Each entity's cell (cellKey). */
  private cellOfEnt = new Float64Array(0);
  /** Entities per cell, and the viewers following each cell. */
  private readonly inCell = new Map<number, Set<number>>();
  private readonly following = new Map<number, Viewer[]>();
  private readonly viewers = new Map<string, Viewer>();

  override onCreate(o: OpenRoomOptions): void {
    this.roomId = o.realmId;
    this.autoDispose = false;
    this.seatReservationTimeout = SEAT_RESERVATION_S;
    this.patchRate = 0;
    this.dt = 1 / o.tickHz;
    this.size = o.cell;
    const state = new OpenState();
    this.body = bodies(o.realmId, o.entities);
    this.ents = spawn(this.body, state.entities);
    this.cellOfEnt = new Float64Array(this.ents.length);
    this.ents.forEach((e, i) => {
      const k = cellKey(cellOf(e.x, this.size), cellOf(e.y, this.size));
      this.cellOfEnt[i] = k;
      this.cellSet(k).add(i);
    });
    this.state = state;
    this.setTimestep(() => this.step(), 1000 / o.tickHz);
  }

  override onJoin(client: Client, options: OpenJoinOptions): void {
    const view = new StateView();
    client.view = view;
    const x = Number(options?.x) || 0;
    const y = Number(options?.y) || 0;
    const cells = cellsAround(x, y, this.size).map(([cx, cy]) => cellKey(cx, cy));
    const viewer: Viewer = { client, view, cells };
    for (const k of cells) {
      let list = this.following.get(k);
      if (list === undefined) this.following.set(k, (list = []));
      list.push(viewer);
      for (const i of this.inCell.get(k) ?? []) view.add(this.ents[i]!);
    }
    this.viewers.set(client.sessionId, viewer);
  }

  override onLeave(client: Client): void {
    const viewer = this.viewers.get(client.sessionId);
    if (viewer === undefined) return;
    this.viewers.delete(client.sessionId);
    for (const k of viewer.cells) {
      const list = this.following.get(k);
      const at = list?.indexOf(viewer) ?? -1;
      if (at >= 0) list!.splice(at, 1);
    }
    viewer.view.dispose();
  }

  private cellSet(k: number): Set<number> {
    let s = this.inCell.get(k);
    if (s === undefined) this.inCell.set(k, (s = new Set()));
    return s;
  }

  private step(): void {
    step(this.body, this.ents, this.dt);
    const size = this.size;
    for (let i = 0; i < this.ents.length; i++) {
      const e = this.ents[i]!;
      const k = cellKey(cellOf(e.x, size), cellOf(e.y, size));
      const was = this.cellOfEnt[i]!;
      if (k === was) continue;
      this.cellOfEnt[i] = k;
      this.inCell.get(was)?.delete(i);
      this.cellSet(k).add(i);
      // Viewers of the old cell that do not follow the new one stop seeing it, and the other way round.
      const before = this.following.get(was);
      const after = this.following.get(k);
      if (before !== undefined) {
        for (const v of before) {
          if (after?.includes(v) === true) continue;
          v.view.remove(e);
          roomCounters.viewRemoves++;
        }
      }
      if (after !== undefined) {
        for (const v of after) {
          if (before?.includes(v) === true) continue;
          v.view.add(e);
          roomCounters.viewAdds++;
        }
      }
    }
    this.tick++;
    roomCounters.ticks++;
    roomCounters.entityUpdates += this.ents.length;
    const state = this.state;
    state.tick = this.tick;
    state.at = Date.now();
    if (this.clients.length > 0) {
      roomCounters.patches++;
      roomCounters.patchSends += this.clients.length;
    }
    const t0 = performance.now();
    this.broadcastPatch();
    roomCounters.patchMs += performance.now() - t0;
  }
}
