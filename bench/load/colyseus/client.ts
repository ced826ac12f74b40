// A Colyseus client as a game would write it: @colyseus/sdk 0.18 joins the room by id (in the
// open world with its focus point as join options) and keeps the decoded state. Entity
// updates delivered are counted with the schema callbacks: an entity added to the client's
// state (it entered the view) is a spawn, an entity's onChange an update. Latency and gaps
// are read in onStateChange (after the patch is decoded and the callbacks ran) from the
// state's `at` and `tick`.
import { Callbacks, Client, type Room } from '@colyseus/sdk';
import { byteLength, newTrack, type ClientStats, type CloseClient } from '../client-stats.js';
import type { ClientJoin } from '../types.js';

interface EntityLike {
  x: number;
  y: number;
}
interface StateLike {
  at: number;
  tick: number;
  entities: Map<string, EntityLike> & { size: number };
}

export async function connectColyseus(url: string, join: ClientJoin, stats: ClientStats): Promise<CloseClient> {
  const client = new Client(url);
  const options = join.focus === null ? {} : { x: join.focus[0], y: join.focus[1] };
  const room: Room<unknown, StateLike> = await client.joinById<StateLike>(join.realm, options);
  const track = newTrack();
  let first = true;
  let lastTick = -1;
  let leaving = false;
  /** Entities added by the patch being applied: their field values came with the add, not as an update. */
  const fresh = new Set<string>();
  room.onStateChange((s) => {
    if (!first && s.tick !== lastTick + 1) stats.gap();
    lastTick = s.tick;
    stats.frame(track, s.tick, s.at, first, first ? s.entities.size : 0, 0);
    first = false;
    fresh.clear();
  });
  const callbacks = Callbacks.get(room as never) as unknown as {
    onAdd(prop: 'entities', cb: (e: EntityLike, key: string) => void, immediate?: boolean): () => void;
    onRemove(prop: 'entities', cb: (e: EntityLike, key: string) => void): () => void;
    onChange(instance: EntityLike, cb: () => void): () => void;
  };
  // An entity leaves the view and may come back later: its onChange goes with it.
  const watching = new Map<string, () => void>();
  callbacks.onAdd(
    'entities',
    (e, key) => {
      if (!first) stats.spawn(); // entities of the first state are its keyframe
      fresh.add(key);
      watching.get(key)?.();
      watching.set(
        key,
        callbacks.onChange(e, () => {
          if (fresh.size === 0 || !fresh.has(key)) stats.update();
        }),
      );
    },
    true,
  );
  callbacks.onRemove('entities', (_e, key) => {
    watching.get(key)?.();
    watching.delete(key);
  });
  room.onLeave(() => {
    if (!leaving) stats.disconnect();
  });
  const ws = (room.connection.transport as unknown as { ws?: { addEventListener(t: 'message', fn: (ev: { data: unknown }) => void): void } }).ws;
  ws?.addEventListener('message', (ev) => stats.received(byteLength(ev.data)));
  stats.open++;
  return () => {
    leaving = true;
    room.leave(true).catch(() => undefined);
  };
}
