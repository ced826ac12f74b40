// @ts-nocheck
// Realm state streams: one uWS topic per realm. Each frame arrives from the engine already
// encoded (a plain MessagePack StateFrame) and is published once — never encoded per client.
// The engine watches a realm while at least one client has joined it. Per realm the gateway
// keeps the last keyframe and the deltas since (ready bytes), so a late joiner or a client
// that lagged behind is brought up to date privately, without a keyframe for everyone.
import type { TemplatedApp } from 'uWebSockets.js';
import type { Engine } from '../engine/index.js';
import type { Conn } from './connection.js';
import type { Flow } from './flow.js';
import type { GatewayLogger } from './logger.js';
import type { EntityView, StateFrame } from '../protocol/realm.js';
import { decode, encode } from './codec.js';
import { peekStateFrame } from './msgpack-scan.js';
import type { LiveStats } from './stats.js';

interface Stream {
  readonly realm: string;
  readonly topic: string;
  readonly members: Set<Conn>;
  readonly unwatch: () => void;
  /** Last keyframe and the deltas that followed it, in order; null = nothing usable cached. */
  key: Uint8Array | null;
  deltas: Uint8Array[];
  cacheBytes: number;
  lastSeq: number;
  /** When a keyframe was last asked for (0 = none outstanding). */
  keyRequestedAt: number;
  /** Frames published so far (to count what a suspended member missed). */
  published: number;
}

/** A topic name that cannot collide with the subscription topics (registry, ticks, event:…, to:…). */
export const stateTopic = (realm: string): string => `state/${realm}`;

/** A joiner gets the cached keyframe and deltas as they are up to this many deltas; beyond, they are folded into one keyframe first. */
const COMPACT_AFTER_DELTAS = 4;

/** Ask the engine for a realm-wide keyframe at most this often while one is outstanding. */
const KEYFRAME_RETRY_MS = 1000;

export class RealmStreams {
  private readonly streams = new Map<string, Stream>();

  constructor(
    private readonly app: TemplatedApp,
    private readonly engine: Engine,
    private readonly stats: LiveStats,
    private readonly cacheLimit: number,
    private readonly log: GatewayLogger,
    private readonly flow: Flow,
  ) {}

  get size(): number {
    return this.streams.size;
  }

  members(realm: string): number {
    return this.streams.get(realm)?.members.size ?? 0;
  }

  /** Subscribes a connection to a realm's stream (the realm must exist: the caller checked). */
  join(conn: Conn, realm: string): void {
    const ws = conn.ws;
    if (ws === null) return;
    let s = this.streams.get(realm);
    if (s === undefined) {
      const unwatch = this.engine.watch(realm); // the engine's first watch makes the realm send a keyframe
      s = { realm, topic: stateTopic(realm), members: new Set(), unwatch, key: null, deltas: [], cacheBytes: 0, lastSeq: -1, keyRequestedAt: Date.now(), published: 0 };
      this.streams.set(realm, s);
      this.log.debug({ realm }, 'realm stream started');
    }
    s.members.add(conn);
    conn.realms.add(realm);
    // A lagging connection gets this realm (with the others) when it catches up.
    if (conn.lagging) {
      conn.missedFrom.set(realm, s.published);
      return;
    }
    ws.subscribe(s.topic);
    this.bringUpToDate(conn, s);
  }

  leave(conn: Conn, realm: string): boolean {
    if (!conn.realms.delete(realm)) return false;
    conn.missedFrom.delete(realm);
    const s = this.streams.get(realm);
    if (conn.ws !== null && s !== undefined) conn.ws.unsubscribe(s.topic);
    if (s !== undefined) this.release(s, conn);
    return true;
  }

  /** A closed connection: uWS already dropped its topics; forget it everywhere. */
  dropConn(conn: Conn): void {
    for (const realm of conn.realms) {
      const s = this.streams.get(realm);
      if (s !== undefined) this.release(s, conn);
    }
    conn.realms.clear();
  }

  /** The realm went away: every member leaves; returns them so the caller can tell them. */
  realmGone(realm: string): Conn[] {
    const s = this.streams.get(realm);
    if (s === undefined) return [];
    const members = [...s.members];
    for (const c of members) {
      c.realms.delete(realm);
      c.ws?.unsubscribe(s.topic);
    }
    s.members.clear();
    this.streams.delete(realm);
    try {
      s.unwatch();
    } catch {
      // the realm is already gone from the engine
    }
    return members;
  }

