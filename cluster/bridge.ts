// Cross-node events on NATS subjects: what a control tick routes to other nodes is batched
// per destination node and published once after the tick closes; what arrives is held until
// this node's next control tick closes, then injected just before that tick's batch is routed
// (so it goes with it), in (source node, source control tick, source realm, sequence) order.
// Events from a stale owner (epoch below the directory's) and repeats of a (source, sequence)
// already delivered are dropped.
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { decode, encode } from '../protocol/codec.js';
import type { EventBatch, RemoteEvent } from '../protocol/cluster.js';
import type { Remote } from '../engine/remote.js';

export interface BridgeCounters {
  sent: number;
  received: number;
  stale: number;
  duplicate: number;
}

export class Bridge {
  private readonly out = new Map<string, RemoteEvent[]>();
  private inbox: EventBatch[] = [];
  private readonly lastSeq = new Map<string, number>();
  private sub: Subscription | null = null;
  readonly counters: BridgeCounters = { sent: 0, received: 0, stale: 0, duplicate: 0 };

  constructor(
    private readonly nc: NatsConnection,
    private readonly prefix: string,
    private readonly node: string,
    /** The directory's current epoch of a realm (0: unknown). */
    private readonly epochOf: (realmId: string) => number,
  ) {}

  subject(node: string): string {
    return `${this.prefix}.events.${node}`;
  }

  start(): void {
    this.sub = this.nc.subscribe(this.subject(this.node), {
      callback: (err, msg) => {
        if (err !== null) return;
        try {
          this.inbox.push(decode<EventBatch>(msg.data));
        } catch {
          // not a batch: ignored (nothing on this subject is ours to answer)
        }
      },
    });
  }

  /** Queues an event for `node`, sent when the current control tick closes. */
  queue(node: string, ev: RemoteEvent): void {
    let list = this.out.get(node);
    if (list === undefined) this.out.set(node, (list = []));
    list.push(ev);
  }

  /** After a control tick closed: one message per destination node. */
  flush(controlTick: number): void {
    for (const [node, events] of this.out) {
      if (events.length === 0) continue;
      const batch: EventBatch = { node: this.node, controlTick, events };
      this.nc.publish(this.subject(node), encode(batch));
      this.counters.sent += events.length;
    }
    this.out.clear();
  }

  /** Injects what arrived since the last call, in the documented order. */
  deliver(remote: Remote): void {
    if (this.inbox.length === 0) return;
    const batches = this.inbox.sort((a, b) => cmp(a.node, b.node) || a.controlTick - b.controlTick);
    this.inbox = [];
    const events: RemoteEvent[] = [];
    for (const b of batches) {
      const sorted = b.events.slice().sort((x, y) => cmp(x.from ?? '', y.from ?? '') || x.seq - y.seq);
      for (const ev of sorted) {
        this.counters.received++;
        if (ev.from !== null && ev.epoch < this.epochOf(ev.from)) {
          this.counters.stale++;
          continue;
        }
        // A realm's sequence restarts nowhere: restored from a snapshot it continues from there.
        const key = ev.from === null ? `@${b.node}` : ev.from;
        const last = this.lastSeq.get(key) ?? -1;
        if (ev.seq <= last && ev.seq !== 0) {
          this.counters.duplicate++;
          continue;
        }
        this.lastSeq.set(key, ev.seq);
        events.push(ev);
      }
    }
    remote.inject(events);
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
