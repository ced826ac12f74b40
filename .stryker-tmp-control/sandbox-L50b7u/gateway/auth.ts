// @ts-nocheck
// Token and origin checks shared by the WebSocket and HTTP sides.
import { normalizeOrigin } from './origin.js';
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

/** A Host header naming this server by address (localhost or an IP literal): no DNS name to rebind. */
function addressHost(host: string): boolean {
  try {
    const name = new URL(`http://${host}`).hostname;
    return name === 'localhost' || /^\d+\.\d+\.\d+\.\d+$/.test(name) || name.startsWith('[');
  } catch {
    return false;
  }
}

/**
 * Whether a browser on `origin` may open a WebSocket; full origins (scheme, host, port) are
 * compared. No Origin header (non-browser clients) is allowed. "same-origin": the configured
 * public origin; without one, `http://<Host>` — and only when Host is localhost or an IP
 * literal, since a DNS name in Host may be a rebinding attack.
 */
export function originAllowed(origin: string, host: string, allowed: ResolvedGatewayOptions['allowedOrigins'], publicOrigin: string | null = null): boolean {
  if (origin === '' || allowed === '*') return true;
  const o = normalizeOrigin(origin);
  if (o === null) return false;
  if (allowed !== 'same-origin') return allowed.includes(o);
  if (publicOrigin !== null) return o === publicOrigin;
  return addressHost(host) && o === normalizeOrigin(`http://${host}`);
}
