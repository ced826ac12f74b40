// The realm directory and node leases on a real nats-server (JetStream KV, 2.9): a realm has one
// owner however claims race, a move is compare-and-set on the revision with the epoch + 1,
// watchers recover every revision across a server restart, and a node cut off from NATS
// fences itself before any other node may call it dead.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { openBuckets } from '../cluster/buckets.js';
import { Directory, type DirEntry } from '../cluster/directory.js';
import { Membership } from '../cluster/membership.js';
import { ErrorCode } from '../protocol/errors.js';
import { until } from './gateway-helpers.js';
import { cuttableLink, natsServerPath, startNats } from './nats-helpers.js';

const conns: NatsConnection[] = [];
async function nodeConn(url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  conns.push(nc);
  return nc;
}

interface Seen {
  dir: Directory;
  revisions: number[];
}

async function directoryOf(nc: NatsConnection): Promise<Seen> {
  const { directory } = await openBuckets(nc, 'tvtest', 3000);
  const revisions: number[] = [];
  const dir = new Directory(directory, (_id, now) => {
    if (now !== undefined) revisions.push(now.revision);
  });
  await dir.start();
  return { dir, revisions };
}

describe.skipIf(natsServerPath === null)('cluster directory and leases on nats-server', () => {
  it('racing claims: exactly one owner; racing moves: exactly one wins, at epoch + 1', async () => {
    const nats = await startNats();
    const a = await directoryOf(await nodeConn(nats.url));
    const b = await directoryOf(await nodeConn(nats.url));
    const claims = await Promise.allSettled([a.dir.claim('r1', 'A', { realm_id: 'r1' }), b.dir.claim('r1', 'B', { realm_id: 'r1' })]);
    const won = claims.filter((c) => c.status === 'fulfilled') as PromiseFulfilledResult<DirEntry>[];
    const lost = claims.filter((c) => c.status === 'rejected') as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect((lost[0]!.reason as { code: string }).code).toBe(ErrorCode.DUPLICATE_REALM);
    const owner = won[0]!.value.rec.owner;
    // Both nodes converge on the one owner.
    await until('both directories agree', () => a.dir.get('r1')?.rec.owner === owner && b.dir.get('r1')?.rec.owner === owner);

    const from = a.dir.get('r1')!;
    const moves = await Promise.all([a.dir.takeOver('r1', from, 'A'), b.dir.takeOver('r1', from, 'B')]);
    const moved = moves.filter((m) => m !== null);
    expect(moved).toHaveLength(1);
    expect(moved[0]!.rec.epoch).toBe(2);
    await until('both see epoch 2', () => a.dir.get('r1')?.rec.epoch === 2 && b.dir.get('r1')?.rec.epoch === 2);
    expect(a.dir.get('r1')!.rec.owner).toBe(moved[0]!.rec.owner);
    // A move from a stale read fails: the revision moved on.
    expect(await b.dir.takeOver('r1', from, 'B')).toBeNull();
    for (const nc of conns.splice(0)) await nc.close();
  });

  it('a nats-server restart: connections come back and the watch misses no revision', async () => {
    const nats = await startNats();
    const a = await directoryOf(await nodeConn(nats.url));
    const b = await directoryOf(await nodeConn(nats.url));
    let e = await a.dir.claim('moving', 'A', { realm_id: 'moving' });
    await until('b sees the claim', () => b.dir.get('moving')?.revision === e.revision);
    await nats.stop();
    await nats.start(); // same port, same store
    const written = [e.revision];
    for (let i = 0; i < 5; i++) {
      // Writes retry until the connection is back (the first ones may meet a reconnecting client).
      const next = await until(`move ${i} after the restart`, async () => (await a.dir.takeOver('moving', e, i % 2 === 0 ? 'B' : 'A').catch(() => null)) ?? undefined, 10_000);
      written.push(next.revision);
      e = next;
    }
    await until('b catches up after the restart', () => b.dir.get('moving')?.revision === e.revision, 10_000);
    for (const r of written) expect(b.revisions).toContain(r);
    expect(b.dir.get('moving')!.rec.epoch).toBe(6);
    expect(b.dir.revision).toBe(e.revision);
    for (const nc of conns.splice(0)) await nc.close();
  });

  it('a node cut off from NATS fences itself before another node may call it dead', async () => {
    const nats = await startNats();
    const link = await cuttableLink(nats);
    const leaseMs = 900;
    const events: { what: string; at: number }[] = [];
    const member = async (nc: NatsConnection, node: string, onFence: () => void): Promise<Membership> => {
      const { nodes } = await openBuckets(nc, 'tvtest', leaseMs);
      const m = new Membership(nodes, node, leaseMs, {
        self: () => ({ url: '', realms: 0, entities: 0 }),
        fenced: onFence,
        unfenced: () => undefined,
        changed: () => undefined,
      });
      await m.start();
      return m;
    };
    const a = await member(await nodeConn(link.url), 'A', () => events.push({ what: 'A fenced', at: performance.now() }));
    const b = await member(await nodeConn(nats.url), 'B', () => events.push({ what: 'B fenced', at: performance.now() }));
    await until('B sees A alive, past one lease of watching', () => b.alive().some((n) => n.node === 'A') && !b.isDead('A') && performance.now() - b.watchingSince > leaseMs);
    await link.cut();
    const deadAt = await until('B calls A dead', () => (b.isDead('A') ? performance.now() : undefined), 10_000);
    const fenced = events.find((x) => x.what === 'A fenced');
    expect(fenced, 'A fenced itself').toBeDefined();
    expect(fenced!.at).toBeLessThan(deadAt);
    expect(events.some((x) => x.what === 'B fenced')).toBe(false);
    expect(a.isFenced).toBe(true);
    await a.stop();
    await b.stop();
    for (const nc of conns.splice(0)) await nc.close().catch(() => undefined);
  });
});
