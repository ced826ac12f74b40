// Tickverse under load: the engine in realtime mode with R stress realms on S shards (open
// world: one stress realm with area-of-interest cells, no cross-realm events), and the
// gateway on a free port. Figures come from the engine's control-tick reports and the
// gateway's stream counters.
import { randomBytes } from 'node:crypto';
import { Engine, type ControlTickInfo } from '../../engine/index.js';
import { startGateway } from '../../gateway/index.js';
import { RADIUS } from './interest.js';
import { WS_PATH } from '../../protocol/wire.js';
import { openRealmId, realmId } from './ipc.js';
import { perSec, type BenchServer, type TargetFigures } from './server-api.js';
import type { ServerConfig } from './types.js';

interface TickSample {
  at: number;
  info: ControlTickInfo;
}

/** Realms registered at once while setting up (each registration waits for its realm to boot). */
const REGISTER_BATCH = 1000;

export async function startTickverse(cfg: ServerConfig): Promise<BenchServer> {
  const engine = new Engine({ shards: cfg.shards, mode: 'realtime', tickHz: cfg.tickHz, ticksPerControl: cfg.ticksPerControl, hashEvery: 0 });
  await engine.start();
  if (cfg.layout === 'open') {
    await engine.register({ realm_id: openRealmId, game_id: 'bench-load', kind: 'stress', params: { entities: cfg.entities, emitEvery: 0, cell: cfg.cell } });
  }
  for (let first = 0; cfg.layout === 'realms' && first < cfg.realms; first += REGISTER_BATCH) {
    const batch: Promise<unknown>[] = [];
    for (let i = first; i < Math.min(cfg.realms, first + REGISTER_BATCH); i++) {
      batch.push(
        engine.register({
          realm_id: realmId(i),
          game_id: 'bench-load',
          kind: 'stress',
          params: { entities: cfg.entities, emitEvery: cfg.emitEvery, peer: realmId((i + 1) % cfg.realms) },
        }),
      );
    }
    await Promise.all(batch);
  }
  // Mutating operations need a token; the harness never uses them, so a random one keeps them closed.
  const gateway = await startGateway(engine, { port: 0, host: '127.0.0.1', token: randomBytes(24).toString('hex'), publicDir: null, defaultMetrics: false, interestRadius: RADIUS });

  let window: TickSample[] | null = null;
  let g0 = gateway.stats();
  engine.on('controlTick', (info) => {
    window?.push({ at: performance.now(), info });
  });

  return {
    url: `ws://127.0.0.1:${gateway.port}${WS_PATH}`,
    port: gateway.port,
    begin() {
      window = [];
      g0 = gateway.stats();
    },
    end(wallMs): TargetFigures {
      const ticks = window ?? [];
      window = null;
      const g1 = gateway.stats();
      // Rates over whole control ticks: from the first close in the window to the last, the
      // ticks of every round after the first. A window shorter than two closes falls back to wall time.
      const rate = (f: (t: ControlTickInfo) => number): number => {
        if (ticks.length < 2) return perSec(ticks.reduce((a, t) => a + f(t.info), 0), wallMs);
        let sum = 0;
        for (let i = 1; i < ticks.length; i++) sum += f(ticks[i]!.info);
        return perSec(sum, ticks[ticks.length - 1]!.at - ticks[0]!.at);
      };
      return {
        localTicksPerSec: rate((t) => t.localTicks),
        entityUpdatesPerSec: rate((t) => t.entityUpdates),
        crossRealmEventsPerSec: rate((t) => t.eventsRouted),
        controlTickMs: ticks.map((t) => t.info.durationMs),
        barrierMs: ticks.map((t) => t.info.barrierMs),
        framesPublished: g1.framesPublished - g0.framesPublished,
        framesSent: g1.framesSent - g0.framesSent,
        framesDropped: g1.framesDropped - g0.framesDropped,
        slowClientCloses: g1.backpressureCloses - g0.backpressureCloses,
        extra: { framesPublishedPerSec: perSec(g1.framesPublished - g0.framesPublished, wallMs), framesSentPerSec: perSec(g1.framesSent - g0.framesSent, wallMs) },
      };
    },
    async close() {
      await gateway.close();
      await engine.stop();
    },
  };
}
