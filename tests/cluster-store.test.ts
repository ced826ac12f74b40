// Realm snapshots in JetStream KV are written by compare-and-set on their revision: the node
// that takes a realm over rewrites the stored snapshot first, so a late write from the old
// owner (it was cut off, then came back) is refused instead of overwriting the new owner's.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterStore, type RealmSnapshot } from '../cluster/store.js';
import { natsServerPath, startNats } from './nats-helpers.js';

const conns: NatsConnection[] = [];
afterEach(async () => {
  await Promise.all(conns.splice(0).map((c) => c.close()));
});

async function storeAt(url: string): Promise<ClusterStore> {
  const nc = await connect({ servers: url });
  conns.push(nc);
  return ClusterStore.open(nc, 'tvstore');
}

const snap = (epoch: number, hash: number): RealmSnapshot => ({ epoch, journalSeq: 0, host: new Uint8Array([1, 2, 3]), hash, outbox: [], landed: [] });

describe.skipIf(natsServerPath === null)('cluster snapshots are fenced by revision', () => {
  it('a stale owner cannot overwrite the snapshot a new owner has claimed', async () => {
    const nats = await startNats();
    const old = await storeAt(nats.url);
    const adopter = await storeAt(nats.url);

    const r1 = await old.putSnapshot('realm:x', snap(1, 10), 0);
    expect(r1).not.toBeNull();
    // A second first write (revision 0) of the same realm is refused: one creator.
    expect(await adopter.putSnapshot('realm:x', snap(1, 99), 0)).toBeNull();
    const r2 = await old.putSnapshot('realm:x', snap(1, 11), r1!);
    expect(r2).toBeGreaterThan(r1!);

    // The adopter reads the latest and claims it by rewriting it at its revision, under its epoch.
    const read = await adopter.snapshot('realm:x');
    expect(read?.snap.hash).toBe(11);
    const claimed = await adopter.putSnapshot('realm:x', { ...read!.snap, epoch: 2 }, read!.revision);
    expect(claimed).not.toBeNull();

    // The old owner's next write names the revision it last wrote: refused, nothing changed.
    expect(await old.putSnapshot('realm:x', snap(1, 12), r2!)).toBeNull();
    const now = await adopter.snapshot('realm:x');
    expect(now?.snap).toMatchObject({ epoch: 2, hash: 11 });
    expect(await adopter.putSnapshot('realm:x', snap(2, 13), claimed!)).not.toBeNull();

    // After the realm is forgotten (unregistered), it can be created afresh.
    await adopter.forget('realm:x');
    expect(await old.putSnapshot('realm:x', snap(3, 14), 0)).not.toBeNull();
  });
});
