// Housekeeping, every `sweepMs`: idle connections (ping at half the timeout, then 4004),
// lagging clients that drained (resume) or stayed over the limit too long (4003), player
// sessions whose reconnect grace ran out (sessions.ts). The backpressure bounds themselves
// are enforced at send time (flow.ts).
import { CloseCode } from '../protocol/wire.js';
import type { GatewayContext } from './context.js';
import { backlog } from './flow.js';

export { hardBackpressureLimit, hardPayloadLimit } from './flow.js';

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
