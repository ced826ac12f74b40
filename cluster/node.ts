// One engine node of a multi-node multiverse (docs/scale-out.md): it joins NATS, renews its
// lease, follows the realm directory (remote realms become stubs the shards can address),
// places registrations on the least-loaded node (forwarding them there by NATS request), and
// moves cross-node events through the bridge once per control tick.
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Engine } from '../engine/index.js';
import type { Remote } from '../engine/remote.js';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { ClusterRealm, ClusterStats, NodeRecord } from '../protocol/cluster.js';
import type { RealmInfo, RealmRegistration } from '../protocol/realm.js';
import { decode, encode } from '../protocol/codec.js';
import { Bridge } from './bridge.js';
import { openBuckets } from './buckets.js';
import { Directory, type DirEntry } from './directory.js';
import { Membership } from './membership.js';
import { resolveClusterOptions, type ClusterOptions, type ResolvedClusterOptions } from './options.js';
import { chooseNode, ownedCounts } from './placement.js';
import { Failover } from './failover.js';
import { Transfers } from './transfers.js';
import { ClusterStore } from './store.js';

type Rpc = { op: 'register'; reg: RealmRegistration } | { op: 'unregister'; realm: string } | { op: 'list' };
type RpcReply = { ok: true; result: unknown } | { ok: false; code: string; message: string };

/** How long a forwarded registration may take at its node (a realm boots in one control tick). */
const RPC_TIMEOUT_MS = 4_000;

export class ClusterNode {
  private remote!: Remote;
  private rpc: Subscription | null = null;
  private readonly onTick = (): void => {
    this.bridge.flush(this.engine.controlTick);
    this.transfers.afterTick();
  };
  private stopped = false;
  /** False while the NATS client is reconnecting: forwarded requests fail at once rather than wait. */
  private connected = true;
  /** Realms the fence paused (and only those are resumed when the lease is back). */
  private readonly fencedRealms = new Set<string>();

  private constructor(
    readonly engine: Engine,
    readonly opts: ResolvedClusterOptions,
    private readonly nc: NatsConnection,
    readonly membership: Membership,
    readonly directory: Directory,
    readonly bridge: Bridge,
    readonly failover: Failover,
    readonly transfers: Transfers,
  ) {}

  get id(): string {
    return this.opts.nodeId;
  }

