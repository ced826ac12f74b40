// Wire v2 state frames (docs/protocol.md § 6): one plain MessagePack map per stream per tick,
// where a stream is a whole realm or one area-of-interest cell of it. Entities travel as
// numeric handles; the id and kind go once, in `spawn`; `update` carries only changed fields,
// quantised ones as differences. `StateModel` applies frames — the SDK, the gateway's
// keyframe compaction and the tests all use it, so there is one reading of the format.
import { dequantise, type FieldValue } from './view-schema.js';

/** Values per spawn record besides the fields: handle, id, kind. */
export const SPAWN_HEAD = 3;

export interface StateFrameV2 {
  op: 'state';
  realm: string;
  /** [cx, cy] of the area-of-interest cell; absent = the whole-realm stream. */
  cell?: [number, number];
  /** Per stream: a gap means a lost frame. */
  seq: number;
  tick: number;
  /** Server ms when the frame was made (latency measurement only). */
  at: number;
  /** true: the stream's whole picture (spawn holds every entity of the stream). */
  key?: boolean;
  /** Keyframes: field names, in field-number order. */
  fields?: string[];
  /** Keyframes: per field, integers are value × scale (0 = the value travels as it is). */
  scale?: number[];
  /** Flat records: handle, id, kind, then one value per field (absolute). */
  spawn?: FieldValue[];
  /** Flat records: handle gap, change mask, then one value per set bit (differences for quantised fields). */
  update?: FieldValue[];
  /** Handles that left the stream (despawned, or moved to another cell). */
  gone?: number[];
}

export type ApplyResult = 'keyframe' | 'delta' | 'stale' | 'gap' | 'waiting';

/** One entity as a model holds it. */
export interface ModelEntity {
  id: string;
  kind: string;
  vals: FieldValue[];
  /** Stream key it belongs to ('' = whole realm). */
  cell: string;
}

export const streamKey = (cell: readonly [number, number] | undefined): string => (cell === undefined ? '' : `${cell[0]},${cell[1]}`);

/** The cell of a cell stream's key (the inverse of streamKey for cells). */
export const cellOfKey = (key: string): [number, number] => key.split(',').map(Number) as [number, number];

interface StreamPos {
  seq: number;
  tick: number;
  at: number;
}

/** A realm's replicated entities, as a client following some of its streams sees them. */
export class StateModel {
  fields: string[] = [];
  scale: number[] = [];
  readonly ents = new Map<number, ModelEntity>();
  /** Streams with a picture, by key, and where each stands. */
  readonly streams = new Map<string, StreamPos>();
  /** Handles spawned or updated by the last apply, and ids removed by it (for views built on top). */
  readonly changed: number[] = [];
  readonly removed: string[] = [];

  apply(f: StateFrameV2): ApplyResult {
    this.changed.length = 0;
    this.removed.length = 0;
    const key = streamKey(f.cell);
    const pos = this.streams.get(key);
    if (f.key === true) {
      if (f.fields !== undefined) this.fields = f.fields;
      if (f.scale !== undefined) this.scale = f.scale;
      this.dropStream(key, false);
    } else {
      if (pos === undefined) return 'waiting';
      if (f.seq <= pos.seq) return 'stale';
      // A gap: the stream waits for a keyframe, which replaces what it shows meanwhile.
      if (f.seq !== pos.seq + 1) {
        this.streams.delete(key);
        return 'gap';
      }
      if (f.gone !== undefined) for (const h of f.gone) this.remove(h, key);
    }
    if (f.spawn !== undefined) this.spawn(f.spawn, key);
    if (f.update !== undefined && !this.update(f.update)) {
      this.streams.delete(key);
      return 'gap';
    }
    this.streams.set(key, { seq: f.seq, tick: f.tick, at: f.at });
    return f.key === true ? 'keyframe' : 'delta';
  }

  /** Forgets a stream's entities (the client left that cell); `keepPos` false also forgets where it stood. */
  dropStream(key: string, forgetPos = true): void {
    for (const [h, e] of this.ents) if (e.cell === key) this.remove(h, key);
    if (forgetPos) this.streams.delete(key);
  }

  /** A field's client value: quantised integers scaled back. */
  value(e: ModelEntity, field: number): FieldValue {
    const v = e.vals[field] ?? null;
    const s = this.scale[field] ?? 0;
    return s > 0 && typeof v === 'number' ? dequantise(s, v) : v;
  }

  /** The entity as a flat object (id, kind, then every field that has a value). */
  view(e: ModelEntity): Record<string, FieldValue> {
    const out: Record<string, FieldValue> = { id: e.id, kind: e.kind };
    for (let i = 0; i < this.fields.length; i++) {
      const v = this.value(e, i);
      if (v !== null) out[this.fields[i]!] = v;
    }
    return out;
  }

  /** A keyframe of one stream's current picture (what a joiner needs), in the wire's shape. */
  keyframe(realm: string, key: string): StateFrameV2 | null {
    const pos = this.streams.get(key);
    if (pos === undefined) return null;
    const spawn: FieldValue[] = [];
    for (const [h, e] of this.ents) if (e.cell === key) pushSpawn(spawn, h, e.id, e.kind, e.vals, this.fields.length);
    const f: StateFrameV2 = { op: 'state', realm, seq: pos.seq, tick: pos.tick, at: pos.at, key: true, fields: this.fields, scale: this.scale, spawn };
    if (key !== '') f.cell = cellOfKey(key);
    return f;
  }

  private remove(h: number, key: string): void {
    const e = this.ents.get(h);
    // Moved to another cell this tick (its spawn there came first): not ours to remove.
    if (e === undefined || e.cell !== key) return;
    this.ents.delete(h);
    this.removed.push(e.id);
  }

  private spawn(rec: FieldValue[], key: string): void {
    const width = SPAWN_HEAD + this.fields.length;
    for (let i = 0; i + SPAWN_HEAD <= rec.length; i += width) {
      const h = rec[i] as number;
      const old = this.ents.get(h);
      const id = String(rec[i + 1]);
      if (old !== undefined && old.id !== id) this.removed.push(old.id);
      this.ents.set(h, { id, kind: String(rec[i + 2]), vals: rec.slice(i + SPAWN_HEAD, i + width), cell: key });
      this.changed.push(h);
    }
  }

  /** Applies update records; false if one names an entity the model does not hold. */
  private update(rec: FieldValue[]): boolean {
    let h = 0;
    for (let i = 0; i < rec.length; ) {
      h += rec[i++] as number;
      let mask = rec[i++] as number;
      const e = this.ents.get(h);
      if (e === undefined) return false;
      for (let f = 0; mask !== 0; f++, mask >>>= 1) {
        if ((mask & 1) === 0) continue;
        const v = rec[i++] ?? null;
        e.vals[f] = (this.scale[f] ?? 0) > 0 ? (e.vals[f] as number) + (v as number) : v;
      }
      this.changed.push(h);
    }
    return true;
  }
}

/** Appends one spawn record: handle, id, kind, then `width` field values (nil where absent). */
export function pushSpawn(out: FieldValue[], h: number, id: string, kind: string, vals: ArrayLike<FieldValue>, width: number): void {
  out.push(h, id, kind);
  for (let i = 0; i < width; i++) out.push(vals[i] ?? null);
}
