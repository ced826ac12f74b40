// @ts-nocheck
// Turns a realm's entity views into keyframes and deltas for its state stream.
import type { EntityView } from '../protocol/realm.js';

/** A keyframe every this many frames bounds how long a client that missed a delta waits. */
const KEYFRAME_EVERY = 100;

export interface ViewDiff {
  key: boolean;
  ents: EntityView[];
  gone: string[];
}

function sameView(a: EntityView, b: EntityView): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

export class ViewTracker {
  private last = new Map<string, EntityView>();
  private sinceKey = 0;
  needKey = true;
  seq = 0;

  /** Returns the frame body to send, or null when nothing changed. */
  diff(views: EntityView[]): ViewDiff | null {
    const next = new Map<string, EntityView>();
    for (const v of views) next.set(v.id, v);
    const key = this.needKey || this.sinceKey >= KEYFRAME_EVERY;
    let out: ViewDiff;
    if (key) {
      out = { key: true, ents: views, gone: [] };
    } else {
      const ents: EntityView[] = [];
      for (const v of views) {
        const prev = this.last.get(v.id);
        if (prev === undefined || !sameView(prev, v)) ents.push(v);
      }
      const gone: string[] = [];
      for (const id of this.last.keys()) if (!next.has(id)) gone.push(id);
      if (ents.length === 0 && gone.length === 0) {
        this.last = next;
        return null;
      }
      out = { key: false, ents, gone };
    }
    this.last = next;
    this.needKey = false;
    this.sinceKey = key ? 0 : this.sinceKey + 1;
    this.seq++;
    return out;
  }

  /** After a dropped frame the client's picture is stale: resend everything. */
  invalidate(): void {
    this.needKey = true;
  }
}
