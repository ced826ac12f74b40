// Players per realm: a player (gateway/sessions.ts; its session id is the player name) holds a
// seat in each realm it sent inputs to as itself, whichever of its connections sent them.
// Capped per realm (PLAYER_LIMIT). A seat ends when the player sends the `leave` op for the
// realm, or when its session ends (its last connection closed and the reconnect grace ran
// out): then the gateway sends the realm `{leave: true}` as that player, and the kind removes
// the player's entities. Inputs an authenticated game server sends on behalf of named players
// are not counted: that server sends `{leave: true}` itself.
import type { Engine } from '../engine/index.js';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { RealmInfo } from '../protocol/realm.js';
import type { Conn } from './connection.js';
import type { GatewayLogger } from './logger.js';
import type { ResolvedGatewayOptions } from './options.js';
import { PlayerSessions } from './sessions.js';

/** The input the gateway sends, as the player, when a player leaves a realm. */
export const LEAVE_INPUT = Object.freeze({ leave: true });

export type PlayerOptions = Pick<ResolvedGatewayOptions, 'maxPlayersPerRealm' | 'reconnectGraceMs' | 'maxConnectionsPerPlayer'>;

export class RealmPlayers {
  /** Realm → names of the players seated there, and player name → its realms. */
  private readonly byRealm = new Map<string, Set<string>>();
  private readonly seats = new Map<string, Set<string>>();
  private readonly max: number;
  readonly sessions: PlayerSessions;

  constructor(
    private readonly engine: Engine,
    opts: PlayerOptions,
    private readonly log: GatewayLogger,
  ) {
    this.max = opts.maxPlayersPerRealm;
    this.sessions = new PlayerSessions(opts.reconnectGraceMs, opts.maxConnectionsPerPlayer, (name) => this.releaseAll(name));
  }

  count(realm: string): number {
    return this.byRealm.get(realm)?.size ?? 0;
  }

  /** Whether player `name` holds a seat in `realm`. */
  seated(name: string, realm: string): boolean {
    return this.seats.get(name)?.has(realm) ?? false;
  }

  /** Runs `send` (the connection's own input to `realm`) unless that would make one player too many; seats the player once it went through. */
  admit<T>(conn: Conn, realm: string, send: () => T): T {
    const name = conn.session;
    if (this.seated(name, realm)) return send();
    if (this.count(realm) >= this.max) {
      throw new TickverseError(ErrorCode.PLAYER_LIMIT, `realm "${realm}" has its maximum of ${this.max} players; try again when one leaves`, { limit: this.max });
    }
    const out = send(); // throws (unknown realm, payload too large …) before anything is recorded
    let set = this.byRealm.get(realm);
    if (set === undefined) this.byRealm.set(realm, (set = new Set()));
    set.add(name);
    let mine = this.seats.get(name);
    if (mine === undefined) this.seats.set(name, (mine = new Set()));
    mine.add(realm);
    return out;
  }

  /** The connection's player leaves `realm` (the `leave` op): no longer counted, and the realm is told. */
  leave(conn: Conn, realm: string): void {
    this.release(conn.session, realm);
  }

  /** The player's session ended: it leaves every realm it is seated in. */
  releaseAll(name: string): void {
    for (const realm of [...(this.seats.get(name) ?? [])]) this.release(name, realm);
  }

  /** Of `realms`, the first `max` still registered (a resume rejoins them). */
  stillThere(realms: readonly string[], max: number): RealmInfo[] {
    const out: RealmInfo[] = [];
    for (const r of realms) {
      if (out.length >= max) break;
      try {
        out.push(this.engine.get(r));
      } catch {
        // unregistered while the player was away
      }
    }
    return out;
  }

  /** The realm was unregistered: forget its players. */
  realmGone(realm: string): void {
    const set = this.byRealm.get(realm);
    if (set === undefined) return;
    for (const name of set) this.unseat(name, realm);
    this.byRealm.delete(realm);
  }

  private release(name: string, realm: string): void {
    if (!this.seated(name, realm)) return;
    this.unseat(name, realm);
    const set = this.byRealm.get(realm);
    set?.delete(name);
    if (set?.size === 0) this.byRealm.delete(realm);
    try {
      Promise.resolve(this.engine.input(realm, name, LEAVE_INPUT)).catch(() => {});
    } catch (e) {
      // The realm is gone or the engine stopped: nothing left to clean up.
      this.log.debug({ session: name, realm, error: (e as Error).message }, 'leave input not delivered');
    }
  }

  private unseat(name: string, realm: string): void {
    const mine = this.seats.get(name);
    mine?.delete(realm);
    if (mine?.size === 0) this.seats.delete(name);
  }
}
