// Housekeeping and flow control: the soft backpressure limit (state frames pause for a
// lagging connection and resume with a keyframe), slow-consumer and idle closes.
import { CloseCode } from '../protocol/wire.js';
import type { Conn } from './connection.js';
import type { GatewayContext } from './context.js';

export const hardPayloadLimit = (soft: number): number => soft + (1 << 20);
export const hardBackpressureLimit = (soft: number): number => soft * 2 + 64 * 1024;

/** Over the soft backpressure limit: state frames stop for this connection until it drains. */
export function startLag(ctx: GatewayContext, conn: Conn, buffered: number, now: number): void {
  conn.lagging = true;
  conn.lagSince = now;
  ctx.stats.lagging++;
  ctx.streams.suspend(conn);
  ctx.opts.logger.info({ session: conn.session, buffered }, 'client over the backpressure limit: state frames paused');
}

/** A lagging client drained: it missed frames, so send each joined realm's current picture. */
export function recover(ctx: GatewayContext, conn: Conn): void {
  conn.lagging = false;
  ctx.stats.lagging--;
  const missed = ctx.streams.resume(conn);
  conn.framesDropped += missed;
  ctx.opts.logger.info({ session: conn.session, missed, laggedMs: Date.now() - conn.lagSince }, 'client caught up: resent keyframes');
}

/** Housekeeping, every `sweepMs`: idle connections, and clients stuck over the backpressure limit. */
export function sweep(ctx: GatewayContext, now: number): void {
  const { opts, stats } = ctx;
  const low = opts.maxBackpressureBytes / 2;
  for (const conn of ctx.conns) {
    const ws = conn.ws;
    if (ws === null) continue;
    const buffered = ws.getBufferedAmount();
    if (conn.lagging) {
      if (buffered < low) recover(ctx, conn);
      else if (now - conn.lagSince > opts.slowClientMs) {
        stats.backpressureCloses++;
        const missed = ctx.streams.settleMissed(conn);
        conn.framesDropped += missed;
        opts.logger.warn({ session: conn.session, buffered, laggingMs: now - conn.lagSince, missed }, 'closing slow client');
        conn.closeReason = 'slow consumer';
        ws.cork(() => ws.end(CloseCode.SLOW_CONSUMER, 'too slow: over the backpressure limit'));
        continue;
      }
    } else if (buffered >= opts.maxBackpressureBytes) startLag(ctx, conn, buffered, now);
    if (opts.idleTimeoutMs > 0) {
      const quiet = now - conn.lastSeen;
      if (quiet > opts.idleTimeoutMs) {
        conn.closeReason = 'idle timeout';
        ws.cork(() => ws.end(CloseCode.IDLE_TIMEOUT, 'idle timeout'));
      } else if (quiet > opts.idleTimeoutMs / 2 && !conn.pinged) {
        conn.pinged = true;
        ws.cork(() => ws.ping());
      }
    }
  }
}
