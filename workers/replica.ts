// A watched realm's replicated view: entity fields in typed columns (one row per entity, the
// row number is the entity's wire handle), compared column by column against what was last
// sent to find each tick's changes; streams per area-of-interest cell (or one for the whole
// realm), each with its own sequence and keyframes. Encodes each changed stream's frame once.
import { encodeStateFrame } from '../protocol/state-encode.js';
import type { EntityView } from '../protocol/realm.js';
import type { ViewSink } from './realm.js';
import { pushSpawn, type StateFrameV2 } from '../protocol/state-wire.js';
import type { BundleFrame, BundleMove } from '../protocol/state-bundle.js';
import { halfCellOf } from '../protocol/interest.js';
import { cellOf, compileSchema, MAX_FIELDS, plainValue, quantise, type Field, type FieldValue, type ViewSchema } from '../protocol/view-schema.js';

/** A keyframe every this many frames of a stream bounds what a gateway caches for joiners. */
export const KEYFRAME_EVERY = 100;
/** Player ids followed for area-of-interest focus, at most. */
const TRACK_LIMIT = 4096;


const FREE = 0;
const NEW = 1;
const SENT = 2;
const WHOLE = -1;

interface Stream {
  readonly cell: [number, number] | null;
  seq: number;
  sinceKey: number;
  needKey: boolean;
  /** Scratch for the tick being built. */
  key: boolean;
  dirty: boolean;
  lastH: number;
  spawn: FieldValue[];
  update: FieldValue[];
  gone: number[];
}

type Column = Float64Array | FieldValue[];

const cellKey = (cx: number, cy: number): number => (cx + 32768) * 65536 + (cy + 32768);

export class Replica implements ViewSink {
  private readonly fields: Field[];
  private readonly byName = new Map<string, number>();
  private readonly generic: boolean;
  private cur: Column[] = [];
  private sent: Column[] = [];
  private cap = 0;
  private high = 0;
  private ids: string[] = [];
  private kinds: string[] = [];
  private state = new Uint8Array(0);
  private respawn = new Uint8Array(0);
  private seen = new Uint32Array(0);
  private sentCell = new Float64Array(0);
  private readonly index = new Map<string, number>();
  private readonly free: number[] = [];
  private epoch = 0;
  private readonly streams = new Map<number, Stream>();
  /** Tracked player id → the half cell last reported (NaN: not yet). */
  private readonly tracked = new Map<string, number>();
  private reportAll = true;

  /** `schema` null = generic: fields are found in the views as they appear (sent as they are). */
  constructor(
    private readonly realm: string,
    schema: ViewSchema | null,
    /** Area-of-interest cell size; 0 = one whole-realm stream. */
    readonly cellSize: number,
  ) {
    this.generic = schema === null;
    this.fields = schema === null ? [] : compileSchema(schema);
    this.fields.forEach((f, i) => this.byName.set(f.name, i));
    for (const f of this.fields) this.addColumns(f);
    if (cellSize <= 0) this.streams.set(WHOLE, this.newStream(null));
  }

  /** A player whose entity's cell the gateway wants to know (for its default focus). */
  track(id: string): void {
    if (this.cellSize <= 0 || this.tracked.has(id) || this.tracked.size >= TRACK_LIMIT) return;
    this.tracked.set(id, NaN); // reported with the next frame
  }

  /** Every stream sends a keyframe next (a frame was lost, or someone asked). */
  invalidate(): void {
    for (const s of this.streams.values()) s.needKey = true;
    this.reportAll = true;
  }

  row(id: string, kind: string): number {
    let r = this.index.get(id);
    if (r === undefined) {
      r = this.alloc();
      this.index.set(id, r);
      this.ids[r] = id;
      this.kinds[r] = kind;
    } else if (this.kinds[r] !== kind) {
      this.kinds[r] = kind;
      this.respawn[r] = 1;
    }
    this.seen[r] = this.epoch;
    return r;
  }

  set(row: number, field: number, value: unknown): void {
    const f = this.fields[field];
    if (f === undefined) return;
    const col = this.cur[field]!;
    if (f.scale === 1 && f.min === -Infinity && f.max === Infinity && typeof value === 'number' && Number.isFinite(value)) {
      (col as Float64Array)[row] = Math.round(value) || 0; // the common case, without the clamp (and no -0)
    } else if (f.scale > 0) (col as Float64Array)[row] = quantise(f, value);
    else (col as FieldValue[])[row] = plainValue(value);
  }

