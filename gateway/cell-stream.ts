// One state stream of a realm — the whole realm, or one area-of-interest cell — as the
// gateway publishes it: its uWS topic, the connections subscribed, and the last keyframe
// with the deltas since (ready bytes), so a connection that starts following the stream is
// brought up to date privately rather than with a keyframe for everyone.
import type { Conn } from './connection.js';
import { decode, encode } from './codec.js';
import type { BundleFrame } from '../protocol/state-bundle.js';
import { StateModel, type StateFrameV2 } from '../protocol/state-wire.js';

/** A joiner gets the cached keyframe and deltas as they are up to this many deltas; beyond, they are folded into one keyframe first. */
const COMPACT_AFTER_DELTAS = 4;

/** A topic name that cannot collide with the subscription topics (registry, ticks, event:…, to:…). */
export const stateTopic = (realm: string, key: string): string => (key === '' ? `state/${realm}` : `state/${realm}/${key}`);

export class CellStream {
  readonly topic: string;
  readonly subs = new Set<Conn>();
  /** Last keyframe and the deltas that followed it, in order; null = nothing usable cached. */
  private key: Uint8Array | null = null;
  private deltas: Uint8Array[] = [];
  private cacheBytes = 0;
  private lastSeq = -1;
  /** A frame was missed upstream: the cache waits for the next keyframe. */
  broken = false;
  /** Frames published so far (to count what a suspended subscriber missed). */
  published = 0;

  constructor(
    readonly realm: string,
    readonly streamKey: string,
    private readonly cacheLimit: number,
  ) {
    this.topic = stateTopic(realm, streamKey);
  }

  /** Caches a frame from the engine (the caller publishes it). */
  take(f: BundleFrame): void {
    if (f.key) {
      // A copy: the bundle's buffer is shared by all of this tick's frames.
      this.key = f.bytes.slice();
      this.deltas = [];
      this.cacheBytes = f.bytes.length;
      this.broken = false;
    } else if (this.key !== null && f.seq === this.lastSeq + 1 && this.cacheBytes + f.bytes.length <= this.cacheLimit) {
      this.deltas.push(f.bytes.slice());
      this.cacheBytes += f.bytes.length;
    } else {
      // A gap upstream (the shard dropped a frame) or the cache is full: wait for the next keyframe.
      this.broken = this.broken || f.seq !== this.lastSeq + 1;
      this.key = null;
      this.deltas = [];
      this.cacheBytes = 0;
    }
    this.lastSeq = f.seq;
  }

  /** Whether the stream has had a frame at all (a cell nobody has been in has none, and needs none). */
  get started(): boolean {
    return this.lastSeq >= 0;
  }

  /**
   * The frames that bring a new follower up to date, or null when nothing usable is cached.
   * Many deltas are first folded into one keyframe (decoded and encoded once per stream, not per client).
   */
  picture(): Uint8Array[] | null {
    if (this.key === null || this.cacheLimit === 0) return null;
    if (this.deltas.length >= COMPACT_AFTER_DELTAS) {
      const model = new StateModel();
      model.apply(decode(this.key) as StateFrameV2);
      for (const d of this.deltas) model.apply(decode(d) as StateFrameV2);
      const merged = model.keyframe(this.realm, this.streamKey);
      if (merged === null) return null;
      this.key = encode(merged);
      this.deltas = [];
      this.cacheBytes = this.key.length;
    }
    return [this.key, ...this.deltas];
  }
}