  /** A frame from the engine: cache it, then publish the same bytes to every member. */
  onState(realm: string, bytes: Uint8Array): void {
    const s = this.streams.get(realm);
    if (s === undefined) return;
    const head = peekStateFrame(bytes);
    if (head === null) {
      s.key = null;
      s.deltas = [];
      s.cacheBytes = 0;
    } else if (head.key) {
      s.key = bytes;
      s.deltas = [];
      s.cacheBytes = bytes.length;
      s.keyRequestedAt = 0;
      s.lastSeq = head.seq;
    } else {
      if (s.key !== null && head.seq === s.lastSeq + 1 && s.cacheBytes + bytes.length <= this.cacheLimit) {
        s.deltas.push(bytes);
        s.cacheBytes += bytes.length;
      } else {
        // A gap upstream (the shard dropped a frame) or the cache is full: wait for the next keyframe.
        s.key = null;
        s.deltas = [];
        s.cacheBytes = 0;
      }
      s.lastSeq = head.seq;
    }
    // Members this frame would take over the soft backpressure limit stop receiving state frames first.
    const recipients = this.flow.beforeState(s.members, bytes.length);
    this.app.publish(s.topic, bytes, true);
    s.published++;
    this.stats.framesPublished++;
    this.stats.framesSent += recipients;
  }

  /**
   * A connection went over the backpressure limit: stop sending it state frames (it stays a
   * member, so the engine keeps the realm watched) and remember where each stream was.
   */
  suspend(conn: Conn): void {
    const ws = conn.ws;
    for (const realm of conn.realms) {
      const s = this.streams.get(realm);
      if (s === undefined) continue;
      ws?.unsubscribe(s.topic);
      conn.missedFrom.set(realm, s.published);
    }
  }

  /** Counts (and clears) the frames a suspended connection missed, e.g. before it is closed. */
  settleMissed(conn: Conn): number {
    let missed = 0;
    for (const [realm, from] of conn.missedFrom) {
      const s = this.streams.get(realm);
      if (s !== undefined) missed += s.published - from;
    }
    conn.missedFrom.clear();
    this.stats.framesDropped += missed;
    return missed;
  }

  /** A suspended connection drained: count what it missed, resubscribe, and resend each realm's current picture. */
  resume(conn: Conn): number {
    const ws = conn.ws;
    const missed = this.settleMissed(conn);
    for (const realm of conn.realms) {
      // A picture did not fit: lagging again, every realm is resent on the next drain.
      if (conn.lagging) break;
      const s = this.streams.get(realm);
      if (s === undefined) continue;
      ws?.subscribe(s.topic);
      this.bringUpToDate(conn, s);
    }
    return missed;
  }

  /** A client noticed a gap and asked for a keyframe. */
  keyframe(conn: Conn, realm: string): void {
    const s = this.streams.get(realm);
    // A lagging connection gets every realm's picture when it drains; nothing to send now.
    if (s !== undefined && !conn.lagging) this.bringUpToDate(conn, s);
  }

  close(): void {
    for (const s of this.streams.values()) {
      try {
        s.unwatch();
      } catch {
        // engine already stopped
      }
    }
    this.streams.clear();
  }

  /**
   * Folds the cached deltas into one keyframe (decoded and encoded once per realm, not per
   * client), so a joiner gets one message rather than a keyframe and up to a hundred deltas.
   */
  private compact(s: Stream): void {
    if (s.key === null || s.deltas.length === 0) return;
    try {
      const key = decode(s.key) as StateFrame;
      const ents = new Map<string, EntityView>();
      for (const e of key.ents) ents.set(e.id, e);
      let last: StateFrame = key;
      for (const d of s.deltas) {
        last = decode(d) as StateFrame;
        for (const e of last.ents) ents.set(e.id, e);
        for (const id of last.gone) ents.delete(id);
      }
      const merged: StateFrame = { op: 'state', realm: key.realm, seq: last.seq, tick: last.tick, key: true, ents: [...ents.values()], gone: [], at: last.at };
      s.key = encode(merged);
      s.deltas = [];
      s.cacheBytes = s.key.length;
    } catch (e) {
      this.log.warn({ realm: s.realm, error: (e as Error).message }, 'cannot compact cached state frames');
      s.key = null;
      s.deltas = [];
      s.cacheBytes = 0;
    }
  }

  private bringUpToDate(conn: Conn, s: Stream): void {
    if (conn.ws === null || conn.lagging) return;
    if (s.deltas.length >= COMPACT_AFTER_DELTAS) this.compact(s);
    const key = s.key;
    if (key !== null && this.cacheLimit > 0) {
      const frames = [key, ...s.deltas];
      // Not fitting makes the connection lag: it gets the picture when it drains.
      if (this.flow.sendPicture(conn, frames)) this.stats.framesSent += frames.length;
      return;
    }
    const now = Date.now();
    if (s.keyRequestedAt === 0 || now - s.keyRequestedAt > KEYFRAME_RETRY_MS) {
      s.keyRequestedAt = now;
      this.engine.requestKeyframe(s.realm);
    }
  }

  private release(s: Stream, conn: Conn): void {
    s.members.delete(conn);
    if (s.members.size > 0) return;
    this.streams.delete(s.realm);
    try {
      s.unwatch();
    } catch {
      // engine stopped or realm gone
    }
    this.log.debug({ realm: s.realm }, 'realm stream stopped');
  }
}
