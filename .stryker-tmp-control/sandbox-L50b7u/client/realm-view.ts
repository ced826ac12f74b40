// @ts-nocheck
// A live picture of one joined realm, built from its state stream: a keyframe replaces the
// entity map; a delta with the next sequence number updates it; anything else is a gap, and
// the view waits for a keyframe (asking for one) rather than show a wrong picture.
import type { EntityView, StateFrame } from '../protocol/realm.js';
import { Emitter } from './emitter.js';

export type ApplyResult = 'keyframe' | 'delta' | 'stale' | 'gap' | 'waiting';

type ViewEvents = { change: [RealmView, StateFrame] };

export class RealmView extends Emitter<ViewEvents> {
  readonly entities = new Map<string, EntityView>();
  /** Sequence number of the last frame applied (-1 before the first keyframe). */
  seq = -1;
  tick = 0;
  /** Whether `entities` reflects the stream (false until a keyframe, and after a gap or reconnect). */
  synced = false;
  frames = 0;
  keyframes = 0;
  gaps = 0;
  /** Server time (`at`) of the last frame applied, ms since the epoch. */
  lastAt = 0;
  private waiters: ((v: RealmView) => void)[] = [];

  constructor(readonly realm: string) {
    super();
  }

  /** Resolves once the view holds a keyframe's picture (at once if it already does). */
  ready(): Promise<RealmView> {
    if (this.synced) return Promise.resolve(this);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Subscribes to applied frames; returns the unsubscribe function. */
  onChange(fn: (view: RealmView, frame: StateFrame) => void): () => void {
    return this.on('change', fn);
  }

  apply(f: StateFrame): ApplyResult {
    if (f.key) {
      this.entities.clear();
      for (const e of f.ents) this.entities.set(e.id, e);
      this.synced = true;
      this.keyframes++;
    } else {
      if (!this.synced) return 'waiting';
      if (f.seq <= this.seq) return 'stale';
      if (f.seq !== this.seq + 1) {
        this.synced = false;
        this.gaps++;
        return 'gap';
      }
      for (const e of f.ents) this.entities.set(e.id, e);
      for (const id of f.gone) this.entities.delete(id);
    }
    this.seq = f.seq;
    this.tick = f.tick;
    this.lastAt = f.at;
    this.frames++;
    if (f.key && this.waiters.length > 0) for (const w of this.waiters.splice(0)) w(this);
    this.emit('change', this, f);
    return f.key ? 'keyframe' : 'delta';
  }

  /** After a reconnect the picture is stale until the next keyframe. */
  invalidate(): void {
    this.synced = false;
  }
}
