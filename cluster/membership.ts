// Node leases in a KV bucket. Each node rewrites its record every lease/3; others watch the
// bucket and call a node dead when they have not seen it renewed for a whole lease. A node
// whose renewals fail stops acting (`fenced`) at 60% of the lease after the last renewal it
// *sent* that succeeded: every watcher saw that write at or after it was sent, so none can
// call the node dead — let alone claim its realms — before it has stopped (docs/scale-out.md).
import type { KV } from '@nats-io/kv';
import { decode, encode } from '../protocol/codec.js';
import type { NodeRecord } from '../protocol/cluster.js';

const now = (): number => performance.now();

export interface MembershipHooks {
  /** This node's record as of now (realms, entities, url). */
  self(): Omit<NodeRecord, 'beat' | 'node' | 'startedAt'>;
  /** The node could not renew in time: stop every realm it owns, now. */
  fenced(): void;
  /** Renewals succeed again after a fence: the node may own realms again. */
  unfenced(): void;
  changed(): void;
}

export class Membership {
  private readonly seen = new Map<string, { rec: NodeRecord; at: number }>();
  private beat = 0;
  private lastOk = now();
  /** Since when this node's view of the others is continuous (a rewatch restarts it). */
  watchingSince = now();
  isFenced = false;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private readonly startedAt = Date.now();

  constructor(
    private readonly kv: KV,
    readonly node: string,
    private readonly leaseMs: number,
    private readonly hooks: MembershipHooks,
  ) {}

  async start(): Promise<void> {
    await this.renew();
    void this.watch();
    this.timers.push(setInterval(() => void this.renew(), Math.max(50, Math.floor(this.leaseMs / 3))));
    this.timers.push(setInterval(() => this.check(), Math.max(20, Math.floor(this.leaseMs / 10))));
  }

  /** Renews now, so a changed record (the gateway's url once it listens) is seen without waiting a beat. */
  announce(): Promise<void> {
    return this.renew();
  }

  /** Nodes heard from within a lease, this one included unless fenced; sorted by id. */
  alive(): NodeRecord[] {
    const t = now();
    const out: NodeRecord[] = [];
    for (const [id, s] of this.seen) if (id === this.node ? !this.isFenced : t - s.at <= this.leaseMs) out.push(s.rec);
    return out.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  }

  /** True when `node` has been silent for a whole lease of continuous watching: its realms may be claimed. */
  isDead(node: string): boolean {
    if (node === this.node || this.isFenced) return false;
    const t = now();
    if (t - this.watchingSince <= this.leaseMs) return false;
    const s = this.seen.get(node);
    return s === undefined || t - s.at > this.leaseMs;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.kv.delete(this.node).catch(() => undefined);
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    const sent = now();
    const rec: NodeRecord = { ...this.hooks.self(), node: this.node, startedAt: this.startedAt, beat: ++this.beat };
    try {
      await this.kv.put(this.node, encode(rec));
    } catch {
      return; // counted by check(): no renewal within the lease fences the node
    }
    if (sent > this.lastOk) this.lastOk = sent;
    if (this.isFenced) {
      this.isFenced = false;
      // What was seen while cut off is no evidence: a new continuous view starts now.
      this.watchingSince = now();
      for (const [, s] of this.seen) s.at = now();
      this.hooks.unfenced();
    }
  }

  private check(): void {
    if (this.stopped) return;
    if (!this.isFenced && now() - this.lastOk > this.leaseMs * 0.6) {
      this.isFenced = true;
      this.hooks.fenced();
    }
    this.hooks.changed();
  }

  private async watch(): Promise<void> {
    while (!this.stopped) {
      try {
        const w = await this.kv.watch({ key: '>' });
        // A new watch starts a new continuous view: nobody is called dead on what was missed.
        this.watchingSince = now();
        for (const [, s] of this.seen) s.at = now();
        for await (const e of w) {
          if (this.stopped) break;
          if (e.operation === 'PUT') this.seen.set(e.key, { rec: decode<NodeRecord>(e.value), at: now() });
          else this.seen.delete(e.key);
          this.hooks.changed();
        }
      } catch {
        // the connection dropped: watch again once it is back
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, 100));
    }
  }
}
