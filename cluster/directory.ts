// The realm directory in a KV bucket: key = realm id, value = owner and epoch. A realm is
// claimed with create (only if absent) and moved with update on the revision read, so two
// nodes can never both win; the epoch grows by one at every change of owner.
import type { KV } from '@nats-io/kv';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import { decode, encode } from '../protocol/codec.js';
import { realmIdOfKey, realmKey, type OwnerRecord } from '../protocol/cluster.js';

export interface DirEntry {
  readonly rec: OwnerRecord;
  readonly revision: number;
}

export class Directory {
  private readonly cache = new Map<string, DirEntry>();
  private stopped = false;
  /** Highest directory revision applied: a rewatch resumes after it, so none is missed. */
  revision = 0;

  constructor(
    private readonly kv: KV,
    private readonly changed: (realmId: string, now: DirEntry | undefined, before: DirEntry | undefined) => void,
  ) {}

  /** Resolves once the current entries are loaded; keeps watching after that. */
  async start(): Promise<void> {
    const st = await this.kv.status();
    const last = st.values === 0 ? 0 : st.streamInfo.state.last_seq;
    let ready!: () => void;
    const loaded = new Promise<void>((r) => (ready = r));
    if (last === 0) ready();
    void this.watch(last, ready);
    await loaded;
  }

  get(realmId: string): DirEntry | undefined {
    return this.cache.get(realmId);
  }

  entries(): IterableIterator<[string, DirEntry]> {
    return this.cache.entries();
  }

  /** Claims an unowned realm for `owner` at epoch 1; DUPLICATE_REALM when any node owns it. */
  async claim(realmId: string, owner: string, registration: Record<string, unknown>): Promise<DirEntry> {
    const rec: OwnerRecord = { owner, epoch: 1, registration };
    try {
      const revision = await this.kv.create(realmKey(realmId), encode(rec));
      return this.apply(realmId, { rec, revision });
    } catch (e) {
      if (!/wrong last sequence|exists/i.test((e as Error).message)) throw e;
      throw new TickverseError(ErrorCode.DUPLICATE_REALM, `realm "${realmId}" is already registered in this multiverse`, { realmId });
    }
  }

  /** Moves `realmId` from the entry read (`from`) to `owner` at the next epoch; null when someone changed it first. */
  async takeOver(realmId: string, from: DirEntry, owner: string): Promise<DirEntry | null> {
    const rec: OwnerRecord = { ...from.rec, owner, epoch: from.rec.epoch + 1 };
    try {
      const revision = await this.kv.update(realmKey(realmId), encode(rec), from.revision);
      return this.apply(realmId, { rec, revision });
    } catch {
      return null;
    }
  }

  /** Removes the realm if `entry` is still what the directory holds. */
  async release(realmId: string, entry: DirEntry): Promise<boolean> {
    try {
      await this.kv.delete(realmKey(realmId), { previousSeq: entry.revision });
      this.apply(realmId, undefined);
      return true;
    } catch {
      return false;
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private apply(realmId: string, e: DirEntry | undefined): DirEntry {
    const before = this.cache.get(realmId);
    // A watch may bring back an older revision than one this node just wrote.
    if (e !== undefined && before !== undefined && before.revision >= e.revision) return before;
    if (e === undefined) this.cache.delete(realmId);
    else this.cache.set(realmId, e);
    this.changed(realmId, e, before);
    return e!;
  }

  private async watch(last: number, ready: () => void): Promise<void> {
    while (!this.stopped) {
      try {
        const opts = this.revision > 0 ? { key: '>', resumeFromRevision: this.revision + 1 } : { key: '>' };
        const w = await this.kv.watch(opts);
        for await (const e of w) {
          if (this.stopped) break;
          this.revision = Math.max(this.revision, e.revision);
          const id = realmIdOfKey(e.key);
          if (e.operation === 'PUT') this.apply(id, { rec: decode<OwnerRecord>(e.value), revision: e.revision });
          else if (this.cache.has(id)) this.apply(id, undefined);
          if (e.revision >= last) ready();
        }
      } catch {
        // connection lost: resume after the last revision seen
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, 100));
    }
  }
}
