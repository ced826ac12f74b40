// A live picture of one joined realm, built from its state streams (wire v2: the whole realm,
// or the area-of-interest cells the server says this client follows). Each stream's keyframe
// replaces that stream's entities; a delta with the stream's next sequence number updates
// them; anything else is a gap, and the stream waits for a keyframe (the client asks for one)
// rather than show a wrong picture. Frames are applied by protocol/state-wire.ts's StateModel.
import type { EntityView } from '../protocol/realm.js';
import { StateModel, streamKey, type ApplyResult, type StateFrameV2 } from '../protocol/state-wire.js';
import type { CellsPush } from '../protocol/wire.js';
import { Emitter } from './emitter.js';

export type { ApplyResult };


type ViewEvents = { change: [RealmView, StateFrameV2] };

export class RealmView extends Emitter<ViewEvents> {
  readonly entities = new Map<string, EntityView>();
  readonly model = new StateModel();
  /** Sequence number of the last frame applied, in its stream (-1 before the first keyframe). */
  seq = -1;
  tick = 0;
  /** Whether `entities` reflects the streams (false until a keyframe, and after a gap or reconnect). */
  synced = false;
  frames = 0;
  keyframes = 0;
  gaps = 0;
  /** Server time (`at`) of the last frame applied, ms since the epoch. */
  lastAt = 0;
  /** Realms with cells: the cells followed and their size (null: whole-realm streams). */
  cells: [number, number][] | null = null;
  cellSize = 0;
  /** The point set with focus() (null: the client's own player entity); restored after a reconnect. */
  focus: [number, number] | null = null;
  /** Ids the last applied frame (or cells change) updated or added, and removed. */
  readonly lastChanged: string[] = [];
  readonly lastRemoved: string[] = [];
  private waiters: ((v: RealmView) => void)[] = [];

  constructor(readonly realm: string) {
    super();
  }

  /** Resolves once the view holds a picture (at once if it already does). */
  ready(): Promise<RealmView> {
    if (this.synced) return Promise.resolve(this);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Subscribes to applied frames; returns the unsubscribe function. */
  onChange(fn: (view: RealmView, frame: StateFrameV2) => void): () => void {
    return this.on('change', fn);
  }

  apply(f: StateFrameV2): ApplyResult {
    this.lastChanged.length = 0;
    this.lastRemoved.length = 0;
    const r = this.model.apply(f);
    if (r === 'gap') {
      this.gaps++;
      this.synced = false;
      this.sync();
    }
    if (r !== 'keyframe' && r !== 'delta') return r;
    this.sync();
    if (r === 'keyframe') this.keyframes++;
    this.seq = f.seq;
    this.tick = f.tick;
    this.lastAt = f.at;
    this.frames++;
    if (r === 'keyframe') this.markSynced();
    this.emit('change', this, f);
    return r;
  }

  /** The server changed the cells this client follows: entities of cells left are dropped. */
  setCells(p: CellsPush): void {
    this.lastChanged.length = 0;
    this.lastRemoved.length = 0;
    const keep = new Set(p.cells.map((c) => streamKey(c)));
    for (const key of [...this.model.streams.keys()]) if (!keep.has(key)) this.model.dropStream(key);
    // Entities of a cell whose keyframe never came (or of the whole-realm stream) go too.
    for (const e of [...this.model.ents.values()]) if (!keep.has(e.cell)) this.model.dropStream(e.cell);
    this.sync();
    this.cells = p.cells;
    this.cellSize = p.size;
    if (p.cells.length === 0) this.markSynced();
  }

  /** After a reconnect the picture is stale until the next keyframes. */
  invalidate(): void {
    this.synced = false;
    this.model.streams.clear();
  }

  /** Brings `entities` in line with what the model's last change touched. */
  private sync(): void {
    const m = this.model;
    for (const id of m.removed) {
      this.entities.delete(id);
      this.lastRemoved.push(id);
    }
    for (const h of m.changed) {
      const e = m.ents.get(h);
      if (e === undefined) continue;
      this.entities.set(e.id, m.view(e) as EntityView);
      this.lastChanged.push(e.id);
    }
    m.removed.length = 0;
    m.changed.length = 0;
  }

  private markSynced(): void {
    this.synced = true;
    if (this.waiters.length > 0) for (const w of this.waiters.splice(0)) w(this);
  }
}
