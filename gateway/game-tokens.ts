// Game-scoped tokens (least privilege): a token that lets a game's server write to that
// game's realms only. It is derived from the admin token — HMAC-SHA256(admin token, game id) —
// so nothing is stored, it survives restarts and works for realms recovered from disk, and it
// reveals nothing about the admin token; changing the admin token revokes every game token.
// Form: "tvg." + game id + "." + 43 base64url characters (256 bits).
import { createHmac } from 'node:crypto';
import { tokenMatches } from './auth.js';

const PREFIX = 'tvg.';
const GAME_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

const mac = (adminToken: string, gameId: string): string => createHmac('sha256', adminToken).update(`tickverse game token v1\0${gameId}`, 'utf8').digest('base64url');

/** The token of game `gameId` on a server whose admin token is `adminToken`. */
export function gameToken(adminToken: string, gameId: string): string {
  return `${PREFIX}${gameId}.${mac(adminToken, gameId)}`;
}

/** The game a token is valid for, or null (not a game token, wrong, or no admin token configured). Constant time in the secret part. */
export function gameOfToken(given: unknown, adminToken: string | null): string | null {
  if (adminToken === null || typeof given !== 'string' || given.length > 1024 || !given.startsWith(PREFIX)) return null;
  const dot = given.lastIndexOf('.');
  const gameId = given.slice(PREFIX.length, dot);
  if (dot < PREFIX.length || !GAME_ID.test(gameId)) return null;
  return tokenMatches(given, gameToken(adminToken, gameId)) ? gameId : null;
}
