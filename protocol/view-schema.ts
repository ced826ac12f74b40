// A kind's view schema: the entity fields clients see, declared once, each with how it
// travels. Quantised numbers travel as integers (value × scale, rounded) and, in deltas, as
// the difference from the last value sent; other fields travel as they are.
export type FieldSpec =
  /** Fixed point: `scale` steps per unit (100 = hundredths). */
  | { type: 'fixed'; scale: number }
  /** Whole numbers, clamped to [min, max] when given. */
  | { type: 'int'; min?: number; max?: number }
  | { type: 'float' }
  | { type: 'string' }
  | { type: 'bool' };

export interface ViewSchema {
  /** Field name → how it travels; at most MAX_FIELDS. `x` and `y` are the position (numbers). */
  fields: Record<string, FieldSpec>;
  /** Area-of-interest cell size in world units; omitted = whole-realm streams (a registration's `cell` param overrides). */
  cell?: number;
}

/** A change mask is one 31-bit integer. */
export const MAX_FIELDS = 31;

/** A field as the replicator and the wire use it: name, integer scale (0 = sent as is), clamp. */
export interface Field {
  readonly name: string;
  /** Quantised fields carry value × scale as an integer; 0 = the value travels unchanged. */
  readonly scale: number;
  readonly min: number;
  readonly max: number;
}

export type FieldValue = number | string | boolean | null;

/** Checks a schema and lays out its fields in declaration order; throws with the reason. */
export function compileSchema(schema: ViewSchema): Field[] {
  const names = Object.keys(schema.fields);
  if (names.length > MAX_FIELDS) throw new Error(`a view schema has at most ${MAX_FIELDS} fields (got ${names.length})`);
  const out: Field[] = [];
  for (const name of names) {
    if (name === 'id' || name === 'kind') throw new Error(`view field "${name}" is reserved`);
    const f = schema.fields[name]!;
    switch (f.type) {
      case 'fixed':
        if (!Number.isInteger(f.scale) || f.scale < 1 || f.scale > 1_000_000) throw new Error(`view field "${name}": scale must be an integer in 1..1000000`);
        out.push({ name, scale: f.scale, min: -Infinity, max: Infinity });
        break;
      case 'int':
        out.push({ name, scale: 1, min: f.min ?? -Infinity, max: f.max ?? Infinity });
        break;
      case 'float':
      case 'string':
      case 'bool':
        out.push({ name, scale: 0, min: -Infinity, max: Infinity });
        break;
      default:
        throw new Error(`view field "${name}": unknown type`);
    }
  }
  if (schema.cell !== undefined && !(schema.cell > 0)) throw new Error('view schema cell must be a positive number');
  return out;
}

/** The integer a quantised field carries for `v` (non-numbers and NaN carry 0). */
export function quantise(f: Field, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return 0;
  const q = Math.round(Math.min(f.max, Math.max(f.min, v)) * f.scale);
  return q === 0 ? 0 : q; // no -0 on the wire
}

/** What a client shows for a quantised integer. */
export function dequantise(scale: number, q: number): number {
  return scale === 1 ? q : q / scale;
}

/** An unquantised field's wire value: numbers, strings and booleans as they are, anything else nil. */
export function plainValue(v: unknown): FieldValue {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : null;
}

/** A realm's area-of-interest cell size: its registration's `cell` param, else its kind's; 0 = whole-realm streams. */
export function realmCellSize(params: Record<string, unknown>, kindCell: number | undefined): number {
  const c = params.cell;
  return typeof c === 'number' && Number.isFinite(c) && c > 0 ? c : (kindCell ?? 0);
}

/** The cell of a position along one axis (cells are `size` units wide, cell 0 starts at 0). */
export function cellOf(v: number, size: number): number {
  const c = Math.floor(v / size);
  return Number.isFinite(c) ? Math.max(-32768, Math.min(32767, c)) : 0;
}
