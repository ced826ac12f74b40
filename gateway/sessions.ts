// Player sessions: a player identity that outlives one connection. The first connection gets
// a player name (its session id, public: entity ids carry it) and a secret resume token; a
// connection opened with `?resume=<token>` within the grace window is the same player again
// (same name, so the realm kinds keep its entities). When the last connection of a player
// closes, its seats are kept for `reconnectGraceMs`; the housekeeping sweep ends sessions
// whose grace ran out, and the caller (players.ts) sends their realms `{leave: true}`.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Conn } from './connection.js';

export interface PlayerSession {
  /** The player name: the session id in `hello`, the player of this player's inputs. */
  readonly name: string;
  /** SHA-256 of the resume secret; the secret itself is only ever in the `hello` push. */
  readonly secretHash: Buffer;
  readonly conns: Set<Conn>;
  /** Realms the player's last closed connection had joined: the next resume rejoins them. */
  joined: string[];
  /** When its last connection closed (grace running), or null while it has one. */
  orphanedAt: number | null;
}

/** Resume token: the player name, ".", 256 random bits (base64url). */
const SECRET_BYTES = 32;
const TOKEN_RE = /^(s[A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export class PlayerSessions {
  private readonly byName = new Map<string, PlayerSession>();
  /** Sessions without a connection (grace running): what the sweep looks at. */
  private readonly orphans = new Set<PlayerSession>();

  constructor(
    private readonly graceMs: number,
    /** 0 = no limit. */
    readonly maxConns: number,
    /** A session ended (grace over, or no grace): release what the player held. */
    private readonly onEnd: (name: string) => void,
  ) {}

  get size(): number {
    return this.byName.size;
  }

  /** The live session a resume token names, or null (malformed, unknown, ended, wrong secret). */
  find(token: string | null): PlayerSession | null {
    if (token === null) return null;
    const m = TOKEN_RE.exec(token);
    if (m === null) return null;
    const s = this.byName.get(m[1]!);
    // Constant-time on the secret; the name part is public anyway.
    if (s === undefined || !timingSafeEqual(sha256(m[2]!), s.secretHash)) return null;
    return s;
  }

  /** Whether player `name` still has a session (connected, or in its grace). */
  alive(name: string): boolean {
    return this.byName.has(name);
  }

  /** Whether `s` already has its maximum of open connections. */
  full(s: PlayerSession): boolean {
    return this.maxConns > 0 && s.conns.size >= this.maxConns;
  }

  /**
   * An opened connection joins its player: the session `resumed` (found at the upgrade, the
   * token given) or a new one named after the connection. Returns the realms to rejoin and the
   * resume token for the connection's `hello` (the one given, or a new one).
   */
  attach(conn: Conn, resumed: { session: PlayerSession; token: string } | null): { rejoin: string[]; token: string } {
    let s = resumed !== null && this.byName.get(resumed.session.name) === resumed.session ? resumed.session : null;
    let rejoin: string[] = [];
    let token: string;
    if (s !== null) {
      token = resumed!.token;
      rejoin = s.joined;
      s.joined = [];
    } else {
      const secret = randomBytes(SECRET_BYTES).toString('base64url');
      s = { name: conn.session, secretHash: sha256(secret), conns: new Set(), joined: [], orphanedAt: null };
      this.byName.set(s.name, s);
      token = `${s.name}.${secret}`;
    }
    s.conns.add(conn);
    s.orphanedAt = null;
    this.orphans.delete(s);
    conn.player = s;
    return { rejoin, token };
  }

  /** A connection closed: its realms are remembered; the player's grace starts when it was the last (ends now when `now` is null: no one can come back). */
  detach(conn: Conn, now: number | null): void {
    const s = conn.player;
    conn.player = null;
    if (s === null || !s.conns.delete(conn)) return;
    s.joined = [...conn.realms];
    if (s.conns.size > 0) return;
    if (now === null || this.graceMs === 0) this.end(s);
    else {
      s.orphanedAt = now;
      this.orphans.add(s);
    }
  }

  /** Housekeeping: ends sessions whose grace is over. */
  sweep(now: number): void {
    for (const s of this.orphans) {
      if (s.orphanedAt !== null && now - s.orphanedAt >= this.graceMs) this.end(s);
    }
  }

  private end(s: PlayerSession): void {
    this.byName.delete(s.name);
    this.orphans.delete(s);
    this.onEnd(s.name);
  }
}
