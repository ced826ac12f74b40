// Server pushes to subscribers: registry changes, control-tick summaries and routed
// cross-realm events. Each push is encoded once and published to a uWS topic.
import type { TemplatedApp } from 'uWebSockets.js';
import type { ControlTickInfo, RoutedEvent } from '../engine/index.js';
import type { RealmChange } from '../engine/index.js';
import { Topic, type EventPush, type RegistryPush, type TickPush } from '../protocol/wire.js';
import { decode, encode } from './codec.js';
import type { Conn } from './connection.js';
import type { Flow } from './flow.js';
import { findFields } from './msgpack-scan.js';
import type { LiveStats } from './stats.js';
import { publishTopic } from './text-mode.js';

export function registryPush(change: RealmChange): Uint8Array {
  const msg: RegistryPush = { op: 'registry', change: change.change, realm: change.info };
  return encode(msg);
}

export function tickPush(info: ControlTickInfo): Uint8Array {
  const msg: TickPush = {
    op: 'tick',
    ct: info.controlTick,
    durationMs: info.durationMs,
    barrierMs: info.barrierMs,
    routeMs: info.routeMs,
    roundMs: info.roundMs,
    events: info.eventsRouted,
    deliveries: info.deliveries,
    transfers: info.transfers,
    localTicks: info.localTicks,
    entityUpdates: info.entityUpdates,
    shards: info.shards.map((s) => ({ shard: s.shard, realms: s.realms, entities: s.entities, busyMs: s.busyMs, outRingUsed: s.outRingUsed, inRingUsed: s.inRingUsed })),
  };
  return encode(msg);
}

const DATA_KEY = encode('data');

/**
 * The event push, built without decoding the event's data: the header fields are encoded as
 * a 7-entry map, then the map grows to 8 entries and the source's `data` bytes are appended
 * as they are. Falls back to decode + encode if the payload is not the usual {type, data} map.
 */
export function eventPush(ev: RoutedEvent): Uint8Array {
  const head: Omit<EventPush, 'data'> = { op: 'event', ct: ev.controlTick, from: ev.from, via: ev.via, to: ev.to, seq: ev.seq, type: ev.type };
  try {
    const fields = findFields(ev.payload, ['data'] as const);
    const range = fields?.data;
    const h = encode(head);
    if (range !== undefined && h[0] === 0x87) {
      const out = new Uint8Array(h.length + DATA_KEY.length + (range[1] - range[0]));
      out.set(h, 0);
      out[0] = 0x88;
      out.set(DATA_KEY, h.length);
      out.set(ev.payload.subarray(range[0], range[1]), h.length + DATA_KEY.length);
      return out;
    }
  } catch {
    // fall through to the slow path
  }
  const p = decode(ev.payload) as { data?: unknown } | null;
  const msg: EventPush = { ...head, data: p !== null && typeof p === 'object' ? (p.data ?? null) : null };
  return encode(msg);
}

/**
 * Subscribers per push topic, so the gateway only does work that someone receives, and checks
 * each subscriber's backlog before a push is published (flow.ts).
 */
export class PushTopics {
  private readonly subs = new Map<string, Set<Conn>>();
  private eventTopics = 0;
  private budget = 0;

  constructor(
    private readonly app: TemplatedApp,
    private readonly stats: LiveStats,
    private readonly flow: Flow,
    private readonly maxEventsPerTick: number,
    /** Called when the first event topic appears (true) or the last goes away (false). */
    private readonly onEventInterest: (interested: boolean) => void,
  ) {
    this.budget = maxEventsPerTick;
  }

  has(topic: string): boolean {
    return (this.subs.get(topic)?.size ?? 0) > 0;
  }

  add(topic: string, conn: Conn): void {
    let set = this.subs.get(topic);
    if (set === undefined) this.subs.set(topic, (set = new Set()));
    if (set.has(conn)) return;
    set.add(conn);
    if (isEventTopic(topic) && this.eventTopics++ === 0) this.onEventInterest(true);
  }

  remove(topic: string, conn: Conn): void {
    const set = this.subs.get(topic);
    if (set === undefined || !set.delete(conn)) return;
    if (set.size === 0) this.subs.delete(topic);
    if (isEventTopic(topic) && --this.eventTopics === 0) this.onEventInterest(false);
  }

  publish(topic: string, bytes: Uint8Array): void {
    const set = this.subs.get(topic);
    if (set === undefined) return;
    this.flow.beforePush(set, bytes.length);
    if (set.size > 0) publishTopic(this.app, topic, bytes);
  }

  newTick(): void {
    this.budget = this.maxEventsPerTick;
  }

  /** A routed event: encoded once, published to each interested topic. */
  routed(ev: RoutedEvent): void {
    const topics: string[] = [];
    if (this.has(Topic.ALL_EVENTS)) topics.push(Topic.ALL_EVENTS);
    const byType = Topic.EVENT_PREFIX + ev.type;
    if (this.has(byType)) topics.push(byType);
    for (const r of ev.to) {
      const t = Topic.REALM_EVENTS_PREFIX + r;
      if (this.has(t)) topics.push(t);
    }
    if (topics.length === 0) return;
    if (this.budget <= 0) {
      this.stats.eventsDropped++;
      return;
    }
    this.budget--;
    const bytes = eventPush(ev);
    for (const t of topics) this.publish(t, bytes);
    this.stats.eventsPushed++;
  }
}

function isEventTopic(t: string): boolean {
  return t.startsWith(Topic.EVENT_PREFIX) || t.startsWith(Topic.REALM_EVENTS_PREFIX);
}
