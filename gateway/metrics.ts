// Prometheus metrics: one prom-client Registry per gateway (never the global default, so
// several gateways can live in one process). Engine figures are read from the engine at
// scrape time; control-tick histograms are observed once per control tick.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Engine } from '../engine/index.js';
import type { ControlTickInfo } from '../engine/index.js';
import { REALM_STATES } from '../protocol/realm.js';
import { backupsOnDisk } from './backups.js';
import type { LiveStats } from './stats.js';

export type BackupKind = 'create' | 'restore' | 'delete';
export type BackupOutcome = 'ok' | 'error';

export interface GatewayMetrics {
  readonly registry: Registry;
  observeTick(info: ControlTickInfo): void;
  /** One backup operation asked through the gateway (HTTP or WebSocket), once it has finished. */
  observeBackup(kind: BackupKind, outcome: BackupOutcome, seconds: number): void;
  text(): Promise<string>;
}

/** Backups write or read the whole multiverse: milliseconds for a few realms, seconds for many. */
const BACKUP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const MS_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** A counter whose value is copied from a monotonic number at scrape time. */
function mirrorCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

function mirrorLabelled(registry: Registry, name: string, help: string, label: string, map: () => Map<string, number>): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [k, v] of map()) this.inc({ [label]: k }, v);
    },
  });
}

