// Token and origin checks shared by the WebSocket and HTTP sides.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ResolvedGatewayOptions } from './options.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison against the configured token; always false when none is configured. */
export function tokenMatches(given: unknown, expected: string | null): boolean {
  if (expected === null || typeof given !== 'string' || given.length === 0 || given.length > 1024) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearer(header: string): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m === null ? null : m[1]!;
}

/**
 * Whether a browser on `origin` may open a WebSocket. No Origin header (non-browser clients) is
 * allowed; "same-origin" compares the origin's host with the Host header.
 */
export function originAllowed(origin: string, host: string, allowed: ResolvedGatewayOptions['allowedOrigins']): boolean {
  if (origin === '' || allowed === '*') return true;
  const o = origin.toLowerCase();
  if (allowed === 'same-origin') {
    try {
      return new URL(o).host === host.toLowerCase();
    } catch {
      return false;
    }
  }
  return allowed.includes(o);
}
