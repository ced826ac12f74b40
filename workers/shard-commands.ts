// Applies the engine's frames from a shard's in-ring to its realm hosts: one case per
// in-ring frame kind, checked exhaustively. Also builds what hosts owe the engine at the
// end of a round (transfers) and after each step (state frames of watched realms).
import { FrameHeader, FrameKind, TargetKind, unhandledKind, type InKind } from '../protocol/frames.js';
import { ChunkAssembler } from '../protocol/chunks.js';
import { ErrorCode } from '../protocol/errors.js';
import { decodeBody, encode } from '../protocol/codec.js';
import { splitBundle } from '../protocol/state-bundle.js';
import { RealmRow, rowOffset } from '../protocol/stats-table.js';
import { RealmStateCode } from '../protocol/realm.js';
import type { QueryWhat, ReloadFailure } from '../protocol/shard-messages.js';
import { RealmHost, type RealmSpec } from './realm-host.js';
import type { ShardPort } from './shard-port.js';
import type { Json, RealmEvent, RealmKind } from './realm.js';

const VIA = { [TargetKind.UNICAST]: 'unicast', [TargetKind.BROADCAST]: 'broadcast', [TargetKind.SELECTOR]: 'selector' } as const;

export class ShardCommands {
  constructor(
    private readonly hosts: Map<number, RealmHost>,
    private readonly kinds: Map<string, RealmKind<unknown>>,
    private readonly port: ShardPort,
    private readonly stats: Float64Array,
    private readonly dt: number,
    private readonly maxStateBytes: number,
  ) {}

  private readonly chunks = new ChunkAssembler();

  /** One in-ring frame: header at `offset` in `view`, body bytes in `body`. */
  apply(view: DataView, offset: number, piece: Uint8Array): void {
    const kind = view.getUint8(offset + FrameHeader.KIND) as InKind;
    const target = view.getUint32(offset + FrameHeader.TARGET, true);
    const stream = view.getUint32(offset + FrameHeader.TICK, true);
    const body = kind === FrameKind.CHUNK_IN ? piece : this.chunks.complete(view.getUint8(offset + FrameHeader.FLAGS), stream, piece);
    switch (kind) {
      case FrameKind.CHUNK_IN:
        return this.chunks.add(stream, body);
      case FrameKind.DELIVER_EVENT:
        return this.deliverEvent(view, offset, target, body);
      case FrameKind.INPUT: {
        const p = decodeBody(kind, body);
        const host = this.hosts.get(target);
        if (host === undefined) return;
        host.grown += body.length;
        host.input({ player: p.player, data: p.data as Json });
        return;
      }
      case FrameKind.DELIVER_TRANSFER: {
        const p = decodeBody(kind, body);
        this.hosts.get(target)?.importEntity(p.entity as Json, p.from, p.id);
        return;
      }
      case FrameKind.DROP_ENTITY: {
        const p = decodeBody(kind, body);
        this.hosts.get(target)?.exportEntity(p.id);
        return;
      }
      case FrameKind.ADD_REALM:
        return this.addRealm(decodeBody(kind, body));
      case FrameKind.REMOVE_REALM: {
        const host = this.hosts.get(target);
        if (host === undefined) return;
        this.hosts.delete(target);
        for (const half of [0, 1]) {
          const at = rowOffset(host.row, half);
          if (at < this.stats.length) this.stats[at + RealmRow.OWNER] = 0;
        }
        return;
      }
      case FrameKind.DIRECTORY:
        return this.port.applyDirectory(decodeBody(kind, body));
      case FrameKind.PAUSE:
        this.hosts.get(target)?.pause();
        return;
      case FrameKind.RESUME:
        this.hosts.get(target)?.resume();
        return;
      case FrameKind.FAIL_REALM: {
        const p = decodeBody(kind, body);
        this.hosts.get(target)?.fail(p.code, p.message);
        return;
      }
      case FrameKind.WATCH:
      case FrameKind.UNWATCH:
      case FrameKind.KEYFRAME: {
        const host = this.hosts.get(target);
        if (host === undefined) return;
        if (kind === FrameKind.UNWATCH) host.unwatch();
        else if (kind === FrameKind.WATCH) host.watch();
        else host.replica?.invalidate();
        return;
      }
      case FrameKind.QUERY:
        return this.query(target, view.getUint32(offset + FrameHeader.SEQ, true), decodeBody(kind, body).what);
      case FrameKind.TRANSFER_OUT: {
        const p = decodeBody(kind, body);
        this.hosts.get(target)?.outgoing.push({ entity: p.entity, to: p.to });
        return;
      }
      default:
        return unhandledKind(kind);
    }
  }

