// Shared model for the demo kinds: a bounded 2-D room of NPCs that wander.
import type { EntityView } from '../../protocol/realm.js';
import type { Json, PlayerInput, RealmContext } from '../realm.js';
import type { AnyEvents, KindDefinition } from '../define-kind.js';

/** The events of the demo multiverse, by type: what the tavern and the forest emit. */
export type DemoEvents = {
  rumor: { text: string; tick: number };
  bell: { tick: number; from: string };
  hello: { from: string };
  'merchant-departed': { merchant: string; from: string };
};

export interface Npc {
  id: string;
  kind: string;
  name: string;
  x: number;
  y: number;
  vx: number;
  vy: number;
  mood: string;
  /** Ticks until the NPC does its kind-specific thing (e.g. the merchant travels on). */
  timer: number;
}

export interface NpcWorld {
  width: number;
  height: number;
  npcs: Npc[];
  counters: Record<string, number>;
  log: string[];
  /** Realm the merchant travels to next; null = it stays. */
  next: string | null;
  /** Whether `next` has said hello (it exists and runs). */
  nextKnown: boolean;
  /** Most player entities (absent in worlds saved before it existed: the default). */
  maxPlayers?: number;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

export function makeNpc(ctx: RealmContext, w: NpcWorld, id: string, kind: string, name: string, mood: string): Npc {
  return {
    id,
    kind,
    name,
    x: round2(ctx.random() * w.width),
    y: round2(ctx.random() * w.height),
    vx: 0,
    vy: 0,
    mood,
    timer: Math.floor(ctx.random() * 50),
  };
}

/** Random walk with damping, reflected at the walls; `speed` in units per second. */
export function wander(w: NpcWorld, ctx: RealmContext, speed: number): void {
  for (const n of w.npcs) {
    n.vx = n.vx * 0.8 + (ctx.random() - 0.5) * speed;
    n.vy = n.vy * 0.8 + (ctx.random() - 0.5) * speed;
    n.x = round2(n.x + n.vx * ctx.dt);
    n.y = round2(n.y + n.vy * ctx.dt);
    if (n.x < 0 || n.x > w.width) {
      n.vx = -n.vx;
      n.x = Math.min(w.width, Math.max(0, n.x));
    }
    if (n.y < 0 || n.y > w.height) {
      n.vy = -n.vy;
      n.y = Math.min(w.height, Math.max(0, n.y));
    }
    if (n.timer > 0) n.timer--;
  }
}

export function npcViews(w: NpcWorld): EntityView[] {
  return w.npcs.map((n) => ({ id: n.id, kind: n.kind, name: n.name, x: n.x, y: n.y, mood: n.mood }));
}

export function note(w: NpcWorld, line: string): void {
  w.log.push(line);
  if (w.log.length > 20) w.log.shift();
}

export function bump(w: NpcWorld, counter: string): void {
  w.counters[counter] = (w.counters[counter] ?? 0) + 1;
}

export function takeNpc(w: NpcWorld, id: string): Json | undefined {
  const i = w.npcs.findIndex((n) => n.id === id);
  if (i < 0) return undefined;
  const [n] = w.npcs.splice(i, 1);
  return n as unknown as Json;
}

export function nextRealm(params: Record<string, unknown>, fallback: string): string | null {
  if (params.next === null) return null;
  return typeof params.next === 'string' ? params.next : fallback;
}

export function isNpc(value: Json): value is Json & Npc {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, Json>;
  return typeof v.id === 'string' && typeof v.kind === 'string' && typeof v.x === 'number' && typeof v.y === 'number';
}

/** Player entities a world holds at most (kind param `maxPlayers`); beyond, new players get none. */
export const DEFAULT_MAX_PLAYERS = 200;

/** The `maxPlayers` kind parameter, clamped; stored in the world so restores keep it. */
export function maxPlayersParam(params: Record<string, unknown>): number {
  const v = params.maxPlayers;
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(10_000, Math.max(0, Math.floor(v))) : DEFAULT_MAX_PLAYERS;
}

/**
 * Applies a player's input. A player acts only on its own entity, `player:<player>` (created by
 * its first move, while the world has fewer than `maxPlayers`): {move: {id?, dx, dy}} nudges it
 * (another id is ignored: NPCs and other players are not the player's to move), {say: text} adds
 * a log line, {leave: true} removes it (the gateway sends that when the player leaves).
 */
export function applyInput(w: NpcWorld, player: string, data: Json): void {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return;
  const d = data as Record<string, Json>;
  const own = `player:${player}`;
  const move = d.move;
  if (typeof move === 'object' && move !== null && !Array.isArray(move)) {
    const m = move as Record<string, Json>;
    if (m.id === undefined || m.id === own) {
      let n = w.npcs.find((e) => e.id === own);
      if (n === undefined && w.npcs.filter((e) => e.kind === 'player').length < (w.maxPlayers ?? DEFAULT_MAX_PLAYERS)) {
        n = { id: own, kind: 'player', name: player, x: w.width / 2, y: w.height / 2, vx: 0, vy: 0, mood: 'curious', timer: 0 };
        w.npcs.push(n);
      }
      if (n !== undefined && typeof m.dx === 'number' && typeof m.dy === 'number') {
        n.x = Math.min(w.width, Math.max(0, round2(n.x + Math.max(-5, Math.min(5, m.dx)))));
        n.y = Math.min(w.height, Math.max(0, round2(n.y + Math.max(-5, Math.min(5, m.dy)))));
      }
    }
  }
  if (typeof d.say === 'string') note(w, `${player}: ${d.say.slice(0, 200)}`);
  if (d.leave === true) {
    const i = w.npcs.findIndex((e) => e.id === own);
    if (i >= 0) w.npcs.splice(i, 1);
  }
}

/** Places an entity that arrived by transfer at (x, y); ignores anything that is not an NPC. */
export function arrive(w: NpcWorld, entity: Json, x: number, y: number): Npc | null {
  if (!isNpc(entity)) return null;
  const n = entity as unknown as Npc;
  n.x = x;
  n.y = y;
  n.timer = 60;
  w.npcs.push(n);
  note(w, `${n.name} arrived`);
  return n;
}

/** The parts every NPC-world kind shares (snapshot and restore: defineKind's structured clone). */
export const npcWorldParts: Pick<KindDefinition<NpcWorld, AnyEvents>, 'onInput' | 'view' | 'schema' | 'replicate' | 'entityCount' | 'exportEntity'> = {
  onInput: (w: NpcWorld, input: PlayerInput) => applyInput(w, input.player, input.data),
  view: npcViews,
  // Positions are kept to hundredths (round2), so they travel as exact hundredths.
  schema: { fields: { x: { type: 'fixed', scale: 100 }, y: { type: 'fixed', scale: 100 }, name: { type: 'string' }, mood: { type: 'string' } } },
  replicate(w, out) {
    for (const n of w.npcs) {
      const r = out.row(n.id, n.kind);
      out.set(r, 0, n.x);
      out.set(r, 1, n.y);
      out.set(r, 2, n.name);
      out.set(r, 3, n.mood);
    }
  },
  entityCount: (w: NpcWorld) => w.npcs.length,
  exportEntity: takeNpc,
};
