// @ts-nocheck
// The canonical form of an origin, shared by the option checks and the origin check.
/** `scheme://host[:port]` of a URL or Origin header (lower case, default port dropped), or null. */
export function normalizeOrigin(value: string): string | null {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return u.origin;
  } catch {
    return null;
  }
}

