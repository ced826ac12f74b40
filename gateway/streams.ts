// Realm state streams. Each tick a watched realm's shard sends a bundle: the encoded frame of
// every stream that changed (the whole realm, or each area-of-interest cell), published once
// each to its own uWS topic — never encoded per client. uWS hands a subscriber everything
// published to its topics in one event-loop turn as one write. A member of a realm with cells
// follows the cells around its focus: its own player entity (the shard reports where tracked
// players stand), or a point it set with `focus`; as the focus moves it is resubscribed and
// told (`cells` push), and each cell it starts following is brought up to date from the cache.
import type { TemplatedApp } from 'uWebSockets.js';
import type { Engine } from '../engine/index.js';
import type { Conn } from './connection.js';
import type { Flow } from './flow.js';
import type { GatewayLogger } from './logger.js';
import { encode } from './codec.js';
import { CellStream } from './cell-stream.js';
import { readBundle } from '../protocol/state-bundle.js';
import { cellOfKey, streamKey } from '../protocol/state-wire.js';
import { cellsAround, halfCellOf } from '../protocol/interest.js';
import type { LiveStats } from './stats.js';
import { publishTopic, subscribeTopic, unsubscribeTopic } from './text-mode.js';

export { stateTopic } from './cell-stream.js';

/** A member's interest in one realm. */
interface Member {
  /** A point the client set; null = follow its own player entity. */
  focus: [number, number] | null;
  /** Stream keys followed ('' = the whole realm). */
  cells: Set<string>;
  /** Whether it was sent its cells yet (realms with cells only). */
  told: boolean;
}

interface RealmStream {
  readonly realm: string;
  readonly members: Map<Conn, Member>;
  /** Member by session, for the players the shard reports. */
  readonly bySession: Map<string, Conn>;
  readonly unwatch: () => void;
  /** Cell size (0: whole-realm streams), as the registration gave it and the shard's bundles confirm. */
  cellSize: number;
  readonly streams: Map<string, CellStream>;
  /** Where tracked players' entities stand: player id → [hx, hy] in half cells. */
  readonly players: Map<string, [number, number]>;
  /** When a keyframe was last asked for (0 = none outstanding). */
  keyRequestedAt: number;
}

/** Ask the engine for a realm-wide keyframe at most this often while one is outstanding. */
const KEYFRAME_RETRY_MS = 1000;

export class RealmStreams {
  private readonly realms = new Map<string, RealmStream>();

  constructor(
    private readonly app: TemplatedApp,
    private readonly engine: Engine,
    private readonly stats: LiveStats,
    private readonly cacheLimit: number,
    private readonly log: GatewayLogger,
    private readonly flow: Flow,
    /** A member follows the block of 2 × radius + 1 cells a side around its focus (protocol/interest.ts). */
    private readonly radius: number,
  ) {}

  get size(): number {
    return this.realms.size;
  }

  members(realm: string): number {
    return this.realms.get(realm)?.members.size ?? 0;
  }

  /** Joins a connection to a realm's state (the realm must exist: the caller checked); `cellSize` from its RealmInfo. */
  join(conn: Conn, realm: string, cellSize: number): void {
    if (conn.ws === null) return;
    let s = this.realms.get(realm);
    if (s === undefined) {
      const unwatch = this.engine.watch(realm); // the engine's first watch makes the realm send keyframes
      s = { realm, members: new Map(), bySession: new Map(), unwatch, cellSize, streams: new Map(), players: new Map(), keyRequestedAt: Date.now() };
      this.realms.set(realm, s);
      this.log.debug({ realm }, 'realm stream started');
    }
    const m: Member = { focus: null, cells: new Set(), told: false };
    s.members.set(conn, m);
    s.bySession.set(conn.session, conn);
    conn.realms.add(realm);
    this.refocus(s, conn, m);
  }

  leave(conn: Conn, realm: string): boolean {
    if (!conn.realms.delete(realm)) return false;
    const s = this.realms.get(realm);
    if (s !== undefined) {
      const m = s.members.get(conn);
      if (m !== undefined) for (const k of m.cells) this.unfollow(s, conn, k);
      this.release(s, conn);
    }
    return true;
  }

  /** A closed connection: uWS already dropped its topics; forget it everywhere. */
  dropConn(conn: Conn): void {
    for (const realm of conn.realms) {
      const s = this.realms.get(realm);
      if (s === undefined) continue;
      for (const k of s.members.get(conn)?.cells ?? []) s.streams.get(k)?.subs.delete(conn);
      this.release(s, conn);
    }
    conn.realms.clear();
    conn.missedFrom.clear();
  }