  static async start(engine: Engine, options: ClusterOptions): Promise<ClusterNode> {
    const opts = resolveClusterOptions(options);
    const nc = await connect({ servers: opts.natsUrl.split(',').map((s) => s.trim()), name: opts.nodeId, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    const { nodes, directory: dirKv } = await openBuckets(nc, opts.prefix, opts.leaseMs);
    let self: ClusterNode | null = null;
    const directory = new Directory(dirKv, (id, now, before) => self?.directoryChanged(id, now, before));
    const membership = new Membership(nodes, opts.nodeId, opts.leaseMs, {
      self: () => self?.record() ?? { url: opts.publicUrl(), realms: 0, entities: 0 },
      fenced: () => self?.fence(),
      unfenced: () => self?.unfence(),
      changed: () => undefined,
    });
    const bridge = new Bridge(nc, opts.prefix, opts.nodeId, (realmId) => directory.get(realmId)?.rec.epoch ?? 0);
    const store = await ClusterStore.open(nc, opts.prefix);
    const failover = new Failover(engine, opts.nodeId, directory, membership, store, opts.snapshotEveryMs, opts.leaseMs, engine.options.logger);
    const transfers: Transfers = new Transfers(nc, opts.prefix, opts.nodeId, engine, directory, membership, failover, (): Remote => node.remote);
    failover.extras = transfers;
    const node: ClusterNode = new ClusterNode(engine, opts, nc, membership, directory, bridge, failover, transfers);
    self = node;
    node.remote = engine.attachRemote({
      unicast: (to, ev) => {
        const owner = directory.get(to)?.rec.owner;
        if (owner !== undefined && owner !== opts.nodeId) bridge.queue(owner, ev);
      },
      fanout: (ev) => {
        for (const n of membership.alive()) if (n.node !== opts.nodeId) bridge.queue(n.node, ev);
      },
      transfer: (t, bounced) => transfers.take(t, bounced),
      // What arrived since the last tick is routed with this one's batch.
      beforeRoute: () => bridge.deliver(node.remote),
      epochOf: (realmId) => {
        const e = directory.get(realmId);
        return e !== undefined && e.rec.owner === opts.nodeId ? e.rec.epoch : 0;
      },
    });
    bridge.start();
    transfers.start();
    await directory.start();
    await membership.start();
    node.rpc = nc.subscribe(`${opts.prefix}.rpc.${opts.nodeId}`, { callback: (err, msg) => (err === null ? void node.answer(msg.data).then((r) => msg.respond(encode(r))) : undefined) });
    engine.on('controlTick', node.onTick);
    void node.followStatus();
    node.syncStubs();
    failover.start();
    return node;
  }

  /** Publishes this node's record now (call once the gateway listens: its url is in it). */
  announce(): Promise<void> {
    return this.membership.announce();
  }

  stats(): ClusterStats {
    const f = this.failover;
    return { adopted: f.adopted, hashMismatches: f.hashMismatches, fencedWrites: f.fencedWrites, transfers: { ...this.transfers.counters, inFlight: this.transfers.inFlight } };
  }

  /** Every realm of the multiverse, by node (this one first): asked of each owner; an owner that does not answer lists its realms from the directory as `unreachable`. */
  async realms(): Promise<ClusterRealm[]> {
    const owners = new Set<string>();
    for (const [, e] of this.directory.entries()) if (e.rec.owner !== this.id) owners.add(e.rec.owner);
    const lists = await Promise.all(
      [...owners].sort().map(async (node): Promise<ClusterRealm[]> => {
        try {
          return ((await this.call(node, { op: 'list' })) as RealmInfo[]).map((r) => ({ ...r, node }));
        } catch {
          const out: ClusterRealm[] = [];
          for (const [realmId, e] of this.directory.entries()) if (e.rec.owner === node) out.push({ realmId, gameId: String(e.rec.registration.game_id ?? ''), node, state: 'unreachable' });
          return out;
        }
      }),
    );
    return [...this.engine.list().map((r) => ({ ...r, node: this.id })), ...lists.flat()];
  }

  /** Live nodes (this one included), by id. */
  nodes(): NodeRecord[] {
    return this.membership.alive();
  }

  /** The node owning `realmId` when it is not this one (for redirects), else null. */
  locate(realmId: string): { node: string; url: string } | null {
    const e = this.directory.get(realmId);
    if (e === undefined || e.rec.owner === this.id) return null;
    const rec = this.membership.alive().find((n) => n.node === e.rec.owner);
    return { node: e.rec.owner, url: rec?.url ?? '' };
  }

  /** Registers a realm on the node placement picks (this one or another). */
  async register(reg: RealmRegistration): Promise<RealmInfo> {
    const target = chooseNode(this.membership.alive(), ownedCounts(this.directory.entries())) ?? this.id;
    if (target === this.id) return this.registerHere(reg);
    return (await this.call(target, { op: 'register', reg })) as RealmInfo;
  }

  /** An input to a realm owned here: acknowledged once it is in the cluster journal (REALM_ELSEWHERE when another node owns it). */
  input(realmId: string, player: string, data: unknown): Promise<void> {
    const at = this.locate(realmId);
    if (at !== null) throw new TickverseError(ErrorCode.REALM_ELSEWHERE, `realm "${realmId}" runs on node ${at.node}${at.url ? ` (${at.url})` : ''}: send its inputs there`, { node: at.node, url: at.url });
    return this.failover.input(realmId, player, data);
  }

  /** Unregisters a realm at its owner. */
  async unregister(realmId: string): Promise<void> {
    const owner = this.directory.get(realmId)?.rec.owner;
    if (owner === undefined || owner === this.id) return this.unregisterHere(realmId);
    await this.call(owner, { op: 'unregister', realm: realmId });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.engine.off('controlTick', this.onTick);
    this.failover.stop();
    this.transfers.stop();
    this.rpc?.unsubscribe();
    this.bridge.stop();
    this.directory.stop();
    await this.membership.stop();
    await this.nc.drain().catch(() => undefined);
  }

  private async registerHere(reg: RealmRegistration): Promise<RealmInfo> {
    if (this.membership.isFenced) throw new TickverseError(ErrorCode.NODE_UNAVAILABLE, `node ${this.id} has lost its NATS lease; try again on another node`);
    const realmId = typeof reg?.realm_id === 'string' ? reg.realm_id : '';
    if (realmId === '') throw new TickverseError(ErrorCode.INVALID_ARGUMENT, 'realm_id must be a string');
    const entry = await this.directory.claim(realmId, this.id, reg as unknown as Record<string, unknown>);
    try {
      return await this.engine.register(reg);
    } catch (e) {
      await this.directory.release(realmId, entry);
      throw e;
    }
  }

  private async unregisterHere(realmId: string): Promise<void> {
    await this.engine.unregister(realmId);
    const e = this.directory.get(realmId);
    if (e !== undefined && e.rec.owner === this.id) await this.directory.release(realmId, e);
    await this.failover.forget(realmId);
    this.transfers.forget(realmId);
  }

  private async followStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') this.connected = false;
      else if (s.type === 'reconnect') this.connected = true;
    }
  }

