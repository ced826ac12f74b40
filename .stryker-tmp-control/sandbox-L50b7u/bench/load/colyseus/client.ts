// @ts-nocheck
// A Colyseus client as a game would write it: colyseus.js joins the room by id and keeps the
// decoded state; latency is read from the state's `at` in onStateChange (after the patch is
// decoded), entity changes are counted with the schema callbacks (onChange per entity).
import { Client, getStateCallbacks, type Room } from 'colyseus.js';
import { byteLength, type ClientStats, type CloseClient } from '../client-stats.js';

interface EntityLike {
  x: number;
  y: number;
}
interface StateLike {
  at: number;
  entities: { size: number };
}
type Callbacks = (target: unknown) => {
  entities: { onAdd(cb: (e: EntityLike, key: string) => void, immediate?: boolean): () => void };
  onChange(cb: () => void): () => void;
};

export async function connectColyseus(url: string, realm: string, stats: ClientStats): Promise<CloseClient> {
  const client = new Client(url);
  const room: Room<StateLike> = await client.joinById<StateLike>(realm);
  let first = true;
  let leaving = false;
  room.onStateChange((s) => {
    stats.frame(s.at, first, first ? s.entities.size : 0);
    first = false;
  });
  const $ = getStateCallbacks(room as never) as unknown as Callbacks;
  $(room.state).entities.onAdd((e) => {
    $(e).onChange(() => stats.entity());
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
