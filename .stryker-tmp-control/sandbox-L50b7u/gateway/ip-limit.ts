// @ts-nocheck
// Per-IP connection cap: open WebSockets counted per IPv4 address or IPv6 /64 (one host's
// usual allocation). Exempt addresses (loopback by default: benchmarks, a local reverse
// proxy — which must then enforce its own per-client limits) are not counted.
import { isIPv4, isIPv6 } from 'node:net';

/** Canonical text of an IP address (IPv4-mapped IPv6 → IPv4; IPv6 as 8 hex groups), or the input lower-cased. */
export function normalizeIp(address: string): string {
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  if (isIPv4(a)) return a;
  if (!isIPv6(a)) return a;
  const groups = expandIPv6(a);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`;
  }
  return groups.map((g) => g.toString(16)).join(':');
}

function expandIPv6(a: string): number[] {
  // A trailing dotted IPv4 part counts as two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  let s = a;
  if (v4 !== null) {
    const [p, q, r, t] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    s = `${a.slice(0, v4.index)}${((p << 8) | q).toString(16)}:${((r << 8) | t).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? (s.split('::') as [string, string]) : [s, null];
  const h = head === '' ? [] : head.split(':');
  const t = tail === null || tail === '' ? [] : tail.split(':');
  const zeros = tail === null ? 0 : 8 - h.length - t.length;
  return [...h, ...new Array<string>(zeros).fill('0'), ...t].map((g) => parseInt(g, 16));
}

export class IpLimits {
  private readonly open = new Map<string, number>();
  private readonly exempt: ReadonlySet<string>;

  constructor(
    private readonly max: number,
    exempt: readonly string[],
  ) {
    this.exempt = new Set(exempt.map(normalizeIp));
  }

  /** What a connection from `remote` is counted under; null when it is not limited. */
  keyFor(remote: string): string | null {
    if (this.max === 0) return null;
    const ip = normalizeIp(remote);
    if (this.exempt.has(ip)) return null;
    return isIPv6(ip) ? `${ip.split(':').slice(0, 4).join(':')}::/64` : ip;
  }

  /** Whether one more connection under `key` is allowed. */
  admits(key: string | null): boolean {
    return key === null || (this.open.get(key) ?? 0) < this.max;
  }

  opened(key: string | null): void {
    if (key !== null) this.open.set(key, (this.open.get(key) ?? 0) + 1);
  }

  closed(key: string | null): void {
    if (key === null) return;
    const n = (this.open.get(key) ?? 0) - 1;
    if (n <= 0) this.open.delete(key);
    else this.open.set(key, n);
  }

  count(key: string): number {
    return this.open.get(key) ?? 0;
  }
}
