// @ts-nocheck
// The Colyseus baseline server: @colyseus/core with the ws transport on a free port, one
// StressRoom per realm created up front (autoDispose off, so rooms without clients keep
// simulating, as Tickverse realms do). Everything runs on the process's one thread.
import type { AddressInfo } from 'node:net';
import { realmId } from '../ipc.js';
import { perSec, type BenchServer, type TargetFigures } from '../server-api.js';
import type { ServerConfig } from '../types.js';
import { core, wsTransport } from './modules.js';
import { roomCounters, StressRoom, type StressRoomOptions } from './room.js';

const CREATE_BATCH = 500;
const noop = (): void => undefined;
const silent = { debug: noop, info: noop, warn: noop, error: noop, trace: noop, log: noop };

export async function startColyseus(cfg: ServerConfig): Promise<BenchServer> {
  const transport = new wsTransport.WebSocketTransport();
  const server = new core.Server({ transport, greet: false, logger: silent, gracefullyShutdown: false });
  server.define('stress', StressRoom);
  await server.listen(0, '127.0.0.1');
  const port = (transport.server!.address() as AddressInfo).port;
  for (let first = 0; first < cfg.realms; first += CREATE_BATCH) {
    const batch: Promise<unknown>[] = [];
    for (let i = first; i < Math.min(cfg.realms, first + CREATE_BATCH); i++) {
      const options: StressRoomOptions = { realmId: realmId(i), peer: realmId((i + 1) % cfg.realms), entities: cfg.entities, tickHz: cfg.tickHz, emitEvery: cfg.emitEvery };
      batch.push(core.matchMaker.createRoom('stress', options));
    }
    await Promise.all(batch);
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
      };
    },
    async close() {
      await server.gracefullyShutdown(false);
    },
  };
}
