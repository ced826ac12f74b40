// The realm view's model: each watched realm's entities with their previous and latest
// positions (moves are interpolated between state frames), and what flies between realms —
// event pulses and entities seen leaving one realm and arriving in another.
import type { EntityView } from '../../client/index.js';
import { kindColor } from './lib/kinds.js';

export interface Ent {
  e: EntityView;
  fx: number;
  fy: number;
  at: number;
}

export interface SceneRealm {
  id: string;
  ents: Map<string, Ent>;
  synced: boolean;
  /** Smoothed time between frames, ms: how long a move is interpolated over. */
  interval: number;
  lastFrame: number;
  frames: number;
  bounds: { minX: number; minY: number; maxX: number; maxY: number };
}

export interface Flight {
  from: string;
  to: string;
  t0: number;
  color: string;
  /** Entity transfer: positions in world units of each realm; else a realm-to-realm event pulse. */
  fromPos?: [number, number];
  toPos?: [number, number];
  label?: string;
}

export const scene = new Map<string, SceneRealm>();
/** Entities that left a realm lately: if one shows up in another realm, it travelled there. */
const recentlyGone = new Map<string, { realm: string; x: number; y: number; t: number }>();
export const flights: Flight[] = [];

/** Drops flights that have landed and departures too old to pair with an arrival. */
export function prune(now: number): void {
  let n = 0;
  for (const f of flights) if (now - f.t0 < (f.fromPos !== undefined ? 1400 : 1000)) flights[n++] = f;
  flights.length = n;
  for (const [id, g] of recentlyGone) if (now - g.t > 6000) recentlyGone.delete(id);
}

export function sceneRealm(id: string): SceneRealm {
  let s = scene.get(id);
  if (s === undefined) {
    s = { id, ents: new Map(), synced: false, interval: 100, lastFrame: 0, frames: 0, bounds: { minX: 0, minY: 0, maxX: 1, maxY: 1 } };
    scene.set(id, s);
  }
  return s;
}

/** Where an entity is drawn now: between its previous and its latest position. */
export function displayed(s: SceneRealm, en: Ent, now: number): [number, number] {
  const t = Math.min(1, Math.max(0, (now - en.at) / s.interval));
  return [en.fx + (en.e.x - en.fx) * t, en.fy + (en.e.y - en.fy) * t];
}

function grow(s: SceneRealm, e: EntityView): void {
  const b = s.bounds;
  b.minX = Math.min(b.minX, e.x);
  b.minY = Math.min(b.minY, e.y);
  b.maxX = Math.max(b.maxX, e.x);
  b.maxY = Math.max(b.maxY, e.y);
}

export function upsert(s: SceneRealm, e: EntityView, now: number): void {
  const en = s.ents.get(e.id);
  if (en !== undefined) {
    const [x, y] = displayed(s, en, now);
    en.fx = x;
    en.fy = y;
    en.e = e;
    en.at = now;
  } else {
    s.ents.set(e.id, { e, fx: e.x, fy: e.y, at: now });
    const gone = recentlyGone.get(e.id);
    if (gone !== undefined && gone.realm !== s.id && now - gone.t < 6000) {
      recentlyGone.delete(e.id);
      flights.push({ from: gone.realm, to: s.id, t0: now, color: kindColor(e.kind), fromPos: [gone.x, gone.y], toPos: [e.x, e.y], label: String(e.name ?? e.id) });
    }
  }
  grow(s, e);
}

export function remove(s: SceneRealm, id: string, now: number): void {
  const en = s.ents.get(id);
  if (en === undefined) return;
  const [x, y] = displayed(s, en, now);
  recentlyGone.set(id, { realm: s.id, x, y, t: now });
  s.ents.delete(id);
}