export function createMetrics(engine: Engine, stats: LiveStats, defaultMetrics: boolean): GatewayMetrics {
  const registry = new Registry();
  if (defaultMetrics) {
    collectDefaultMetrics({ register: registry, prefix: 'tickverse_' });
    // prom-client names these gauges *_total, which promtool rejects; the per-type gauges
    // (tickverse_nodejs_active_handles{type} …) carry the same figures.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      registry.removeSingleMetric(`tickverse_${name}`);
    }
  }

  const tickDuration = new Histogram({
    name: 'tickverse_control_tick_duration_seconds',
    help: 'Control-tick close cost: last shard arrival to the release of the next round',
    buckets: MS_BUCKETS,
    registers: [registry],
  });
  const barrier = new Histogram({
    name: 'tickverse_barrier_seconds',
    help: 'Barrier latency: last shard arrival to the main thread noticing it',
    buckets: MS_BUCKETS,
    registers: [registry],
  });
  const route = new Histogram({
    name: 'tickverse_route_seconds',
    help: 'Time spent routing cross-realm events into the in-rings per control tick',
    buckets: MS_BUCKETS,
    registers: [registry],
  });
  const backupOps = new Counter({
    name: 'tickverse_backup_operations_total',
    help: 'Backup operations asked through the gateway (HTTP or WebSocket), by kind (create, restore, delete) and outcome (ok, error)',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
  });
  const backupSeconds = new Histogram({
    name: 'tickverse_backup_duration_seconds',
    help: 'Time a backup operation took, by kind (create, restore, delete)',
    labelNames: ['kind'],
    buckets: BACKUP_BUCKETS,
    registers: [registry],
  });
  // Every series from the start, so rate() and alerts see 0 rather than nothing.
  for (const kind of ['create', 'restore', 'delete'] as const) {
    for (const outcome of ['ok', 'error'] as const) backupOps.inc({ kind, outcome }, 0);
    backupSeconds.zero({ kind });
  }
  // Read from the disk at scrape time, so automatic (scheduled) backups show too: a growing age means the schedule fails.
  const onDisk = async (): Promise<{ count: number; newestMs: number | null } | null> => {
    const dir = engine.options.dataDir;
    return dir === null ? { count: 0, newestMs: null } : backupsOnDisk(dir).catch(() => null);
  };
  new Gauge({
    name: 'tickverse_backups_stored',
    help: 'Backup files in <dataDir>/backups/ (taken by hand or on the schedule)',
    registers: [registry],
    async collect() {
      const d = await onDisk();
      if (d === null) this.reset();
      else this.set(d.count);
    },
  });
  new Gauge({
    name: 'tickverse_last_backup_age_seconds',
    help: 'Age of the newest backup the engine took, by hand or on the schedule (-1: none)',
    registers: [registry],
    async collect() {
      const d = await onDisk();
      if (d === null) this.reset();
      else this.set(d.newestMs === null ? -1 : Math.max(0, Date.now() - d.newestMs) / 1000);
    },
  });
  let last: ControlTickInfo | null = null;

  mirrorCounter(registry, 'tickverse_control_ticks_total', 'Control ticks closed', () => engine.stats().controlTick);
  mirrorCounter(registry, 'tickverse_events_routed_total', 'Cross-realm events routed', () => engine.stats().eventsRouted);
  new Gauge({
    name: 'tickverse_realms',
    help: 'Registered realms by lifecycle state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const by = engine.stats().realmsByState;
      for (const s of REALM_STATES) this.set({ state: s }, by[s] ?? 0);
    },
  });
  new Gauge({
    name: 'tickverse_shards',
    help: 'Shard worker threads configured',
    registers: [registry],
    collect() {
      this.set(engine.shardCount);
    },
  });
  new Gauge({
    name: 'tickverse_ring_used_bytes',
    help: 'Bytes in use in each shard ring when the last control tick closed',
    labelNames: ['shard', 'ring'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of last?.shards ?? []) {
        this.set({ shard: String(s.shard), ring: 'out' }, s.outRingUsed);
        this.set({ shard: String(s.shard), ring: 'in' }, s.inRingUsed);
      }
    },
  });
  new Counter({
    name: 'tickverse_ring_overflows_total',
    help: 'Failed ring writes (frames kept and retried, never dropped) per shard ring',
    labelNames: ['shard', 'ring'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of last?.shards ?? []) {
        this.inc({ shard: String(s.shard), ring: 'out' }, s.outRingOverflows);
        this.inc({ shard: String(s.shard), ring: 'in' }, s.inRingOverflows);
      }
    },
  });
  new Counter({
    name: 'tickverse_shard_state_frames_dropped_total',
    help: 'State frames a shard could not queue (its out-ring was full); the realm sends a keyframe next',
    labelNames: ['shard'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of last?.shards ?? []) this.inc({ shard: String(s.shard) }, s.stateFramesDropped);
    },
  });
  new Gauge({
    name: 'tickverse_shard_busy_seconds',
    help: 'Simulation time each shard spent in the last control tick',
    labelNames: ['shard'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of last?.shards ?? []) this.set({ shard: String(s.shard) }, s.busyMs / 1000);
    },
  });
  new Gauge({
    name: 'tickverse_entities',
    help: 'Entities across all realms at the last control tick',
    registers: [registry],
    collect() {
      let n = 0;
      for (const s of last?.shards ?? []) n += s.entities;
      this.set(n);
    },
  });

  // Supervision and durability (docs/durability.md).
  mirrorCounter(registry, 'tickverse_shard_restarts_total', 'Shard threads replaced after dying or stalling', () => engine.stats().shardRestarts);
  mirrorCounter(registry, 'tickverse_shard_failures_total', 'Shard thread deaths seen (crash, exit, out of memory, terminated)', () => engine.stats().shardFailures);
  mirrorCounter(registry, 'tickverse_shard_stalls_total', 'Shards terminated for not reaching the barrier within stallMs', () => engine.stats().shardStalls);
  new Gauge({
    name: 'tickverse_shards_alive',
    help: 'Shard threads running',
    registers: [registry],
    collect() {
      this.set(engine.stats().shardsAlive);
    },
  });
  new Gauge({
    name: 'tickverse_last_snapshot_age_seconds',
    help: 'Age of the last multiverse snapshot (-1: none yet)',
    registers: [registry],
    collect() {
      const snap = engine.stats().lastSnapshot;
      this.set(snap === null ? -1 : snap.ageMs / 1000);
    },
  });
  new Gauge({
    name: 'tickverse_ws_connections',
    help: 'Open WebSocket connections',
    registers: [registry],
    collect() {
      this.set(stats.connections);
    },
  });
  new Gauge({
    name: 'tickverse_ws_lagging_connections',
    help: 'Connections currently over the backpressure limit (state frames skipped)',
    registers: [registry],
    collect() {
      this.set(stats.lagging);
    },
  });
  mirrorCounter(registry, 'tickverse_ws_connections_opened_total', 'WebSocket connections accepted', () => stats.connectionsOpened);
  mirrorCounter(registry, 'tickverse_ws_messages_received_total', 'WebSocket messages received', () => stats.messagesIn);
  mirrorCounter(registry, 'tickverse_ws_frames_published_total', 'State frames published (once per frame, per realm topic)', () => stats.framesPublished);
  mirrorCounter(registry, 'tickverse_ws_frames_sent_total', 'State frames delivered to client sockets (frames published x subscribers)', () => stats.framesSent);
  mirrorCounter(registry, 'tickverse_ws_frames_dropped_total', 'Messages skipped for slow clients over the backpressure limit', () => stats.framesDropped);
  mirrorCounter(registry, 'tickverse_ws_backpressure_closes_total', 'Connections closed because they stayed over the backpressure limit', () => stats.backpressureCloses);
  mirrorCounter(registry, 'tickverse_ws_send_drops_total', 'Messages uWS refused at its hard backpressure limit (flow control keeps this at 0)', () => stats.sendDrops);
  mirrorCounter(registry, 'tickverse_ws_events_pushed_total', 'Cross-realm events pushed to subscribers', () => stats.eventsPushed);
  mirrorCounter(registry, 'tickverse_ws_events_dropped_total', 'Cross-realm event pushes skipped (per-tick push budget exceeded)', () => stats.eventsDropped);
  mirrorLabelled(registry, 'tickverse_errors_total', 'Error replies (WebSocket and HTTP) by error code', 'code', () => stats.errors);
  mirrorLabelled(registry, 'tickverse_ws_closes_total', 'WebSocket connections closed, by reason', 'reason', () => stats.closes);
  mirrorLabelled(registry, 'tickverse_http_responses_total', 'HTTP responses by status code', 'status', () => stats.http);

  return {
    registry,
    observeTick(info) {
      last = info;
      tickDuration.observe(info.durationMs / 1000);
      barrier.observe(info.barrierMs / 1000);
      route.observe(info.routeMs / 1000);
    },
    observeBackup(kind, outcome, seconds) {
      backupOps.inc({ kind, outcome });
      backupSeconds.observe({ kind }, seconds);
    },
    text: () => registry.metrics(),
  };
}