  private addRealm(spec: RealmSpec): void {
    const kind = this.kinds.get(spec.kind);
    if (kind === undefined) {
      // The engine checks kinds against this shard's catalogue first: only a foreign frame gets here.
      this.port.stateReport(spec.slot, 4, ErrorCode.UNKNOWN_KIND, `unknown realm kind "${spec.kind}"`);
      return;
    }
    const host = new RealmHost(spec, kind, this.port);
    this.hosts.set(spec.slot, host);
    host.boot(spec, this.dt);
  }

  private deliverEvent(view: DataView, offset: number, target: number, body: Uint8Array): void {
    const host = this.hosts.get(target);
    if (host === undefined) return;
    const p = decodeBody(FrameKind.DELIVER_EVENT, body);
    const from = this.port.nameOf(view.getUint32(offset + FrameHeader.SOURCE, true));
    const flags = view.getUint8(offset + FrameHeader.FLAGS) as 1 | 2 | 3;
    const shard = view.getUint16(offset + FrameHeader.SHARD, true);
    const tick = view.getUint32(offset + FrameHeader.TICK, true);
    const controlTick = view.getUint32(offset + FrameHeader.AUX, true);
    const here = this.port.shardId;
    let path: RealmEvent['path'] | undefined;
    const event: RealmEvent = {
      type: p.type,
      data: p.data as Json,
      from,
      via: VIA[flags] ?? 'unicast',
      seq: view.getUint32(offset + FrameHeader.SEQ, true),
      // Built only if realm code reads it: most never do, and it is four objects per delivery.
      get path() {
        return (path ??= [{ realm: from, shard, tick }, { router: 'main', controlTick }, { realm: host.id, shard: here }]);
      },
    };
    host.deliver(event);
  }

  private query(slot: number, seq: number, what: QueryWhat): void {
    const host = this.hosts.get(slot);
    if (host === undefined) {
      this.port.replyError(slot, seq, ErrorCode.UNKNOWN_REALM, `realm slot ${slot} is not on shard ${this.port.shardId}`);
      return;
    }
    if (what === 'hash') return this.port.reply(slot, seq, host.hash());
    const result = what === 'snapshot' ? host.snapshot() : host.views();
    // A snapshot is encoded once: measured against the budget, then sent as these bytes.
    const encoded = what === 'snapshot' && result !== null ? encode(result) : null;
    if (encoded !== null) {
      host.stateBytes = encoded.length;
      // Past the budget: failed, so the multiverse's snapshots keep its last good state and go on.
      if (encoded.length > this.maxStateBytes) host.fail(ErrorCode.REALM_STATE_LIMIT, `${ErrorCode.REALM_STATE_LIMIT}: state is ${encoded.length} bytes; the budget is ${this.maxStateBytes} (maxRealmStateBytes)`);
    }
    // A kind hook that threw put the realm (only it) in `error`; the question gets the reason.
    if (result === null || host.stateCode === RealmStateCode.error) return this.port.replyError(slot, seq, ErrorCode.REALM_CRASHED, host.error ?? `the ${what} hook failed`);
    // A snapshot travels as the envelope's bytes with its hash in the header: the engine keeps
    // them as they are (no decode per realm per snapshot) and hands them back on restore.
    if (encoded !== null) this.port.replyBytes(slot, seq, encoded, host.hash());
    else this.port.reply(slot, seq, result);
  }