  /** The realm went away: every member leaves; returns them so the caller can tell them. */
  realmGone(realm: string): Conn[] {
    const s = this.realms.get(realm);
    if (s === undefined) return [];
    const members = [...s.members.keys()];
    for (const c of members) {
      for (const k of s.members.get(c)!.cells) this.unfollow(s, c, k);
      c.realms.delete(realm);
    }
    s.members.clear();
    this.realms.delete(realm);
    this.stopWatching(s);
    return members;
  }

  /** A realm's bundle from the engine: cache each frame, then publish its bytes to the stream's subscribers. */
  onState(realm: string, bytes: Uint8Array): void {
    const s = this.realms.get(realm);
    if (s === undefined) return;
    const b = readBundle(bytes);
    if (b === null) {
      this.log.warn({ realm, bytes: bytes.length }, 'malformed state bundle from the engine');
      return;
    }
    if (b.cellSize !== s.cellSize) {
      s.cellSize = b.cellSize;
      for (const [c, m] of s.members) this.refocus(s, c, m);
    }
    for (const mv of b.moves) {
      s.players.set(mv.id, mv.half);
      const c = s.bySession.get(mv.id);
      const m = c === undefined ? undefined : s.members.get(c);
      if (m !== undefined && m.focus === null) this.refocus(s, c!, m);
    }
    for (const f of b.frames) {
      if (f.key) s.keyRequestedAt = 0;
      const cs = this.stream(s, streamKey(f.cell ?? undefined));
      cs.take(f);
      if (cs.broken) this.askKeyframe(s);
      // Subscribers this frame would take over the soft backpressure limit stop receiving state frames first.
      const recipients = this.flow.beforeState(cs.subs, f.bytes.length);
      publishTopic(this.app, cs.topic, f.bytes);
      cs.published++;
      this.stats.framesPublished++;
      this.stats.framesSent += recipients;
    }
  }

  /** `focus` op: follow the cells around a point, or (null) the client's own player entity again. */
  focus(conn: Conn, realm: string, point: [number, number] | null): void {
    const s = this.realms.get(realm);
    const m = s?.members.get(conn);
    if (s === undefined || m === undefined) return;
    m.focus = point;
    this.refocus(s, conn, m);
  }

  /** The cells a member follows now (for the `focus` reply). */
  cellsOf(conn: Conn, realm: string): [number, number][] {
    const m = this.realms.get(realm)?.members.get(conn);
    return m === undefined ? [] : [...m.cells].filter((k) => k !== '').map(cellOfKey);
  }

  /**
   * A connection went over the backpressure limit: stop sending it state frames (it stays a
   * member, so the engine keeps the realm watched) and remember where each stream was.
   */
  suspend(conn: Conn): void {
    for (const realm of conn.realms) {
      const s = this.realms.get(realm);
      if (s === undefined) continue;
      for (const k of s.members.get(conn)?.cells ?? []) {
        const cs = s.streams.get(k);
        if (cs === undefined) continue;
        unsubscribeTopic(conn, cs.topic);
        conn.missedFrom.set(cs.topic, cs.published);
      }
    }
  }

  /** Counts (and clears) the frames a suspended connection missed, e.g. before it is closed. */
  settleMissed(conn: Conn): number {
    let missed = 0;
    for (const realm of conn.realms) {
      const s = this.realms.get(realm);
      if (s === undefined) continue;
      for (const k of s.members.get(conn)?.cells ?? []) {
        const cs = s.streams.get(k);
        const from = cs === undefined ? undefined : conn.missedFrom.get(cs.topic);
        if (cs !== undefined && from !== undefined) missed += cs.published - from;
      }
    }
    conn.missedFrom.clear();
    this.stats.framesDropped += missed;
    return missed;
  }

  /** A suspended connection drained: count what it missed, resubscribe, and resend each stream's current picture. */
  resume(conn: Conn): number {
    const missed = this.settleMissed(conn);
    for (const realm of conn.realms) {
      const s = this.realms.get(realm);
      if (s === undefined) continue;
      for (const k of s.members.get(conn)?.cells ?? []) {
        // A picture did not fit: lagging again, every stream is resent on the next drain.
        if (conn.lagging) return missed;
        const cs = this.stream(s, k);
        subscribeTopic(conn, cs.topic);
        this.bringUpToDate(s, conn, cs);
      }
    }
    return missed;
  }

