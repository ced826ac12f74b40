// The engine's side of cross-node transfers (engine/remote.ts, the router's `away` hook), against
// real shard threads, with a peer that stands in for the cluster layer (the cluster itself, on a
// real nats-server, is tests/cluster-transfer.test.ts): an entity routed to another node's realm
// leaves its realm and is handed over with its data, a refusal by the peer bounces it back, an
// entity handed in lands at the next control tick, and a source shard restored after the entity
// left does not get it back from the catch-up log.
import { describe, expect, it } from 'vitest';
import type { Engine, RealmInfo } from '../engine/index.js';
import type { RemoteEvent, TransferOut } from '../protocol/cluster.js';
import { probeKind, startEngine, untilTick } from './helpers.js';

const ids = async (engine: Engine, realm: string): Promise<string[]> => (await engine.entities(realm)).map((e) => e.id).sort();

/** A peer that takes transfers to `accept` and keeps what it was given. */
type Seen = TransferOut & { bounced: boolean };

function peer(accept: Set<string>): { taken: Seen[]; refused: Seen[]; hooks: Parameters<Engine['attachRemote']>[0] } {
  const taken: Seen[] = [];
  const refused: Seen[] = [];
  return {
    taken,
    refused,
    hooks: {
      unicast: (_to: string, _ev: RemoteEvent) => undefined,
      fanout: (_ev: RemoteEvent) => undefined,
      epochOf: () => 1,
      transfer: (t: TransferOut, bounced: boolean) => {
        (accept.has(t.to) ? taken : refused).push({ ...t, bounced });
        return accept.has(t.to);
      },
    },
  };
}

async function probe(engine: Engine, id: string, entities: { id: string; x?: number }[]): Promise<RealmInfo> {
  return engine.register({ realm_id: id, game_id: 'remote', kind: 'probe', params: { entities } });
}

describe('transfers to and from other nodes (engine side)', () => {
  it('hands an entity to another node, bounces one the peer refuses, and lands one handed in', async () => {
    const engine = await startEngine({ shards: 2, mode: 'max', kindModules: [probeKind] });
    const p = peer(new Set(['far']));
    const remote = engine.attachRemote(p.hooks);
    await probe(engine, 'first', []); // so that a's slot is not 0
    await probe(engine, 'a', [{ id: 'hero', x: 3 }, { id: 'gem', x: 4 }]);
    remote.setRemoteRealms(['far', 'closed']);
    const reports: { transfers: number; bounced: number }[] = [];
    engine.on('controlTick', (i) => reports.push({ transfers: i.transfers, bounced: i.bounced }));

    engine.transfer('hero', 'a', 'far');
    await untilTick(engine, 'hero handed over', () => p.taken.length === 1);
    expect(p.taken[0]).toMatchObject({ from: 'a', to: 'far', entityId: 'hero', entity: { id: 'hero', x: 3 }, bounced: false });
    // The source's local tick when it left.
    expect(p.taken[0]!.tick).toBeGreaterThan(0);
    expect(p.taken[0]!.tick).toBeLessThanOrEqual(engine.get('a').localTick);
    await engine.onControlTick(engine.controlTick + 1);
    expect(await ids(engine, 'a')).toEqual(['gem']);
    expect(reports.reduce((n, r) => n + r.transfers, 0)).toBe(1);

    // Refused by the peer: back in its source, counted as bounced, never in none.
    engine.transfer('gem', 'a', 'closed');
    await untilTick(engine, 'gem refused', () => p.refused.length === 1);
    await untilTick(engine, 'gem back in a', () => engine.get('a').entities === 1 && reports.some((r) => r.bounced > 0));
    expect(await ids(engine, 'a')).toEqual(['gem']);
    expect(engine.stats().transfersBounced).toBe(1);

    // From another node into a: routed at the next control tick, imported by the kind.
    expect(remote.transferIn('far', 'a', 'orb', { id: 'orb', x: 9 })).toBe(true);
    expect(remote.transferIn('far', 'nowhere', 'orb2', { id: 'orb2' })).toBe(false);
    await untilTick(engine, 'orb in a', () => engine.get('a').entities === 2);
    expect(await ids(engine, 'a')).toEqual(['gem', 'orb']);

    // Handed in to a realm that stops taking anything before the tick closes: it goes back to
    // the node it came from, marked as bounced.
    expect(remote.transferIn('far', 'first', 'ore', { id: 'ore' })).toBe(true);
    const gone = engine.unregister('first');
    await untilTick(engine, 'ore sent back', () => p.taken.length === 2);
    await gone;
    expect(p.taken[1]).toMatchObject({ from: 'far', to: 'far', entityId: 'ore', entity: { id: 'ore' }, bounced: true });
  });

  it('a source shard restored from before the entity left does not get it back from the catch-up log', async () => {
    const engine = await startEngine({ shards: 2, mode: 'max', ticksPerControl: 2, snapshotEvery: 50, maxRestarts: 5, kindModules: [probeKind] });
    const p = peer(new Set(['far']));
    const remote = engine.attachRemote(p.hooks);
    const a = await probe(engine, 'a', [{ id: 'hero' }, { id: 'gem' }]);
    remote.setRemoteRealms(['far']);
    await untilTick(engine, 'a snapshot', () => engine.stats().lastSnapshot !== null, 400);
    const snapshotTick = engine.stats().lastSnapshot!.controlTick;
    engine.transfer('hero', 'a', 'far');
    await untilTick(engine, 'hero handed over', () => p.taken.length === 1);
    await engine.onControlTick(engine.controlTick + 1);
    expect(engine.stats().lastSnapshot!.controlTick).toBe(snapshotTick);

    engine.killShard(a.shard);
    await untilTick(engine, 'a running again', () => engine.stats().shardRestarts === 1 && engine.get('a').state === 'running');
    await engine.onControlTick(engine.controlTick + 1);
    expect(await ids(engine, 'a')).toEqual(['gem']);
    // Handed over once: the replay does not give it to the peer again.
    expect(p.taken.length).toBe(1);
  });
});

describe('a realm exported between a transfer request and its control tick', () => {
  it('carries the transfer: the adopting engine hands the entity over at its first round end', async () => {
    // Long rounds (10 local ticks at 20 Hz: 0.5 s): the export lands mid-round, after the request.
    const opts = { shards: 1, mode: 'realtime' as const, tickHz: 20, ticksPerControl: 10, kindModules: [probeKind] };
    const src = await startEngine(opts);
    await probe(src, 'a', [{ id: 'hero' }, { id: 'gem' }]);
    await probe(src, 'b', []);
    src.transfer('hero', 'a', 'b');
    // The request goes in at the next barrier; once that round runs, export a mid-round.
    await src.onControlTick(src.controlTick + 1);
    const { host, hash } = await src.exportRealm('a');
    await untilTick(src, 'hero moved in the source engine', () => src.get('b').entities === 1, 5);
    expect(await ids(src, 'a')).toEqual(['gem']);

    const dst = await startEngine(opts);
    await probe(dst, 'b', []);
    const adopted = await dst.adopt({ realm_id: 'a', game_id: 'remote', kind: 'probe', params: {} }, host, hash);
    expect(adopted.hashMatches).toBe(true);
    await untilTick(dst, 'hero moved in the adopting engine', () => dst.get('b').entities === 1, 5);
    expect(await ids(dst, 'a')).toEqual(['gem']);
    expect(await ids(dst, 'b')).toEqual(['hero']);
  });
});
