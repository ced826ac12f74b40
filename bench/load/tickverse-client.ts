// A Tickverse client as a game would write one against wire v2 (docs/protocol.md): a binary
// WebSocket (the `ws` package, as the Colyseus SDK uses in Node), plain MessagePack maps read
// by msgpackr, and protocol/state-wire.ts's StateModel — the reference reader the SDK uses —
// holding the realm's entities. It joins a realm and, in an open world, sets its focus point;
// then it applies every state frame: the header (seq per stream, tick, at), keyframes, spawns,
// updates and gones; a gap drops the stream until its next keyframe (asked for once). When the
// server says the client's cells changed, the cells no longer listed are dropped. Entity
// updates delivered = spawn + update records applied from delta frames.
import { Packr } from 'msgpackr';
import WebSocket from 'ws';
import { SPAWN_HEAD, StateModel, streamKey, type StateFrameV2 } from '../../protocol/state-wire.js';
import { newTrack, type ClientStats, type CloseClient, type SeqTrack } from './client-stats.js';
import type { ClientJoin } from './types.js';

/** Plain maps both ways, as any MessagePack library reads and writes them. */
const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

const HANDSHAKE_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 60_000;

interface Pending {
  resolve(result: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

interface ReplyMsg {
  op: 'reply';
  id: number | string | null;
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
}

interface CellsMsg {
  op: 'cells';
  realm: string;
  size: number;
  cells: [number, number][];
}

type Incoming = ReplyMsg | StateFrameV2 | CellsMsg | { op: string };

export async function connectTickverse(url: string, join: ClientJoin, stats: ClientStats): Promise<CloseClient> {
  const ws = new WebSocket(url, { handshakeTimeout: HANDSHAKE_TIMEOUT_MS, perMessageDeflate: false });
  const pending = new Map<number, Pending>();
  const model = new StateModel();
  const tracks = new Map<string, SeqTrack>();
  let cells = new Set<string>();
  let nextId = 1;
  let closing = false;
  let opened = false;
  /** Streams waiting for a keyframe after a gap (asked for once per gap). */
  const resyncing = new Set<string>();

  const request = (op: string, params: Record<string, unknown>): Promise<unknown> => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${op}: no reply within ${REQUEST_TIMEOUT_MS / 1000} s`));
      }, REQUEST_TIMEOUT_MS);
      pending.set(id, { resolve, reject, timer });
      ws.send(packr.pack({ op, id, ...params }));
    });
  };

  const onState = (f: StateFrameV2): void => {
    if (f.realm !== join.realm) return;
    const key = streamKey(f.cell);
    const result = model.apply(f);
    switch (result) {
      case 'keyframe':
      case 'delta': {
        resyncing.delete(key);
        let track = tracks.get(key);
        if (track === undefined) tracks.set(key, (track = newTrack()));
        const spawns = f.spawn === undefined ? 0 : f.spawn.length / (SPAWN_HEAD + model.fields.length);
        stats.frame(track, f.seq, f.at, result === 'keyframe', spawns, model.changed.length - spawns);
        return;
      }
      case 'gap':
        stats.gap();
        if (!resyncing.has(key)) {
          resyncing.add(key);
          request('keyframe', { realm: join.realm }).catch(() => undefined);
        }
        return;
      case 'stale':
      case 'waiting':
        stats.skipped();
        return;
      default: {
        const never: never = result;
        throw new Error(`unknown apply result ${String(never)}`);
      }
    }
  };

  const onCells = (m: CellsMsg): void => {
    if (m.realm !== join.realm) return;
    const next = new Set(m.cells.map((c) => streamKey(c)));
    for (const key of cells) {
      if (next.has(key)) continue;
      model.dropStream(key);
      tracks.delete(key);
    }
    cells = next;
  };

  const onMessage = (m: Incoming): void => {
    switch (m.op) {
      case 'state':
        onState(m as StateFrameV2);
        return;
      case 'reply': {
        const r = m as ReplyMsg;
        const p = typeof r.id === 'number' ? pending.get(r.id) : undefined;
        if (p === undefined) return;
        pending.delete(r.id as number);
        clearTimeout(p.timer);
        if (r.ok) p.resolve(r.result);
        else p.reject(new Error(`${r.error?.code ?? 'ERROR'}: ${r.error?.message ?? 'request failed'}`));
        return;
      }
      case 'cells':
        onCells(m as CellsMsg);
        return;
      default:
        return; // hello, registry, tick, event, left: not needed here
    }
  };

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    stats.received(data.length);
    if (!isBinary) return;
    const msg = packr.unpack(data) as Incoming | Incoming[];
    if (Array.isArray(msg)) for (const m of msg) onMessage(m);
    else onMessage(msg);
  });
  ws.on('close', () => {
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('connection closed'));
    }
    pending.clear();
    if (opened && !closing) stats.disconnect();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => undefined); // a close follows
  opened = true;
  stats.open++;
  try {
    await request('join', { realm: join.realm });
    if (join.focus !== null) await request('focus', { realm: join.realm, x: join.focus[0], y: join.focus[1] });
  } catch (e) {
    closing = true;
    stats.open--;
    ws.terminate();
    throw e;
  }
  return () => {
    closing = true;
    ws.close(1000);
  };
}
