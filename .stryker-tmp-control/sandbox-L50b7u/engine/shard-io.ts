// @ts-nocheck
// Shard I/O: typed commands into the in-rings (now, or queued for the barrier), out-ring
// dispatch by frame kind to the parts above (through the handler they pass in), and
// query/reply matching. Everything that touches a ring on the main thread goes through here.
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import { CHUNKED, FrameHeader, FrameKind, unhandledKind, type FrameFields, type InKind, type OutKind } from '../protocol/frames.js';
import { ChunkAssembler, splitBody } from '../protocol/chunks.js';
import { decode, decodeBody, encode } from '../protocol/codec.js';
import { ReplyFlag, type BodyKind, type FramePayloads, type HelloPayload, type QueryReplies, type QueryWhat, type RealmStatePayload, type ReplyError } from '../protocol/shard-messages.js';
import { RealmRow, ensureRow, rowOffset } from '../protocol/stats-table.js';
import type { Stat7Selector } from '../protocol/stat7.js';
import { BarrierQueue, buildFrame } from './barrier-queue.js';
import type { ResolvedOptions } from './options.js';
import { ShardPool, type ShardExitHandler } from './shard-pool.js';

/** What the parts above hear from the out-rings. */
export interface ShardIoHandler {
  routeFrame(bytes: Uint8Array, offset: number, length: number): void;
  state(slot: number, frame: Uint8Array): void;
  subscription(slot: number, typeHash: number, type: string, on: boolean): void;
  typeDef(slot: number, typeHash: number, type: string): void;
  selectorDef(slot: number, hash: number, selector: Stat7Selector): void;
  roundEnd(shard: number, round: number, view: DataView, at: number): void;
  realmState(slot: number, p: RealmStatePayload): void;
  hello(shard: number, p: HelloPayload): void;
}

export interface RealmCounters {
  /** Encoded state size when the shard last measured it, or null. */
  stateBytes: number | null;
  localTick: number;
  entities: number;
  eventsIn: number;
  eventsOut: number;
  dropped: number;
  hash: number | null;
}

interface PendingReply {
  resolve(b: { body: Uint8Array; aux: number }): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
  shard: number;
}

const QUERY_TIMEOUT_MS = 10_000;

export class ShardIo {
  readonly pool: ShardPool;
  private readonly atBarrier: BarrierQueue;
  private readonly replies = new Map<number, PendingReply>();
  private nextRequest = 1;
  private nextStream = 1;
  private readonly chunks = new ChunkAssembler();
  private readonly realtime: boolean;