  private async call(node: string, req: Rpc): Promise<unknown> {
    if (!this.connected) throw new TickverseError(ErrorCode.NODE_UNAVAILABLE, `node ${this.id} is reconnecting to NATS; try again`, { node });
    let msg;
    try {
      msg = await this.nc.request(`${this.opts.prefix}.rpc.${node}`, encode(req), { timeout: RPC_TIMEOUT_MS });
    } catch (e) {
      throw new TickverseError(ErrorCode.NODE_UNAVAILABLE, `node ${node} did not answer (${(e as Error).message})`, { node });
    }
    const r = decode<RpcReply>(msg.data);
    if (!r.ok) throw new TickverseError(r.code as ErrorCode, r.message, { node });
    return r.result;
  }

  private async answer(data: Uint8Array): Promise<RpcReply> {
    try {
      const req = decode<Rpc>(data);
      if (req.op === 'register') return { ok: true, result: await this.registerHere(req.reg) };
      if (req.op === 'list') return { ok: true, result: this.engine.list() };
      if (req.op === 'unregister') {
        await this.unregisterHere(req.realm);
        return { ok: true, result: null };
      }
      return { ok: false, code: ErrorCode.BAD_REQUEST, message: 'unknown cluster request' };
    } catch (e) {
      const code = e instanceof TickverseError ? e.code : ErrorCode.INTERNAL;
      return { ok: false, code, message: (e as Error).message };
    }
  }

  private record(): Omit<NodeRecord, 'beat' | 'node' | 'startedAt'> {
    let entities = 0;
    const realms = this.engine.list();
    for (const r of realms) entities += r.entities;
    return { url: this.opts.publicUrl(), realms: realms.length, entities };
  }

  private directoryChanged(realmId: string, now: DirEntry | undefined, before: DirEntry | undefined): void {
    // Another node took a realm this node ran (it was called dead): this copy must stop at once.
    if (before?.rec.owner === this.id && now !== undefined && now.rec.owner !== this.id) {
      this.engine.unregister(realmId).catch(() => undefined);
    }
    this.syncStubs();
  }

  private syncStubs(): void {
    if (this.remote === undefined) return;
    const ids: string[] = [];
    for (const [id, e] of this.directory.entries()) if (e.rec.owner !== this.id) ids.push(id);
    this.remote.setRemoteRealms(ids);
  }

  /** No renewal within 60% of the lease: stop acting for every realm before anyone may claim it. */
  private fence(): void {
    this.engine.options.logger.warn({ node: this.id, leaseMs: this.opts.leaseMs }, 'NATS lease lost: pausing every realm of this node until it is renewed');
    for (const r of this.engine.list()) {
      if (r.state !== 'running') continue;
      this.fencedRealms.add(r.realmId);
      this.engine.pause(r.realmId).catch(() => undefined);
    }
  }

  /** The lease is back: realms still ours (same owner in the directory) run again. */
  private unfence(): void {
    this.engine.options.logger.info({ node: this.id }, 'NATS lease renewed: realms still owned here run again');
    for (const id of this.fencedRealms) {
      if (this.directory.get(id)?.rec.owner === this.id) this.engine.resume(id).catch(() => undefined);
    }
    this.fencedRealms.clear();
  }
}
