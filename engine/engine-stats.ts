// engine.stats(): the figures of every part in one object (docs/engine.md § Stats).
import type { ControlLoop } from './control-loop.js';
import type { Durability } from './durability.js';
import type { Realms } from './realms.js';
import type { Reports } from './reports.js';
import type { ShardIo } from './shard-io.js';
import type { Supervisor } from './supervisor.js';
import type { ControlTickInfo, EngineStats } from './types.js';

export interface StatsParts {
  durability: Durability;
  supervisor: Supervisor;
  realms: Realms;
  io: ShardIo;
  loop: ControlLoop;
  reports: Reports;
  shards: number;
  started: number;
  last: ControlTickInfo | null;
  controlTick: number;
}

export function engineStats(p: StatsParts): EngineStats {
  const store = p.durability.store;
  const last = p.durability.lastSnapshot;
  const snapAt = store?.lastSnapshotAt ?? last?.createdAt ?? 0;
  const snapTick = last?.controlTick ?? store?.lastSnapshotTick ?? -1;
  const s = p.supervisor;
  return {
    controlTick: p.controlTick,
    realms: p.realms.registry.size,
    shards: p.shards,
    shardsAlive: p.io.pool.aliveCount,
    uptimeMs: p.started === 0 ? 0 : Date.now() - p.started,
    last: p.last,
    realmsByState: p.realms.countByState(),
    eventsRouted: p.loop.totalRouted,
    eventsUndeliverable: p.reports.undeliverable,
    transfersBounced: p.reports.bounced,
    barrierViolations: p.loop.barrierViolations,
    shardRestarts: s.restarts,
    shardFailures: s.failures,
    shardStalls: s.stalls,
    lastSnapshot: snapTick < 0 ? null : { controlTick: snapTick, ageMs: Date.now() - snapAt },
    recovery: p.durability.recovery,
  };
}
