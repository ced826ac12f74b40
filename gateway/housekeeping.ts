// Housekeeping, every `sweepMs`: idle connections (ping at half the timeout or after 5 silent
// minutes, whichever is first; 4004 at the timeout),
// lagging clients that drained (resume) or stayed over the limit too long (4003), player
// sessions whose reconnect grace ran out (sessions.ts). The backpressure bounds themselves
// are enforced at send time (flow.ts).
import { CloseCode } from '../protocol/wire.js';
import type { GatewayContext } from './context.js';
import { backlog } from './flow.js';

export { hardBackpressureLimit, hardPayloadLimit } from './flow.js';

/** uWS's own idle timer (seconds, its maximum): see ws.ts. */
export const UWS_IDLE_TIMEOUT_S = 960;
/** A silent connection is pinged at least this often, so a live one never meets uWS's timer (also with idleTimeoutMs 0 = never). */
const KEEPALIVE_MS = 300_000;

const pingAfter = (idleTimeoutMs: number): number => (idleTimeoutMs > 0 ? Math.min(idleTimeoutMs / 2, KEEPALIVE_MS) : KEEPALIVE_MS);

export function sweep(ctx: GatewayContext, now: number): void {
  const { opts, flow } = ctx;
  const low = opts.maxBackpressureBytes / 2;
  ctx.players.sessions.sweep(now);
  for (const conn of ctx.conns) {
    const ws = conn.ws;
    if (ws === null || conn.closeReason !== null) continue;
    const buffered = backlog(conn);
    if (conn.lagging) {
      if (buffered < low) flow.recover(conn);
      else if (now - conn.lagSince > opts.slowClientMs) {
        flow.closeSlow(conn, buffered, 'lagging');
        continue;
      }
    } else if (buffered >= opts.maxBackpressureBytes) flow.startLag(conn, buffered);
    const quiet = now - conn.lastSeen;
    if (opts.idleTimeoutMs > 0 && quiet > opts.idleTimeoutMs) {
      conn.closeReason = 'idle timeout';
      ws.cork(() => ws.end(CloseCode.IDLE_TIMEOUT, 'idle timeout'));
    } else if (quiet > pingAfter(opts.idleTimeoutMs) && !conn.pinged) {
      conn.pinged = true;
      ws.cork(() => ws.ping());
    }
  }
}
