// Failover on a real nats-server: `kill -9` one of three engine processes and its realms are
// owned and running on the others within 5 s, with every acknowledged input in their state
// (the same state hash as a single engine given the same inputs), and never two nodes running
// one realm at a sampled moment.
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { describe, expect, it } from 'vitest';
import { decode } from '../protocol/codec.js';
import type { OwnerRecord } from '../protocol/cluster.js';
import type { EntityView, RealmInfo } from '../protocol/realm.js';
import { getJson, until } from './gateway-helpers.js';
import { startEngine } from './helpers.js';
import { auth, health, startNode, untilMesh, type NodeProc } from './cluster-helpers.js';
import { natsServerPath, startNats } from './nats-helpers.js';

const inputOf = (i: number): unknown => ({ set: { id: i % 3 === 0 ? 'counter' : `e${i}`, n: i, x: i, y: 1 } });

async function running(n: NodeProc, realmId: string): Promise<RealmInfo | null> {
  if (n.proc.exitCode !== null || n.proc.signalCode !== null) return null;
  const r = await getJson(`${n.url}/api/realms/${realmId}`).catch(() => null);
  return r?.status === 200 && (r.body as RealmInfo).state === 'running' ? (r.body as RealmInfo) : null;
}

describe.skipIf(natsServerPath === null)('scale-out: failover', () => {
  it('kill -9 a node: its realms run elsewhere within 5 s, nothing acknowledged lost, never two owners', async () => {
    const nats = await startNats();
    const env = { TICKVERSE_LEASE_MS: '1500', TICKVERSE_CLUSTER_SNAPSHOT_MS: '200', TICKVERSE_HASH_EVERY: '1' };
    const nodes = await Promise.all(['n1', 'n2', 'n3'].map((id) => startNode(nats.url, id, env)));
    await untilMesh(nodes);
    const ids = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'];
    for (const id of ids) expect((await getJson(`${nodes[0]!.url}/api/realms`, { method: 'POST', headers: auth, body: JSON.stringify({ realm_id: id, game_id: 'g' }) })).status).toBe(201);
    const owner = new Map<string, NodeProc>();
    for (const id of ids) for (const n of nodes) if ((await running(n, id)) !== null) owner.set(id, n);
    const victim = owner.get('f0')!;
    const victimRealms = ids.filter((id) => owner.get(id) === victim);
    expect(victimRealms.length).toBe(2);

    // Acknowledged inputs: half before a cluster snapshot (every 200 ms), half just before the kill.
    const N = 30;
    const send = async (i: number): Promise<void> => {
      for (const id of victimRealms) {
        const r = await getJson(`${victim.url}/api/realms/${id}/input`, { method: 'POST', headers: auth, body: JSON.stringify({ player: 'p', data: inputOf(i) }) });
        expect(r.status).toBe(202);
      }
    };
    for (let i = 0; i < N / 2; i++) await send(i);
    const nc = await connect({ servers: nats.url });
    // A cluster snapshot that includes inputs lands for each realm (then the rest come after it).
    const snaps = await new Kvm(nc).open('tickverse-snapshots');
    await until('a cluster snapshot with inputs in it', async () => {
      for (const id of victimRealms) {
        const e = await snaps.get(id);
        if (e === null || e.operation !== 'PUT' || decode<{ journalSeq: number }>(e.value).journalSeq === 0) return false;
      }
      return true;
    }, 10_000);

    // Every revision of the directory, for the epochs.
    const dir = await new Kvm(nc).open('tickverse-directory');
    const history: { key: string; rec: OwnerRecord }[] = [];
    const watch = await dir.watch({ key: '>' });
    void (async () => {
      for await (const e of watch) if (e.operation === 'PUT') history.push({ key: e.key, rec: decode<OwnerRecord>(e.value) });
    })();
    for (let i = N / 2; i < N; i++) await send(i);

    const killedAt = performance.now();
    victim.proc.kill('SIGKILL');
    const survivors = nodes.filter((n) => n !== victim);
    let doubleOwned = 0;
    const moved = await until('the victim\'s realms run on other nodes', async () => {
      const found: RealmInfo[] = [];
      for (const id of victimRealms) {
        const on = (await Promise.all(survivors.map((n) => running(n, id)))).filter((x) => x !== null);
        if (on.length > 1) doubleOwned++;
        if (on.length === 1) found.push(on[0]!);
      }
      return found.length === victimRealms.length ? found : undefined;
    }, 5_000);
    const tookMs = performance.now() - killedAt;
    expect(doubleOwned).toBe(0);
    expect(tookMs).toBeLessThan(5_000);

    // The state is the last acknowledged one: the same as one engine given the same inputs.
    const ref = await startEngine({ shards: 1, mode: 'max', hashEvery: 1 });
    await ref.register({ realm_id: 'ref', game_id: 'g' });
    for (let i = 0; i < N; i++) await ref.input('ref', 'p', inputOf(i));
    await ref.onControlTick(ref.controlTick + 3);
    const want = (await ref.entities('ref')).sort((a, b) => a.id.localeCompare(b.id));
    for (const info of moved) {
      const holder = (await Promise.all(survivors.map(async (n) => ((await running(n, info.realmId)) !== null ? n : null)))).find((x) => x !== null)!;
      const ents = (await getJson(`${holder.url}/api/realms/${info.realmId}/entities`)).body as EntityView[];
      expect(ents.sort((a, b) => a.id.localeCompare(b.id))).toEqual(want);
      // The snapshot it was restored from hashed on the new node to what the old owner recorded.
      const line = holder.log.map((l) => { try { return JSON.parse(l) as { msg?: string; realm?: string; hashMatches?: boolean | null; replayed?: number }; } catch { return {}; } }).find((l) => l.msg === 'realm taken over from a dead node' && l.realm === info.realmId);
      expect(line?.hashMatches).toBe(true);
      expect(line!.replayed).toBeGreaterThan(0);
    }
    // Epochs: each realm's owner changed exactly once, epoch 1 → 2, to a live node.
    await until('the watch saw the moves', () => victimRealms.every((id) => history.some((h) => h.key === id && h.rec.epoch === 2)));
    for (const id of victimRealms) {
      const epochs = history.filter((h) => h.key === id).map((h) => h.rec.epoch);
      expect([...epochs].sort((a, b) => a - b)).toEqual(epochs);
      const last = history.filter((h) => h.key === id).at(-1)!;
      expect(last.rec.owner).not.toBe(victim.id);
    }
    expect((await health(survivors[0]!)).nodes.map((n) => n.node)).not.toContain(victim.id);
    watch.stop();
    await nc.close();
  });
});
