// @ts-nocheck
// The Colyseus twin of Tickverse's `stress` realm kind: one room per realm, the same entity
// logic at the same tick rate. E points move on a 1000 × 1000 torus with velocities drawn
// from the same seeded generator (sfc32 seeded with fnv1a(realm id), as the engine seeds a
// realm), positions rounded to whole units as the stress kind's client view rounds them, so
// both servers send the same entity changes. State sync is @colyseus/schema: a MapSchema of
// entities {x, y}, plus `at` (server Date.now() when the patch is made) for latency.
// The room patches right after each simulation step (patchRate 0 + broadcastPatch()), as
// Tickverse sends a frame after each local tick. A cross-realm event every `emitEvery` ticks
// goes to the next room through Colyseus presence pub/sub (its cross-room channel).
import { fnv1a } from '../../../protocol/frames.js';
import { SeededRandom } from '../../../workers/random.js';
import { SIZE, stepPoint } from '../../../workers/kinds/torus.js';
import { colyseusSchema, core } from './modules.js';

const { schema } = colyseusSchema;

export const Entity = schema({ x: 'number', y: 'number' }, 'Entity');
export type Entity = InstanceType<typeof Entity>;
export const StressState = schema({ at: 'float64', tick: 'uint32', entities: { map: Entity } }, 'StressState');
export type StressState = InstanceType<typeof StressState>;

export interface StressRoomOptions {
  realmId: string;
  peer: string;
  entities: number;
  tickHz: number;
  emitEvery: number;
}

/** Counters of every room in this process, read by the harness's server process. */
export const roomCounters = { ticks: 0, entityUpdates: 0, eventsOut: 0, eventsIn: 0, patches: 0, patchSends: 0 };

const channel = (realm: string): string => `stress:${realm}`;

export class StressRoom extends core.Room<StressState> {
  private body = new Float64Array(0);
  private ents: Entity[] = [];
  private dt = 0.1;
  private emitEvery = 0;
  private peer = '';
  private tick = 0;

  override async onCreate(o: StressRoomOptions): Promise<void> {
    this.roomId = o.realmId;
    this.autoDispose = false;
    this.patchRate = 0; // no patch timer: broadcastPatch() after each step
    this.dt = 1 / o.tickHz;
    this.emitEvery = o.emitEvery;
    this.peer = o.peer;
    const rng = new SeededRandom(fnv1a(o.realmId));
    const state = new StressState();
    this.body = new Float64Array(o.entities * 4);
    for (let i = 0; i < o.entities; i++) {
      const b = this.body;
      b[i * 4] = rng.next() * SIZE;
      b[i * 4 + 1] = rng.next() * SIZE;
      b[i * 4 + 2] = (rng.next() - 0.5) * 20;
      b[i * 4 + 3] = (rng.next() - 0.5) * 20;
      const e = new Entity();
      e.x = Math.round(b[i * 4]!);
      e.y = Math.round(b[i * 4 + 1]!);
      state.entities.set(`e${i}`, e);
      this.ents.push(e);
    }
    this.state = state;
    await this.presence.subscribe(channel(o.realmId), () => {
      roomCounters.eventsIn++;
    });
    this.setSimulationInterval(() => this.step(), 1000 / o.tickHz);
  }

  private step(): void {
    const b = this.body;
    const dt = this.dt;
    const n = this.ents.length;
    for (let i = 0; i < n; i++) {
      const o = i * 4;
      stepPoint(b, o, dt);
      const e = this.ents[i]!;
      e.x = Math.round(b[o]!); // schema setters skip unchanged values: only moved entities are patched
      e.y = Math.round(b[o + 1]!);
    }
    this.tick++;
    roomCounters.ticks++;
    roomCounters.entityUpdates += n;
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
    this.broadcastPatch();
  }
}