  /** Runs before queued commands are written (the realms part queues its directory batch). */
  beforeWrite: () => void = () => undefined;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly handler: ShardIoHandler,
  ) {
    this.pool = new ShardPool(opts);
    this.atBarrier = new BarrierQueue(opts.shards);
    this.realtime = opts.mode === 'realtime';
  }

  start(startRound: number, onExit: ShardExitHandler): void {
    this.pool.start(startRound, onExit);
  }

  alive(shard: number): boolean {
    return this.pool.links[shard]!.alive;
  }

  /** Commands (e.g. a registration's params) must fit one ring frame. */
  get maxCommandBytes(): number {
    return Math.floor(this.opts.ringBytes / 4);
  }

  /** Encodes a command body within `limit` bytes, or throws a coded error. */
  encodeBounded<K extends BodyKind>(kind: K, body: FramePayloads[K], limit = this.maxCommandBytes): Uint8Array {
    let bytes: Uint8Array;
    try {
      bytes = encode(body);
    } catch (e) {
      throw new TickverseError(ErrorCode.INVALID_ARGUMENT, `payload cannot be encoded: ${(e as Error).message}`);
    }
    if (bytes.length > limit) throw new TickverseError(ErrorCode.PAYLOAD_TOO_LARGE, `payload is ${bytes.length} bytes; the limit is ${limit}`, { limit });
    return bytes;
  }

  /**
   * A frame for `slot`'s shard. `immediate` frames (inputs, watch, keyframes, queries) go into
   * the in-ring now in realtime mode; everything else — and everything in max mode, so runs
   * are deterministic — is written while the shards wait at the barrier.
   */
  send(shard: number, kind: InKind, slot: number, payload: Uint8Array, immediate = false, seq = 0): void {
    const link = this.pool.links[shard]!;
    const put = (fields: FrameFields, body: Uint8Array): void => {
      if (immediate && this.realtime && link.alive) link.writer.send(fields, body);
      else this.atBarrier.push(shard, buildFrame(fields, body));
    };
    if (payload.length <= link.writer.maxPayload) return put({ kind, flags: 0, shard, source: slot, target: slot, seq, tick: 0, aux: 0 }, payload);
    // Larger than a ring frame (a big realm's restore): CHUNK_IN pieces, then the frame itself.
    const stream = this.nextStream++ >>> 0;
    splitBody(payload, link.writer.maxPayload, (piece, last) =>
      put({ kind: last ? kind : FrameKind.CHUNK_IN, flags: last ? CHUNKED : 0, shard, source: slot, target: slot, seq, tick: stream, aux: 0 }, piece),
    );
  }

  /** `limit`: the largest body accepted (default: a registration's, a quarter of the ring; restores pass more). */
  command<K extends BodyKind & InKind>(shard: number, kind: K, slot: number, body: FramePayloads[K], immediate = false, limit = this.maxCommandBytes): void {
    this.send(shard, kind, slot, this.encodeBounded(kind, body, limit), immediate);
  }

  /** A frame with no body (pause, resume, watch, …). */
  signal(shard: number, kind: InKind, slot: number, immediate = false): void {
    this.send(shard, kind, slot, new Uint8Array(0), immediate);
  }

  /** The same frame for every shard, at the barrier: after the commands queued there, or (`first`) ahead of them. */
  toAll(kind: InKind, payload: Uint8Array, first = false): void {
    for (let s = 0; s < this.opts.shards; s++) {
      const frame = buildFrame({ kind, flags: 0, shard: s, source: 0, target: 0, seq: 0, tick: 0, aux: 0 }, payload);
      if (first) this.atBarrier.pushFirst(s, frame);
      else this.atBarrier.push(s, frame);
    }
  }

  /** A routed delivery, written into the in-ring in place (a dead shard's realms catch up from the log instead).
   *  False when the shard's in-ring and its backlog (16 × the ring) are full: events only, transfers always go. */
  deliver(shard: number, src: Uint8Array, offset: number, length: number, kind: number, flags: number, target: number, aux: number): boolean {
    const link = this.pool.links[shard]!;
    return !link.alive || link.writer.sendPatched(src, offset, length, kind, flags, target, aux, kind === FrameKind.DELIVER_EVENT);
  }

  /** Makes the routed deliveries visible to the shards (one release store per ring). */
  publishDeliveries(): void {
    for (const link of this.pool.links) if (link.alive) link.writer.publish();
  }

  /** Queues a complete frame for the barrier (catch-up deliveries to a replaced shard). */
  queueFrame(shard: number, frame: Uint8Array): void {
    this.atBarrier.push(shard, frame);
  }

  /** While every shard waits at the barrier: backlog first, then (with `queued`) the commands queued for it, in order. */
  writeBarrierFrames(queued: boolean): void {
    if (queued) this.beforeWrite();
    for (const link of this.pool.links) {
      if (!link.alive) continue;
      link.writer.flush();
      if (queued) this.atBarrier.flush(link.shard, (frame) => link.writer.sendFrame(frame));
    }
  }

  /** A replaced shard starts from nothing queued for its old thread. */
  clearQueue(shard: number): void {
    this.atBarrier.clear(shard);
  }

  query<W extends QueryWhat>(shard: number, slot: number, what: W, immediate: boolean, realmId: string): Promise<QueryReplies[W]> {
    const id = this.nextRequest++ >>> 0;
    const reply = new Promise<{ body: Uint8Array; aux: number }>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        reject(new TickverseError(ErrorCode.TIMEOUT, `realm "${realmId}" did not answer within ${QUERY_TIMEOUT_MS} ms`));
      }, QUERY_TIMEOUT_MS);
      this.replies.set(id, { resolve, reject, timer, shard });
    });
    this.send(shard, FrameKind.QUERY, slot, encode({ what }), immediate, id);
    return reply.then((r) => (what === 'snapshot' ? { snapshot: r.body, hash: r.aux } : decode(r.body)) as QueryReplies[W]);
  }

  /** Questions a shard will never answer fail now (it died, or the engine stopped). */
  failReplies(shard: number | null, error: Error): void {
    for (const [id, r] of this.replies) {
      if (shard !== null && r.shard !== shard) continue;
      this.replies.delete(id);
      clearTimeout(r.timer);
      r.reject(error);
    }
  }

  /** Grows `shard`'s stats table for `row` (before the ADD_REALM that uses it is written). */
  reserveRow(shard: number, row: number): void {
    ensureRow(this.pool.stats[shard]!, row);
  }

  /** The last closed control tick (set by the control loop): counters are read as of it. */
  closedRound = 0;

  /** A realm's counters as its shard wrote them at the last closed control tick, or null if it was not there yet. */
  counters(shard: number, row: number, slot: number): RealmCounters | null {
    const t = new Float64Array(this.pool.stats[shard]!);
    const at = rowOffset(row, this.closedRound);
    if (at + RealmRow.FIELDS > t.length || t[at + RealmRow.OWNER] !== slot + 1) return null;
    const hash = t[at + RealmRow.HASH]!;
    const size = t[at + RealmRow.STATE_BYTES]!;
    return {
      stateBytes: size < 0 ? null : size,
      localTick: t[at + RealmRow.LOCAL_TICK]!,
      entities: t[at + RealmRow.ENTITIES]!,
      eventsIn: t[at + RealmRow.EVENTS_IN]!,
      eventsOut: t[at + RealmRow.EVENTS_OUT]!,
      dropped: t[at + RealmRow.DROPPED]!,
      hash: hash < 0 ? null : hash,
    };
  }

  drainAll(): void {
    for (const link of this.pool.links) {
      if (!link.alive) continue; // what a dead shard left in its ring is stale: its realms are being restored
      const ring = link.outRing;
      ring.drain((bytes, offset, length) => this.onFrame(ring.view, bytes, offset, length));
    }
  }

  private onFrame(view: DataView, bytes: Uint8Array, offset: number, length: number): void {
    const kind = bytes[offset + FrameHeader.KIND] as OutKind;
    // The hot path first: nothing is allocated for the frames the router copies.
    if (kind === FrameKind.EVENT || kind === FrameKind.TRANSFER) return this.handler.routeFrame(bytes, offset, length);
    this.control(kind, view, bytes, offset, length);
  }

  /** Every other out-ring frame kind (rare: per change, per round, per reply). */
  private control(kind: Exclude<OutKind, typeof FrameKind.EVENT | typeof FrameKind.TRANSFER>, view: DataView, bytes: Uint8Array, offset: number, length: number): void {
    const source = view.getUint32(offset + FrameHeader.SOURCE, true);
    const target = view.getUint32(offset + FrameHeader.TARGET, true);
    const body = (): Uint8Array => bytes.subarray(offset + FrameHeader.SIZE, offset + length);
    const h = this.handler;
    switch (kind) {
      case FrameKind.STATE:
        return h.state(source, bytes.slice(offset + FrameHeader.SIZE, offset + length));
      case FrameKind.SUBSCRIBE:
      case FrameKind.UNSUBSCRIBE:
        return h.subscription(source, target, decodeBody(kind, body()).type, kind === FrameKind.SUBSCRIBE);
      case FrameKind.TYPE_DEF:
        return h.typeDef(source, target, decodeBody(kind, body()).type);
      case FrameKind.SELECTOR_DEF:
        return h.selectorDef(source, target, decodeBody(kind, body()).selector);
      case FrameKind.ROUND_END:
        return h.roundEnd(view.getUint16(offset + FrameHeader.SHARD, true), view.getUint32(offset + FrameHeader.AUX, true), view, offset + FrameHeader.SIZE);
      case FrameKind.REALM_STATE:
        return h.realmState(source, decodeBody(kind, body()));
      case FrameKind.HELLO:
        return h.hello(view.getUint16(offset + FrameHeader.SHARD, true), decodeBody(kind, body()));
      case FrameKind.CHUNK_OUT:
        return this.chunks.add(view.getUint32(offset + FrameHeader.TICK, true), body());
      case FrameKind.REPLY: {
        const flags = view.getUint8(offset + FrameHeader.FLAGS);
        const whole = this.chunks.complete(flags, view.getUint32(offset + FrameHeader.TICK, true), body());
        return this.reply(view.getUint32(offset + FrameHeader.SEQ, true), flags & ~CHUNKED, view.getUint32(offset + FrameHeader.AUX, true), whole);
      }
      default:
        return unhandledKind(kind);
    }
  }

  private reply(id: number, flags: number, aux: number, body: Uint8Array): void {
    const r = this.replies.get(id);
    if (r === undefined) return;
    this.replies.delete(id);
    clearTimeout(r.timer);
    if (flags === ReplyFlag.ERROR) {
      const e = decode<ReplyError>(body);
      r.reject(new TickverseError((e.code as ErrorCode) ?? ErrorCode.INTERNAL, e.message));
    } else r.resolve({ body: body.slice(), aux });
  }
}