  /** A client noticed a gap and asked for a keyframe: every stream it follows in the realm is resent. */
  keyframe(conn: Conn, realm: string): void {
    const s = this.realms.get(realm);
    // A lagging connection gets every stream's picture when it drains; nothing to send now.
    if (s === undefined || conn.lagging) return;
    for (const k of s.members.get(conn)?.cells ?? []) this.bringUpToDate(s, conn, this.stream(s, k));
  }

  close(): void {
    for (const s of this.realms.values()) this.stopWatching(s);
    this.realms.clear();
  }

  /** Recomputes a member's cells from its focus; follows new ones, drops old ones, and tells it. */
  private refocus(s: RealmStream, conn: Conn, m: Member): void {
    const want = this.interest(s, conn, m);
    const before = m.cells;
    const same = want.size === before.size && [...want].every((k) => before.has(k));
    if (same && (m.told || s.cellSize <= 0)) return;
    for (const k of before) if (!want.has(k)) this.unfollow(s, conn, k);
    m.cells = want;
    if (s.cellSize > 0) {
      m.told = true;
      // Before the new cells' pictures, so the client drops left cells' entities first.
      this.flow.send(conn, encode({ op: 'cells', realm: s.realm, size: s.cellSize, cells: [...want].map(cellOfKey) }), false);
    }
    for (const k of want) if (!before.has(k)) this.follow(s, conn, k);
  }

  private interest(s: RealmStream, conn: Conn, m: Member): Set<string> {
    if (s.cellSize <= 0) return new Set(['']);
    const at = m.focus !== null ? [halfCellOf(m.focus[0], s.cellSize), halfCellOf(m.focus[1], s.cellSize)] : s.players.get(conn.session);
    return at === undefined ? new Set() : cellsAround(at[0]!, at[1]!, this.radius);
  }

  private follow(s: RealmStream, conn: Conn, k: string): void {
    const cs = this.stream(s, k);
    cs.subs.add(conn);
    // A lagging connection gets this stream (with the others) when it catches up.
    if (conn.lagging) {
      conn.missedFrom.set(cs.topic, cs.published);
      return;
    }
    subscribeTopic(conn, cs.topic);
    this.bringUpToDate(s, conn, cs);
  }

  private unfollow(s: RealmStream, conn: Conn, k: string): void {
    const cs = s.streams.get(k);
    if (cs === undefined) return;
    cs.subs.delete(conn);
    conn.missedFrom.delete(cs.topic);
    unsubscribeTopic(conn, cs.topic);
  }

  private stream(s: RealmStream, k: string): CellStream {
    let cs = s.streams.get(k);
    if (cs === undefined) s.streams.set(k, (cs = new CellStream(s.realm, k, this.cacheLimit)));
    return cs;
  }

  private bringUpToDate(s: RealmStream, conn: Conn, cs: CellStream): void {
    if (conn.ws === null || conn.lagging) return;
    let frames: Uint8Array[] | null = null;
    try {
      frames = cs.picture();
    } catch (e) {
      this.log.warn({ realm: s.realm, stream: cs.streamKey, error: (e as Error).message }, 'cannot compact cached state frames');
    }
    if (frames !== null) {
      // Not fitting makes the connection lag: it gets the picture when it drains.
      if (this.flow.sendPicture(conn, frames)) this.stats.framesSent += frames.length;
      return;
    }
    // A cell nobody has been in has no frames and needs none: its first frame is a keyframe.
    if (cs.started || s.cellSize <= 0) this.askKeyframe(s);
  }

  private askKeyframe(s: RealmStream): void {
    const now = Date.now();
    if (s.keyRequestedAt !== 0 && now - s.keyRequestedAt <= KEYFRAME_RETRY_MS) return;
    s.keyRequestedAt = now;
    this.engine.requestKeyframe(s.realm);
  }

  private release(s: RealmStream, conn: Conn): void {
    s.members.delete(conn);
    if (s.bySession.get(conn.session) === conn) s.bySession.delete(conn.session);
    if (s.members.size > 0) return;
    this.realms.delete(s.realm);
    this.stopWatching(s);
    this.log.debug({ realm: s.realm }, 'realm stream stopped');
  }

  private stopWatching(s: RealmStream): void {
    try {
      s.unwatch();
    } catch {
      // engine stopped or realm gone
    }
  }
}