  /** Starts a tick: rows not written between begin() and frames() are gone. */
  begin(): void {
    this.epoch = (this.epoch + 1) >>> 0;
  }

  /** Fills this tick's rows from entity views (kinds without replicate(), and generic kinds). */
  fillViews(views: readonly EntityView[]): void {
    for (const v of views) {
      const r = this.row(String(v.id), String(v.kind));
      if (this.generic) {
        for (let f = 0; f < this.fields.length; f++) (this.cur[f] as FieldValue[])[r] = null;
        for (const k in v) {
          if (k === 'id' || k === 'kind') continue;
          const f = this.byName.get(k) ?? this.addGeneric(k);
          if (f >= 0) this.set(r, f, v[k]);
        }
      } else {
        for (let f = 0; f < this.fields.length; f++) this.set(r, f, v[this.fields[f]!.name]);
      }
    }
  }

  /** Ends the tick: the encoded frame of every stream that changed, and tracked players' new half cells. */
  frames(tick: number, at: number): { frames: BundleFrame[]; moves: BundleMove[] } {
    for (const s of this.streams.values()) {
      s.key = s.needKey || s.sinceKey >= KEYFRAME_EVERY;
      s.dirty = s.key;
    }
    const moves: BundleMove[] = [];
    const xi = this.byName.get('x');
    const yi = this.byName.get('y');
    const nf = this.fields.length;
    let lastCk = NaN;
    let lastS: Stream | undefined;
    for (let r = 0; r < this.high; r++) {
      const st = this.state[r]!;
      if (st === FREE) continue;
      if (this.seen[r] !== this.epoch) {
        if (st === SENT) this.goneFrom(this.sentCell[r]!, r);
        this.release(r);
        continue;
      }
      let ck = WHOLE;
      let cx = 0;
      let cy = 0;
      if (this.cellSize > 0) {
        cx = cellOf(this.position(xi, r), this.cellSize);
        cy = cellOf(this.position(yi, r), this.cellSize);
        ck = cellKey(cx, cy);
      }
      // Neighbouring rows are mostly in the same stream: one Map lookup per change of stream.
      let s = ck === lastCk ? lastS : this.streams.get(ck);
      if (s === undefined) this.streams.set(ck, (s = this.newStream(this.cellSize > 0 ? [cx, cy] : null)));
      lastCk = ck;
      lastS = s;
      const prevCell = this.sentCell[r]!;
      const entered = st === NEW || prevCell !== ck || this.respawn[r] === 1;
      if (entered || s.key) {
        if (st === SENT && prevCell !== ck && !Number.isNaN(prevCell)) this.goneFrom(prevCell, r);
        pushSpawn(s.spawn, r, this.ids[r]!, this.kinds[r]!, this.rowValues(r), nf);
        s.dirty = true;
        this.commitRow(r);
      } else {
        this.diffRow(s, r);
      }
      this.state[r] = SENT;
      this.respawn[r] = 0;
      this.sentCell[r] = ck;
    }
    // Tracked players, not every row: at most TRACK_LIMIT lookups, and none when nobody is tracked.
    for (const [id, last] of this.tracked) {
      const r = this.index.get(id);
      if (r !== undefined) this.reportMove(id, r, last, xi, yi, moves);
    }
    this.reportAll = false;
    const frames: BundleFrame[] = [];
    for (const s of this.streams.values()) {
      if (s.dirty) frames.push(this.encodeStream(s, tick, at));
      s.spawn = [];
      s.update = [];
      s.gone = [];
      s.lastH = 0;
    }
    return { frames, moves };
  }

  /** A tracked player's half cell (gateways centre interest blocks on it), when it changed. */
  private reportMove(id: string, r: number, last: number, xi: number | undefined, yi: number | undefined, moves: BundleMove[]): void {
    const hx = halfCellOf(this.position(xi, r), this.cellSize);
    const hy = halfCellOf(this.position(yi, r), this.cellSize);
    const hk = cellKey(hx, hy);
    if (hk === last && !this.reportAll) return;
    this.tracked.set(id, hk);
    moves.push({ id, half: [hx, hy] });
  }

  private encodeStream(s: Stream, tick: number, at: number): BundleFrame {
    const f: StateFrameV2 = { op: 'state', realm: this.realm, seq: s.seq, tick, at };
    if (s.cell !== null) f.cell = s.cell;
    if (s.key) {
      f.key = true;
      f.fields = this.fields.map((x) => x.name);
      f.scale = this.fields.map((x) => x.scale);
      f.spawn = s.spawn;
    } else {
      if (s.gone.length > 0) f.gone = s.gone;
      if (s.spawn.length > 0) f.spawn = s.spawn;
      if (s.update.length > 0) f.update = s.update;
    }
    const out: BundleFrame = { key: s.key, cell: s.cell, seq: s.seq, bytes: encodeStateFrame(f) };
    s.seq = (s.seq + 1) >>> 0;
    s.sinceKey = s.key ? 0 : s.sinceKey + 1;
    s.needKey = false;
    return out;
  }

