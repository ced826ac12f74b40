// Where a realm's acknowledged operations and snapshots live so that any node can take it over
// (docs/scale-out.md § Failover): a JetStream stream of inputs, one subject per realm, and a KV
// bucket with each realm's latest snapshot and the last stream sequence that snapshot includes.
import type { NatsConnection } from '@nats-io/transport-node';
import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { decode, encode } from '../protocol/codec.js';
import { realmKey, type RemoteTransfer } from '../protocol/cluster.js';

export interface JournaledInput {
  player: string;
  data: unknown;
  /** The owner's epoch when it acknowledged the input. */
  epoch: number;
}

export interface RealmSnapshot {
  epoch: number;
  /** Stream sequence of the last input the snapshot includes (0: none). */
  journalSeq: number;
  /** The shard's snapshot envelope (engine.exportRealm) and the state hash it had. */
  host: Uint8Array;
  hash: number;
  /** Transfers out of the realm that its state no longer holds and no destination has confirmed (docs/scale-out.md § Transfers). */
  outbox?: RemoteTransfer[];
  /** Ids of the latest transfers that landed in it (the state holds them): a retry of one is answered, not applied again. */
  landed?: string[];
}

/** A stored snapshot and the KV revision it is at: the next write must name it. */
export interface StoredSnapshot {
  snap: RealmSnapshot;
  revision: number;
}

export class ClusterStore {
  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly snaps: KV,
    private readonly stream: string,
    private readonly prefix: string,
  ) {}

  static async open(nc: NatsConnection, prefix: string): Promise<ClusterStore> {
    const jsm = await jetstreamManager(nc);
    const stream = `${prefix}-journal`;
    const subjects = [`${prefix}.journal.>`];
    try {
      await jsm.streams.info(stream);
    } catch {
      // Direct gets read one realm's inputs after a sequence without a consumer.
      await jsm.streams.add({ name: stream, subjects, allow_direct: true }).catch(async (e: unknown) => {
        if (!/already in use|exists/i.test((e as Error).message)) throw e;
      });
    }
    const snaps = await new Kvm(nc).create(`${prefix}-snapshots`, { history: 1 });
    return new ClusterStore(jetstream(nc), jsm, snaps, stream, prefix);
  }

  private subject(realmId: string): string {
    return `${this.prefix}.journal.${realmKey(realmId)}`;
  }

  /** Appends an input; resolves with its stream sequence once JetStream has stored it. */
  async append(realmId: string, rec: JournaledInput): Promise<number> {
    return (await this.js.publish(this.subject(realmId), encode(rec))).seq;
  }

  /** The realm's inputs after stream sequence `after`, in order. */
  async inputsAfter(realmId: string, after: number): Promise<{ seq: number; rec: JournaledInput }[]> {
    const out: { seq: number; rec: JournaledInput }[] = [];
    let seq = after + 1;
    for (;;) {
      const m = await this.jsm.direct.getMessage(this.stream, { seq, next_by_subj: this.subject(realmId) });
      if (m === null) return out;
      out.push({ seq: m.seq, rec: decode<JournaledInput>(m.data) });
      seq = m.seq + 1;
    }
  }

  /**
   * Writes a snapshot over the one at `revision` (0: there is none yet); resolves with the new
   * revision, or null when the stored one moved on (another node wrote there: this writer is fenced).
   */
  async putSnapshot(realmId: string, s: RealmSnapshot, revision: number): Promise<number | null> {
    const key = realmKey(realmId);
    try {
      return revision === 0 ? await this.snaps.create(key, encode(s)) : await this.snaps.update(key, encode(s), revision);
    } catch (e) {
      if (e instanceof JetStreamApiError && (e.code === JetStreamApiCodes.StreamWrongLastSequence || e.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)) return null;
      throw e;
    }
  }

  async snapshot(realmId: string): Promise<StoredSnapshot | null> {
    const e = await this.snaps.get(realmKey(realmId));
    return e === null || e.operation !== 'PUT' ? null : { snap: decode<RealmSnapshot>(e.value), revision: e.revision };
  }

  async forget(realmId: string): Promise<void> {
    await this.snaps.delete(realmKey(realmId)).catch(() => undefined);
    await this.jsm.streams.purge(this.stream, { filter: this.subject(realmId) }).catch(() => undefined);
  }
}
