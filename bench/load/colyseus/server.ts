// The Colyseus baseline server: @colyseus/core 0.18 with @colyseus/ws-transport on a free port
// (its uWebSockets transport depends on a GitHub tarball of uWebSockets.js, which cannot be
// installed from the registry here), rooms created up front with autoDispose off so rooms
// without clients keep simulating, as Tickverse realms do. Everything runs on the process's
// one thread. Realms layout: one StressRoom per realm; open world: one OpenRoom.
import type { AddressInfo } from 'node:net';
import { matchMaker, Server } from '@colyseus/core';
import { WebSocketTransport } from '@colyseus/ws-transport';
import { openRealmId, realmId } from '../ipc.js';
import { perSec, type BenchServer, type TargetFigures } from '../server-api.js';
import type { ServerConfig } from '../types.js';
import { OpenRoom, roomCounters, StressRoom, type OpenRoomOptions, type StressRoomOptions } from './room.js';

const CREATE_BATCH = 500;
const noop = (): void => undefined;
const silent = { debug: noop, info: noop, warn: noop, error: noop, trace: noop, log: noop };

export async function startColyseus(cfg: ServerConfig): Promise<BenchServer> {
  const transport = new WebSocketTransport();
  const server = new Server({ transport, greet: false, logger: silent, gracefullyShutdown: false });
  server.define('stress', StressRoom);
  server.define('open', OpenRoom);
  await server.listen(0, '127.0.0.1');
  const port = (transport.server!.address() as AddressInfo).port;
  if (cfg.layout === 'open') {
    const options: OpenRoomOptions = { realmId: openRealmId, entities: cfg.entities, tickHz: cfg.tickHz, cell: cfg.cell };
    await matchMaker.createRoom('open', options);
  } else {
    for (let first = 0; first < cfg.realms; first += CREATE_BATCH) {
      const batch: Promise<unknown>[] = [];
      for (let i = first; i < Math.min(cfg.realms, first + CREATE_BATCH); i++) {
        const options: StressRoomOptions = { realmId: realmId(i), peer: realmId((i + 1) % cfg.realms), entities: cfg.entities, tickHz: cfg.tickHz, emitEvery: cfg.emitEvery };
        batch.push(matchMaker.createRoom('stress', options));
      }
      await Promise.all(batch);
    }
  }

  let c0 = { ...roomCounters };
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    begin() {
      c0 = { ...roomCounters };
    },
    end(wallMs): TargetFigures {
      const d = (k: keyof typeof roomCounters): number => roomCounters[k] - c0[k];
      return {
        localTicksPerSec: perSec(d('ticks'), wallMs),
        entityUpdatesPerSec: perSec(d('entityUpdates'), wallMs),
        crossRealmEventsPerSec: perSec(d('eventsOut'), wallMs),
        controlTickMs: null,
        barrierMs: null,
        framesPublished: d('patches'),
        framesSent: d('patchSends'),
        // Colyseus (ws) never skips a patch: a slow client's patches queue in its socket buffer.
        framesDropped: 0,
        slowClientCloses: 0,
        extra: {
          patchMsPerTick: d('ticks') > 0 ? Math.round((d('patchMs') / d('ticks')) * 1000) / 1000 : 0,
          viewAddsPerSec: perSec(d('viewAdds'), wallMs),
          viewRemovesPerSec: perSec(d('viewRemoves'), wallMs),
        },
      };
    },
    async close() {
      await server.gracefullyShutdown(false);
    },
  };
}
