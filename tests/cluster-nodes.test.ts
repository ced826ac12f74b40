// Three engine processes and one real nats-server: registrations made on one node spread over
// all three, events between realms on different nodes arrive in order, and a client that asks
// node A for a realm owned by node B is sent there (REALM_ELSEWHERE with B's address) and
// streams it from B.
import { describe, expect, it } from 'vitest';
import { TickverseClient } from '../client/index.js';
import { NodeWebSocket } from '../client/node-ws.js';
import type { EventPush } from '../protocol/wire.js';
import { RawClient, getJson, until } from './gateway-helpers.js';
import { auth, health, startNode, untilMesh, type NodeProc } from './cluster-helpers.js';
import { natsServerPath, startNats } from './nats-helpers.js';

const wsOf = (httpUrl: string): string => `${httpUrl.replace(/^http/, 'ws')}/ws`;

async function register(n: NodeProc, realmId: string, extra: Record<string, unknown> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await getJson(`${n.url}/api/realms`, { method: 'POST', headers: auth, body: JSON.stringify({ realm_id: realmId, game_id: 'g', ...extra }) });
  return r as { status: number; body: Record<string, unknown> };
}

async function ownerOf(nodes: NodeProc[], realmId: string): Promise<NodeProc> {
  for (const n of nodes) {
    const r = await getJson(`${n.url}/api/realms/${realmId}`);
    if (r.status === 200) return n;
  }
  throw new Error(`no node runs ${realmId}`);
}

describe.skipIf(natsServerPath === null)('scale-out: engine nodes on NATS', () => {
  it('spreads registrations, moves events across nodes in order, and redirects a join to the owner', async () => {
    const nats = await startNats();
    const nodes = await Promise.all(['n1', 'n2', 'n3'].map((id) => startNode(nats.url, id)));
    await untilMesh(nodes);

    // Six registrations, all sent to n1: placement spreads them two per node.
    for (let i = 0; i < 6; i++) expect((await register(nodes[0]!, `r${i}`)).status).toBe(201);
    const counts = await Promise.all(nodes.map(async (n) => (await health(n)).realms));
    expect(counts).toEqual([2, 2, 2]);
    // Any node lists the whole multiverse, each realm with its owner; ?local=1 only its own.
    for (const n of nodes) {
      const all = (await getJson(`${n.url}/api/realms`)).body as { realmId: string; node: string; state: string }[];
      expect(all.map((r) => r.realmId).sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
      for (const r of all) expect(r).toMatchObject({ node: (await ownerOf(nodes, r.realmId)).id, state: 'running' });
      const own = (await getJson(`${n.url}/api/realms?local=1`)).body as { realmId: string }[];
      expect(own.length).toBe(2);
    }
    // A realm id is unique across the multiverse, whichever node is asked.
    const dup = await register(nodes[2]!, 'r0');
    expect(dup.status).toBe(409);
    expect((dup.body.error as { code: string }).code).toBe('DUPLICATE_REALM');

    // Events from a realm on one node to a realm on another, in the order they were emitted.
    const src = await ownerOf(nodes, 'r0');
    const dstId = (await Promise.all(['r1', 'r2', 'r3', 'r4', 'r5'].map(async (id) => ((await ownerOf(nodes, id)) !== src ? id : null)))).find((x) => x !== null)!;
    const dst = await ownerOf(nodes, dstId);
    expect(dst.id).not.toBe(src.id);
    const watcher = await RawClient.open(wsOf(dst.url));
    await watcher.call({ op: 'subscribe', topics: [`to:${dstId}`] });
    for (let i = 0; i < 20; i++) {
      const r = await getJson(`${src.url}/api/realms/r0/input`, { method: 'POST', headers: auth, body: JSON.stringify({ player: 'p', data: { emit: { type: 'hop', to: dstId, data: { i } } } }) });
      expect(r.status).toBe(202);
    }
    const got = await until('20 cross-node events', () => {
      const evs = watcher.messages.filter((m): m is EventPush => m.op === 'event' && m.type === 'hop');
      return evs.length >= 20 ? evs : undefined;
    }, 20_000);
    expect(got.map((e) => (e.data as { i: number }).i)).toEqual([...Array(20).keys()]);
    expect(got.every((e) => e.from === 'r0')).toBe(true);
    const seqs = got.map((e) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);

    // A join on a node that does not own the realm names the owner; the client goes there.
    const other = nodes.find((n) => n !== dst)!;
    const raw = await RawClient.open(wsOf(other.url));
    const reply = await raw.call({ op: 'join', realm: dstId });
    expect(reply.ok).toBe(false);
    const err = (reply as { error: { code: string; detail?: { node: string; url: string } } }).error;
    expect(err.code).toBe('REALM_ELSEWHERE');
    expect(err.detail).toEqual({ node: dst.id, url: dst.url });
    // Over HTTP too: the realm's route on another node names its owner (421).
    const there = await getJson(`${other.url}/api/realms/${dstId}`);
    expect(there.status).toBe(421);
    expect((there.body as { error: { code: string; detail: unknown } }).error).toMatchObject({ code: 'REALM_ELSEWHERE', detail: { node: dst.id, url: dst.url } });
    const c = new TickverseClient({ url: wsOf(err.detail!.url), WebSocket: NodeWebSocket, reconnect: false });
    await c.connect();
    await c.join(dstId);
    await getJson(`${dst.url}/api/realms/${dstId}/input`, { method: 'POST', headers: auth, body: JSON.stringify({ player: 'p', data: { set: { id: 'beacon', x: 7, y: 8 } } }) });
    await until('the joined client sees the entity', () => c.realm(dstId)?.entities.get('beacon'), 10_000);
    c.close();
  });
});
