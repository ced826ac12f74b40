// Flow control. Every send is checked against the socket's backlog first — uWS's buffered
// amount plus what was published to its topics this event-loop turn (uWS writes those at the
// end of the turn) — so a buffer never passes the hard limit and a 4003 close frame always
// fits (uWS drops any frame, the close frame too, once a buffer is over maxBackpressure).
import { CloseCode } from '../protocol/wire.js';
import type { Conn } from './connection.js';
import { toJsonText } from './text-mode.js';
import type { GatewayLogger } from './logger.js';
import type { LiveStats } from './stats.js';

/** What flow control needs of the gateway (the context, handed in by attach()). */
export interface FlowHost {
  readonly stats: LiveStats;
  readonly streams: { suspend(conn: Conn): void; resume(conn: Conn): number; settleMissed(conn: Conn): number };
  readonly opts: { readonly logger: GatewayLogger };
}

export const hardPayloadLimit = (soft: number): number => soft + (1 << 20);
export const hardBackpressureLimit = (soft: number): number => soft * 2 + 64 * 1024;
/** Headroom under the hard limit: uWS's 16 KiB cork buffer is not in getBufferedAmount, plus control frames. */
export const SEND_RESERVE = 32 * 1024;

let turn = 0;
let turnScheduled = false;
function currentTurn(): number {
  if (!turnScheduled) {
    turnScheduled = true;
    setImmediate(() => {
      turn++;
      turnScheduled = false;
    });
  }
  return turn;
}

/** Bytes the socket holds or is about to get this turn. */
export function backlog(conn: Conn): number {
  const ws = conn.ws;
  if (ws === null) return 0;
  const t = currentTurn();
  if (conn.queuedTurn !== t) {
    conn.queuedTurn = t;
    conn.queued = 0;
  }
  return ws.getBufferedAmount() + conn.queued;
}

export class Flow {
  private ctx: FlowHost | null = null;
  readonly soft: number;
  /** The most a backlog may reach through our sends. */
  readonly room: number;

  constructor(soft: number) {
    this.soft = soft;
    this.room = hardBackpressureLimit(soft) - SEND_RESERVE;
  }

  attach(ctx: FlowHost): void {
    this.ctx = ctx;
  }

  /** Before a state frame goes to a realm's members: those it would take over the soft limit stop getting state frames. Returns the recipients. */
  beforeState(members: Iterable<Conn>, size: number): number {
    let n = 0;
    for (const c of members) {
      if (c.lagging || c.ws === null) continue;
      const b = backlog(c);
      // An empty buffer takes any frame: otherwise a frame over the limit would never arrive.
      if (b > 0 && b + size > this.soft) {
        this.startLag(c, b);
        continue;
      }
      c.queued += size;
      n++;
    }
    return n;
  }

  /** Before a push goes to a topic's subscribers: those it would take past the hard room are closed (4003). */
  beforePush(subscribers: Iterable<Conn>, size: number): void {
    for (const c of subscribers) {
      if (c.ws === null) continue;
      const b = backlog(c);
      if (b > 0 && b + size > this.room) this.closeSlow(c, b, 'pushes');
      else c.queued += size;
    }
  }

  /** A private message (hello, reply, left push): sent if it fits, else the client is closed as too slow. */
  send(conn: Conn, bytes: Uint8Array, corked: boolean): boolean {
    const ws = conn.ws;
    if (ws === null) return false;
    const b = backlog(conn);
    if (b > 0 && b + bytes.length > this.room) {
      this.closeSlow(conn, b, 'replies');
      return false;
    }
    const out = conn.text ? toJsonText(bytes) : bytes;
    if (corked) ws.send(out, !conn.text);
    else ws.cork(() => ws.send(out, !conn.text));
    return true;
  }

  /** A realm picture (keyframe + deltas): sent if it fits; else the connection lags and gets it once it drains. */
  sendPicture(conn: Conn, frames: readonly Uint8Array[]): boolean {
    const ws = conn.ws;
    if (ws === null) return false;
    let size = 0;
    for (const f of frames) size += f.length;
    const b = backlog(conn);
    if (b > 0 && b + size > this.room) {
      if (!conn.lagging) this.startLag(conn, b);
      return false;
    }
    ws.cork(() => {
      for (const f of frames) ws.send(conn.text ? toJsonText(f) : f, !conn.text);
    });
    return true;
  }

  /** Over the soft backpressure limit: state frames stop for this connection until it drains. */
  startLag(conn: Conn, buffered: number): void {
    const ctx = this.ctx!;
    conn.lagging = true;
    conn.lagSince = Date.now();
    ctx.stats.lagging++;
    ctx.streams.suspend(conn);
    ctx.opts.logger.info({ session: conn.session, buffered }, 'client over the backpressure limit: state frames paused');
  }

  /** A lagging client drained: it missed frames, so send each joined realm's current picture. */
  recover(conn: Conn): void {
    const ctx = this.ctx!;
    conn.lagging = false;
    ctx.stats.lagging--;
    const lagged = Date.now() - conn.lagSince;
    const missed = ctx.streams.resume(conn);
    conn.framesDropped += missed;
    ctx.opts.logger.info({ session: conn.session, missed, laggedMs: lagged }, 'client caught up: resent keyframes');
  }

  /** Close 4003: the close frame fits, since no send of ours took the buffer past the hard room. */
  closeSlow(conn: Conn, buffered: number, why: string): void {
    const ctx = this.ctx!;
    const ws = conn.ws;
    if (ws === null || conn.closeReason !== null) return;
    ctx.stats.backpressureCloses++;
    const missed = ctx.streams.settleMissed(conn);
    conn.framesDropped += missed;
    ctx.opts.logger.warn({ session: conn.session, buffered, laggingMs: conn.lagging ? Date.now() - conn.lagSince : 0, missed, why }, 'closing slow client');
    conn.closeReason = 'slow consumer';
    ws.cork(() => ws.end(CloseCode.SLOW_CONSUMER, 'too slow: over the backpressure limit'));
  }
}
