// @ts-nocheck
// STAT7: a realm's 7-dimension address, its canonical string, stable hash, the mapping
// from the seed's registration fields, and selectors over the dimensions. docs/stat7.md.
import { ErrorCode, TickverseError } from './errors.js';
import { fnv1a } from './frames.js';

export const HORIZONS = ['GENESIS', 'EMERGENCE', 'PEAK', 'DECAY', 'CRYSTALLIZATION'] as const;
export const POLARITIES = ['LOGIC', 'CREATIVITY', 'ORDER', 'CHAOS', 'BALANCE'] as const;
export type Horizon = (typeof HORIZONS)[number];
export type Polarity = (typeof POLARITIES)[number];

export interface Stat7 {
  realm: string; // domain of the realm (seed: realm_type)
  lineage: number; // generation, integer >= 0
  adjacency: string; // cluster the realm sits in (seed: adjacency)
  horizon: Horizon; // lifecycle phase of the world
  luminosity: number; // 0..1 activity/energy (seed: resonance)
  polarity: Polarity;
  dimensionality: number; // integer 0..7 (seed: density 0..1 → round(density * 7))
}

export interface SeedFields {
  realm_type?: string;
  adjacency?: string;
  resonance?: number;
  density?: number;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function bad(dim: string, value: unknown, want: string): TickverseError {
  return new TickverseError(
    ErrorCode.INVALID_COORDINATE,
    `STAT7 ${dim} must be ${want}; received ${JSON.stringify(value)}`,
    { dimension: dim },
  );
}

/** Validates a full or partial coordinate, filling gaps from the seed fields and defaults. */
export function toStat7(partial: Partial<Record<keyof Stat7, unknown>> | undefined, seed: SeedFields = {}): Stat7 {
  const p = partial ?? {};
  if (typeof p !== 'object' || Array.isArray(p)) throw bad('coordinate', p, 'an object');
  const realm = p.realm ?? seed.realm_type ?? 'generic';
  if (typeof realm !== 'string' || !NAME.test(realm)) throw bad('realm', realm, 'a name of 1-64 [A-Za-z0-9_.-]');
  const lineage = p.lineage ?? 0;
  if (typeof lineage !== 'number' || !Number.isInteger(lineage) || lineage < 0 || lineage > 0x7fffffff) {
    throw bad('lineage', lineage, 'an integer >= 0');
  }
  const adjacency = p.adjacency ?? seed.adjacency ?? 'cluster_main';
  if (typeof adjacency !== 'string' || !NAME.test(adjacency)) {
    throw bad('adjacency', adjacency, 'a name of 1-64 [A-Za-z0-9_.-]');
  }
  const horizon = p.horizon ?? 'EMERGENCE';
  if (typeof horizon !== 'string' || !(HORIZONS as readonly string[]).includes(horizon)) {
    throw bad('horizon', horizon, `one of ${HORIZONS.join(', ')}`);
  }
  const luminosity = p.luminosity ?? seed.resonance ?? 0.5;
  if (typeof luminosity !== 'number' || !Number.isFinite(luminosity) || luminosity < 0 || luminosity > 1) {
    throw bad('luminosity', luminosity, 'a number from 0 to 1');
  }
  const polarity = p.polarity ?? 'BALANCE';
  if (typeof polarity !== 'string' || !(POLARITIES as readonly string[]).includes(polarity)) {
    throw bad('polarity', polarity, `one of ${POLARITIES.join(', ')}`);
  }
  let dimensionality = p.dimensionality;
  if (dimensionality === undefined) {
    const density = seed.density ?? 0.5;
    if (typeof density !== 'number' || !Number.isFinite(density) || density < 0 || density > 1) {
      throw bad('density', density, 'a number from 0 to 1');
    }
    dimensionality = Math.round(density * 7);
  }
  if (typeof dimensionality !== 'number' || !Number.isInteger(dimensionality) || dimensionality < 0 || dimensionality > 7) {
    throw bad('dimensionality', dimensionality, 'an integer from 0 to 7');
  }
  return Object.freeze({
    realm,
    lineage,
    adjacency,
    horizon: horizon as Horizon,
    luminosity: Math.round(luminosity * 1000) / 1000,
    polarity: polarity as Polarity,
    dimensionality,
  });
}

/** Canonical form: `stat7:<realm>/<lineage>/<adjacency>/<horizon>/<luminosity>/<polarity>/<dimensionality>`. */
export function canonicalStat7(c: Stat7): string {
  return `stat7:${c.realm}/${c.lineage}/${c.adjacency}/${c.horizon}/${c.luminosity.toFixed(3)}/${c.polarity}/${c.dimensionality}`;
}

/** Stable 64-bit hash of the canonical form, as 16 hex digits. */
export function stat7Hash(c: Stat7): string {
  const s = canonicalStat7(c);
  const a = fnv1a(s);
  const b = fnv1a(`${s}#`);
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

export interface NumberRange {
  min?: number;
  max?: number;
}

/** Each present dimension must match: a value, a list of values (any of), or a {min,max} range for numbers. */
export interface Stat7Selector {
  realm?: string | string[];
  lineage?: number | number[] | NumberRange;
  adjacency?: string | string[];
  horizon?: Horizon | Horizon[];
  luminosity?: NumberRange;
  polarity?: Polarity | Polarity[];
  dimensionality?: number | number[] | NumberRange;
}

const DIMENSIONS = ['realm', 'lineage', 'adjacency', 'horizon', 'luminosity', 'polarity', 'dimensionality'] as const;

function badSel(message: string): TickverseError {
  return new TickverseError(ErrorCode.INVALID_SELECTOR, message);
}

/** Checks a selector's shape; returns a normalised, frozen copy. */
export function toSelector(input: unknown): Stat7Selector {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw badSel(`selector must be an object; received ${JSON.stringify(input)}`);
  }
  const src = input as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(src)) {
    if (!(DIMENSIONS as readonly string[]).includes(key)) {
      throw badSel(`selector has unknown dimension "${key}"; known: ${DIMENSIONS.join(', ')}`);
    }
    const v = src[key];
    const scalar = (x: unknown): boolean => typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x));
    if (scalar(v)) out[key] = v;
    else if (Array.isArray(v) && v.length > 0 && v.length <= 64 && v.every(scalar)) out[key] = [...v];
    else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const r = v as Record<string, unknown>;
      const keys = Object.keys(r);
      if (keys.length === 0 || !keys.every((k) => (k === 'min' || k === 'max') && typeof r[k] === 'number')) {
        throw badSel(`selector range for "${key}" must be {min?: number, max?: number}`);
      }
      out[key] = { ...r };
    } else throw badSel(`selector value for "${key}" is not a value, list or range: ${JSON.stringify(v)}`);
  }
  if (Object.keys(out).length === 0) throw badSel('selector must name at least one dimension');
  return Object.freeze(out) as Stat7Selector;
}

export function canonicalSelector(s: Stat7Selector): string {
  const rec = s as Record<string, unknown>;
  return JSON.stringify(DIMENSIONS.filter((d) => rec[d] !== undefined).map((d) => [d, rec[d]]));
}

export function selectorHash(s: Stat7Selector): number {
  return fnv1a(canonicalSelector(s));
}

export function matchesSelector(c: Stat7, s: Stat7Selector): boolean {
  for (const d of DIMENSIONS) {
    const want = (s as Record<string, unknown>)[d];
    if (want === undefined) continue;
    const have = c[d];
    if (Array.isArray(want)) {
      if (!want.includes(have)) return false;
    } else if (typeof want === 'object' && want !== null) {
      const r = want as NumberRange;
      if (typeof have !== 'number') return false;
      if (r.min !== undefined && have < r.min) return false;
      if (r.max !== undefined && have > r.max) return false;
    } else if (want !== have) return false;
  }
  return true;
}
