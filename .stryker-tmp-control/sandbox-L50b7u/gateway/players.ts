// @ts-nocheck
// Players per realm: connections that sent a realm inputs as themselves (their session is
// the player name). Capped per realm (PLAYER_LIMIT). When a player leaves the realm (the
// `leave` op) or disconnects, the gateway sends the realm `{leave: true}` as that player's
// input, and the kind removes the player's entities. Inputs an authenticated game server sends
// on behalf of named players are not counted: that server sends `{leave: true}` itself.
import type { Engine } from '../engine/index.js';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { Conn } from './connection.js';
import type { GatewayLogger } from './logger.js';

/** The input the gateway sends, as the player, when a player leaves a realm. */
export const LEAVE_INPUT = Object.freeze({ leave: true });

export class RealmPlayers {
  private readonly byRealm = new Map<string, Set<Conn>>();

  constructor(
    private readonly engine: Engine,
    private readonly max: number,
    private readonly log: GatewayLogger,
  ) {}

  count(realm: string): number {
    return this.byRealm.get(realm)?.size ?? 0;
  }

  /** Runs `send` (the connection's own input to `realm`) unless that would make one player too many; records the player once it went through. */
  admit<T>(conn: Conn, realm: string, send: () => T): T {
    if (conn.playing.has(realm)) return send();
    if (this.count(realm) >= this.max) {
      throw new TickverseError(ErrorCode.PLAYER_LIMIT, `realm "${realm}" has its maximum of ${this.max} players; try again when one leaves`, { limit: this.max });
    }
    const out = send(); // throws (unknown realm, payload too large …) before anything is recorded
    let set = this.byRealm.get(realm);
    if (set === undefined) this.byRealm.set(realm, (set = new Set()));
    set.add(conn);
    conn.playing.add(realm);
    return out;
  }

  /** The connection's player leaves `realm`: no longer counted, and the realm is told. */
  leave(conn: Conn, realm: string): void {
    if (!conn.playing.delete(realm)) return;
    const set = this.byRealm.get(realm);
    set?.delete(conn);
    if (set?.size === 0) this.byRealm.delete(realm);
    try {
      Promise.resolve(this.engine.input(realm, conn.session, LEAVE_INPUT)).catch(() => {});
    } catch (e) {
      // The realm is gone or the engine stopped: nothing left to clean up.
      this.log.debug({ session: conn.session, realm, error: (e as Error).message }, 'leave input not delivered');
    }
  }

  dropConn(conn: Conn): void {
    for (const realm of [...conn.playing]) this.leave(conn, realm);
  }

  /** The realm was unregistered: forget its players. */
  realmGone(realm: string): void {
    const set = this.byRealm.get(realm);
    if (set === undefined) return;
    for (const c of set) c.playing.delete(realm);
    this.byRealm.delete(realm);
  }
}
