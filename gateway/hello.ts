// The first message of every connection, WebSocket or SSE stream (docs/protocol.md § 2).
import { WIRE_VERSION, type HelloPush } from '../protocol/wire.js';
import type { Conn } from './connection.js';
import type { ResolvedGatewayOptions } from './options.js';

export function helloFor(opts: ResolvedGatewayOptions, conn: Conn, token: string, resumed: boolean, rejoined: string[]): HelloPush {
  return {
    op: 'hello',
    v: WIRE_VERSION,
    server: 'tickverse',
    session: conn.session,
    authed: conn.authed,
    ...(conn.game !== null ? { game: conn.game } : {}),
    resume: token,
    resumed,
    rejoined,
    reconnectGraceMs: opts.reconnectGraceMs,
    readNeedsToken: opts.readNeedsToken,
    limits: {
      maxPayloadBytes: opts.maxPayloadBytes,
      ratePerSec: opts.ratePerSec,
      rateBurst: opts.rateBurst,
      maxDepth: opts.maxDepth,
      maxItems: opts.maxItems,
      maxJoins: opts.maxJoins,
      maxTopics: opts.maxTopics,
      idleTimeoutMs: opts.idleTimeoutMs,
    },
  };
}