  /** A watched realm's state after its step: the frames of its changed streams, in bundles (lossy). */
  sendState(host: RealmHost): boolean {
    const rep = host.replica;
    if (rep === null || !host.replicate(rep)) return false;
    const out = rep.frames(host.tick, Date.now());
    if (out.frames.length === 0 && out.moves.length === 0) return false;
    let ok = true;
    for (const b of splitBundle(rep.cellSize, out.frames, out.moves, this.port.outbox.maxPayload)) {
      // A lost bundle leaves gaps the gateway sees; every stream sends a keyframe next.
      if (!this.port.outbox.sendLossy(this.port.fields(FrameKind.STATE, 0, host.slot, host.slot, 0, host.tick), b)) ok = false;
    }
    if (!ok) rep.invalidate();
    return true;
  }

  // ---- hot reload (docs/realm-kinds.md#hot-reload) ----

  /** Every live realm of `next`'s kind moves onto it, and realms placed from now on get it; returns the kind it replaced,
   *  the realms moved and those whose snapshot or restore threw (they stay on the old code). */
  swapKind(next: RealmKind<unknown>): { prev: RealmKind<unknown> | undefined; realms: number; failed: ReloadFailure[] } {
    const prev = this.kinds.get(next.name);
    this.kinds.set(next.name, next);
    const failed: ReloadFailure[] = [];
    const added = (next.subscribes ?? []).filter((t) => !(prev?.subscribes ?? []).includes(t));
    let realms = 0;
    for (const host of this.hosts.values()) {
      if (host.kind.name !== next.name || host.stateCode === RealmStateCode.error) continue;
      realms++;
      const error = host.reload(next);
      if (error !== null) failed.push({ realm: host.id, message: `restore: ${error}` });
      else this.subscribe(host, added);
    }
    return { prev, realms, failed };
  }

  /** Keys `on` gained in the new code: the realms already running subscribe to them too (kept on a revert). */
  private subscribe(host: RealmHost, types: readonly string[]): void {
    for (const type of types) {
      try {
        host.ctx.subscribe(type);
      } catch {
        // a colliding type: the engine reports it; the reload goes on
      }
    }
  }

  /** The swap's control tick is over: realms whose new code threw in it (each already rolled back). */
  endTrials(name: string): ReloadFailure[] {
    const failed: ReloadFailure[] = [];
    for (const host of this.hosts.values()) {
      if (host.kind.name !== name) continue;
      const error = host.endTrial();
      if (error !== null) failed.push({ realm: host.id, message: `first control tick: ${error}` });
    }
    return failed;
  }

  /** Commit (`prev` null) or revert every realm of the kind; a revert puts `prev` back for new realms too. */
  settleKind(name: string, revert: { prev: RealmKind<unknown> | undefined } | null): void {
    if (revert !== null) {
      if (revert.prev === undefined) this.kinds.delete(name);
      else this.kinds.set(name, revert.prev);
    }
    for (const host of this.hosts.values()) {
      if (host.kind.name !== name) continue;
      if (revert === null) host.commit();
      else host.revert(revert.prev);
    }
  }

  /** Transfers asked for during the round leave at its end, each entity exported from its realm. */
  finishTransfers(): void {
    for (const host of this.hosts.values()) {
      if (host.outgoing.length === 0) continue;
      for (const t of host.outgoing.splice(0)) {
        const to = this.port.slotOf(t.to);
        if (to === undefined || to === host.slot) continue;
        const entity = host.exportEntity(t.entity);
        if (entity === undefined) continue;
        this.port.transfer(host, t.entity, to, entity);
      }
    }
  }
}