  /** An update record for the fields that changed since last sent (nothing if none did). */
  private diffRow(s: Stream, r: number): void {
    const u = s.update;
    const at = u.length;
    u.push(r - s.lastH, 0);
    let mask = 0;
    for (let f = 0; f < this.fields.length; f++) {
      if (this.fields[f]!.scale > 0) {
        const c = this.cur[f] as Float64Array;
        const now = c[r]!;
        const p = this.sent[f] as Float64Array;
        const was = p[r]!;
        if (now === was) continue;
        u.push(now - was);
        p[r] = now;
      } else {
        const now = (this.cur[f] as FieldValue[])[r]!;
        const p = this.sent[f] as FieldValue[];
        if (now === p[r]) continue;
        u.push(now);
        p[r] = now;
      }
      mask |= 1 << f;
    }
    if (mask === 0) {
      u.length = at;
      return;
    }
    u[at + 1] = mask;
    s.lastH = r;
    s.dirty = true;
  }

  private goneFrom(ck: number, r: number): void {
    const s = this.streams.get(ck);
    if (s === undefined || s.key) return;
    s.gone.push(r);
    s.dirty = true;
  }

  private rowValues(r: number): FieldValue[] {
    const out: FieldValue[] = new Array<FieldValue>(this.fields.length);
    for (let f = 0; f < this.fields.length; f++) out[f] = this.cur[f]![r] ?? null;
    return out;
  }

  private commitRow(r: number): void {
    for (let f = 0; f < this.fields.length; f++) this.sent[f]![r] = this.cur[f]![r]!;
  }

  private position(field: number | undefined, r: number): number {
    if (field === undefined) return 0;
    const v = this.cur[field]![r];
    const scale = this.fields[field]!.scale;
    return typeof v !== 'number' ? 0 : scale > 0 ? v / scale : v;
  }

  private newStream(cell: [number, number] | null): Stream {
    return { cell, seq: 0, sinceKey: 0, needKey: true, key: true, dirty: false, lastH: 0, spawn: [], update: [], gone: [] };
  }

  private addGeneric(name: string): number {
    if (this.fields.length >= MAX_FIELDS) return -1;
    const f: Field = { name, scale: 0, min: -Infinity, max: Infinity };
    this.byName.set(name, this.fields.length);
    this.fields.push(f);
    this.addColumns(f);
    this.invalidate(); // clients learn the new field table from keyframes
    return this.fields.length - 1;
  }

  private addColumns(f: Field): void {
    const make = (): Column => (f.scale > 0 ? new Float64Array(this.cap) : new Array<FieldValue>(this.cap).fill(null));
    this.cur.push(make());
    this.sent.push(make());
  }

  private alloc(): number {
    const r = this.free.pop() ?? this.high++;
    if (r >= this.cap) this.grow(Math.max(64, this.cap * 2));
    this.state[r] = NEW;
    this.respawn[r] = 0;
    this.sentCell[r] = NaN;
    for (let f = 0; f < this.fields.length; f++) {
      const scaled = this.fields[f]!.scale > 0;
      this.cur[f]![r] = scaled ? 0 : null;
      this.sent[f]![r] = scaled ? 0 : null;
    }
    return r;
  }

  private release(r: number): void {
    const id = this.ids[r]!;
    this.index.delete(id);
    this.tracked.delete(id); // followed again from the player's next input
    this.state[r] = FREE;
    this.free.push(r);
  }

  private grow(cap: number): void {
    const copy = <T extends Uint8Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.state = copy(this.state, (n) => new Uint8Array(n));
    this.respawn = copy(this.respawn, (n) => new Uint8Array(n));
    this.seen = copy(this.seen, (n) => new Uint32Array(n));
    this.sentCell = copy(this.sentCell, (n) => new Float64Array(n));
    const widen = (c: Column): Column => {
      if (c instanceof Float64Array) return copy(c, (n) => new Float64Array(n));
      const a = c.slice();
      while (a.length < cap) a.push(null);
      return a;
    };
    this.cur = this.cur.map(widen);
    this.sent = this.sent.map(widen);
    this.cap = cap;
  }
}
