// NATS outages with real engine processes: a node whose NATS connection is cut stops its realms
// (paused) before its lease runs out, and another node takes them over; a nats-server restart
// leaves every node connected again, events crossing nodes and registrations working.
import { describe, expect, it } from 'vitest';
import type { EventPush } from '../protocol/wire.js';
import type { RealmInfo } from '../protocol/realm.js';
import { RawClient, getJson, until } from './gateway-helpers.js';
import { auth, health, startNode, untilMesh, type NodeProc } from './cluster-helpers.js';
import { cuttableLink, natsServerPath, startNats } from './nats-helpers.js';

const wsOf = (httpUrl: string): string => `${httpUrl.replace(/^http/, 'ws')}/ws`;

async function stateOn(n: NodeProc, realmId: string): Promise<RealmInfo['state'] | null> {
  const r = await getJson(`${n.url}/api/realms/${realmId}`).catch(() => null);
  return r?.status === 200 ? (r.body as RealmInfo).state : null;
}

const register = (n: NodeProc, id: string): Promise<{ status: number; body: unknown }> =>
  getJson(`${n.url}/api/realms`, { method: 'POST', headers: auth, body: JSON.stringify({ realm_id: id, game_id: 'g' }) });

describe.skipIf(natsServerPath === null)('scale-out: NATS outages', () => {
  it('a node cut off from NATS pauses its realms before another node takes them', async () => {
    const nats = await startNats();
    const link = await cuttableLink(nats);
    const env = { TICKVERSE_LEASE_MS: '2000', TICKVERSE_CLUSTER_SNAPSHOT_MS: '200' };
    // The cut-off node is the first to start: it has the smallest id, so placement puts the first realm on it.
    const cut = await startNode(link.url, 'a-cut', env);
    const other = await startNode(nats.url, 'b-live', env);
    await untilMesh([cut, other]);
    expect((await register(other, 'p0')).status).toBe(201);
    expect(await stateOn(cut, 'p0')).toBe('running');
    await link.cut();
    // Sample both nodes until the live one runs the realm: never both running it.
    const samples: [string | null, string | null][] = [];
    await until('the live node runs the realm', async () => {
      const s: [string | null, string | null] = [await stateOn(cut, 'p0'), await stateOn(other, 'p0')];
      samples.push(s);
      return s[1] === 'running';
    }, 15_000);
    expect(samples.filter(([a, b]) => a === 'running' && b === 'running')).toEqual([]);
    // The cut-off node stopped acting for the realm (it cannot hear that it lost it).
    expect(samples.at(-1)![0]).not.toBe('running');
    expect(cut.log.some((l) => l.includes('lease lost'))).toBe(true);
  });

  it('a nats-server restart: nodes reconnect, events cross nodes and registrations work again', async () => {
    const nats = await startNats();
    const nodes = [await startNode(nats.url, 'r1'), await startNode(nats.url, 'r2')];
    await untilMesh(nodes);
    for (const id of ['x0', 'x1']) expect((await register(nodes[0]!, id)).status).toBe(201);
    const owner = async (id: string): Promise<NodeProc> => (await Promise.all(nodes.map(async (n) => ((await stateOn(n, id)) !== null ? n : null)))).find((x) => x !== null)!;
    const [o0, o1] = [await owner('x0'), await owner('x1')];
    expect(o0).not.toBe(o1);

    await nats.stop();
    await nats.start();
    const restartedAt = performance.now();
    // Registrations need the directory and the other node: they work again once both are back.
    await until('a registration after the restart', async () => (await register(nodes[1]!, 'x2')).status === 201, 10_000);
    const watcher = await RawClient.open(wsOf(o1.url));
    await watcher.call({ op: 'subscribe', topics: ['to:x1'] });
    await until('an event crosses nodes after the restart', async () => {
      await getJson(`${o0.url}/api/realms/x0/input`, { method: 'POST', headers: auth, body: JSON.stringify({ player: 'p', data: { emit: { type: 'after', to: 'x1' } } }) });
      return watcher.messages.some((m) => m.op === 'event' && (m as EventPush).type === 'after');
    }, 10_000);
    expect(performance.now() - restartedAt).toBeLessThan(10_000);
    await until('both nodes see both again', async () => (await Promise.all(nodes.map((n) => health(n)))).every((h) => h.nodes.length === 2), 10_000);
  });
});
