// The control loop: release → wait (Atomics.waitAsync) → drain → route → report, one round
// at a time. Its main-thread cost follows the work: frames drained and routed, realms that
// changed; per-shard totals arrive in a fixed binary layout and nothing here walks the realms
// (except on the rounds that report state hashes, when asked for).
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { RoundEnd } from '../protocol/stats-table.js';
import { nowMs } from './barrier.js';
import type { ResolvedOptions } from './options.js';
import type { Realms } from './realms.js';
import type { Router, RouteResult, RouteSink } from './router.js';
import type { RouteLog } from './route-log.js';
import type { ShardIo } from './shard-io.js';
import type { ControlTickInfo, ShardTickStats } from './types.js';

interface ShardRound {
  round: number;
  busyMs: number;
  localTicks: number;
  entityUpdates: number;
  stateDropped: number;
  backlog: number;
  realms: number;
  entities: number;
  hashed: boolean;
}

/** What the loop asks of the parts above it, once per round. */
export interface LoopHooks {
  beforeRound(round: number): void;
  stalled(round: number, releasedAt: number): void;
  /** Stopping: the final snapshot to take in the service round, or null to end now. */
  finalRound(): Promise<unknown> | null;
  sink(): RouteSink;
  /** Just before the round's batch is routed: frames added to the router now go with it. */
  beforeRoute(): void;
  log(): RouteLog | null;
  /** A stepped engine (time travel's replay): resolves when `round` may be released, with its local
   *  ticks (0: a service round, no simulation); null: release at once with ticksPerControl. */
  gate(round: number): Promise<number> | null;
  /** The tick closed; true when it woke someone waiting for it (who then gets a turn before the next release). */
  closed(info: ControlTickInfo): boolean;
}

export class ControlLoop {
  round = 1;
  private halting = false;
  /** Ends a wait at the gate: stopping does not wait for a step that will never come. */
  private wakeGate: () => void = () => undefined;
  barrierViolations = 0;
  totalRouted = 0;
  private readonly rounds: ShardRound[];

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly io: ShardIo,
    private readonly router: Router,
    private readonly realms: Realms,
    private readonly hooks: LoopHooks,
  ) {
    this.rounds = Array.from({ length: opts.shards }, () => ({ round: 0, busyMs: 0, localTicks: 0, entityUpdates: 0, stateDropped: 0, backlog: 0, realms: 0, entities: 0, hashed: false }));
  }

  get stopping(): boolean {
    return this.halting;
  }

  set stopping(v: boolean) {
    this.halting = v;
    if (v) this.wakeGate();
  }

  /** A stepped engine's round waits at its gate for its local ticks (0 when stopping meanwhile). */
  private async waitGate(gate: Promise<number>): Promise<number> {
    const stop = new Promise<number>((resolve) => (this.wakeGate = () => resolve(0)));
    // The shards are idle at the barrier; what they send meanwhile (their HELLO at start) is still read.
    const drain = setInterval(() => this.io.drainAll(), 5);
    const ticks = await Promise.race([gate, stop]);
    clearInterval(drain);
    this.wakeGate = () => undefined;
    return ticks;
  }

  /** ROUND_END from a shard: its totals, read in place. */
  roundEnd(shard: number, round: number, view: DataView, at: number): void {
    const r = this.rounds[shard];
    if (r === undefined) return;
    const f = (i: number): number => view.getFloat64(at + i * 8, true);
    r.round = round;
    r.busyMs = f(RoundEnd.BUSY_MS);
    r.localTicks = f(RoundEnd.LOCAL_TICKS);
    r.entityUpdates = f(RoundEnd.ENTITY_UPDATES);
    r.stateDropped = f(RoundEnd.STATE_DROPPED);
    r.backlog = f(RoundEnd.BACKLOG);
    r.realms = f(RoundEnd.REALMS);
    r.entities = f(RoundEnd.ENTITIES);
    r.hashed = f(RoundEnd.HASHED) === 1;
    this.barrierViolations += f(RoundEnd.VIOLATIONS);
    this.realms.shardEntities(shard, r.entities);
  }

  async run(): Promise<void> {
    const { io, opts } = this;
    const pool = io.pool;
    const period = (opts.ticksPerControl * 1000) / opts.tickHz;
    const realtime = opts.mode === 'realtime';
    let scheduled = nowMs();
    let lastYield = nowMs();
    let final: Promise<unknown> | null = null;
    let finalDone = false;
    for (;;) {
      const gate = this.stopping ? null : this.hooks.gate(this.round);
      const ticks = gate === null ? opts.ticksPerControl : await this.waitGate(gate);
      // Stopping: service rounds (no local ticks) in which every realm hands over its final
      // snapshot — as many as a large one needs to pass through the rings.
      const service = this.stopping;
      if (service && final === null) {
        if (pool.aliveCount === 0 || (final = this.hooks.finalRound()) === null) break;
        void final.then(
          () => (finalDone = true),
          () => (finalDone = true),
        );
      } else if (service && pool.aliveCount === 0) break;
      else if (!service) this.hooks.beforeRound(this.round);
      // Drift-corrected: rounds start on an absolute schedule; if we fell more than a round behind, re-anchor.
      if (realtime && nowMs() - scheduled > period) scheduled = nowMs();
      const startMs = realtime ? scheduled : nowMs();
      // Commands queued since the last barrier wait for the next one, wherever in between they
      // were issued (a run is deterministic whatever the timing of the code issuing them); only
      // the service round, which has no next barrier, takes them now.
      io.writeBarrierFrames(service);
      const releasedAt = nowMs();
      pool.barrier.release(this.round, startMs, service ? 0 : ticks);
      const round = this.round;
      const arrived = (): boolean => {
        for (const l of pool.links) if (l.alive && pool.barrier.doneRound(l.shard) < round) return false;
        return true;
      };
      for (;;) {
        const outcome = await pool.barrier.waitAll(arrived, () => io.drainAll(), opts.stallMs);
        if (outcome === 'arrived') break;
        this.hooks.stalled(round, releasedAt);
      }
      const noticed = nowMs();
      io.drainAll();
      io.closedRound = round; // every live shard wrote its counters for this round
      let lastArrival = 0;
      for (const l of pool.links) {
        if (!l.alive) continue;
        // Barrier invariant: every live shard finished exactly this round, and reported it.
        if (pool.barrier.doneRound(l.shard) !== round || this.rounds[l.shard]!.round !== round) this.barrierViolations++;
        lastArrival = Math.max(lastArrival, pool.barrier.arrivalMs(l.shard));
      }
      // Commands queued during the round go in before this round's deliveries (a realm registered now exists when its events arrive).
      io.writeBarrierFrames(true);
      this.hooks.beforeRoute();
      const routeStart = nowMs();
      const routed = this.router.route(round, this.hooks.sink(), this.hooks.log());
      io.publishDeliveries();
      const routeEnd = nowMs();
      this.totalRouted += routed.events;
      scheduled += period;
      const info = this.report(routed, {
        barrierMs: Math.max(0, noticed - lastArrival),
        routeMs: routeEnd - routeStart,
        roundMs: Math.max(0, lastArrival - releasedAt),
        durationMs: Math.max(0, routeEnd - lastArrival),
      });
      // From here on, commands belong to the next round (and journal records carry its tick).
      this.round++;
      const woke = this.hooks.closed(info);
      if (final !== null) {
        await yieldToLoop(); // replies drained this round settle the snapshot's promises
        if (finalDone) {
          await final.catch((e: unknown) => opts.logger.error({ error: String(e) }, 'final snapshot failed'));
          break;
        }
      }
      // Max mode: code awaiting this tick gets a turn, and I/O now and then.
      if (!realtime && (woke || nowMs() - lastYield > 2)) {
        await yieldToLoop();
        lastYield = nowMs();
      }
    }
  }

  private report(routed: RouteResult, t: { barrierMs: number; routeMs: number; roundMs: number; durationMs: number }): ControlTickInfo {
    const shards: ShardTickStats[] = [];
    let localTicks = 0;
    let entityUpdates = 0;
    let hashed = false;
    for (const l of this.io.pool.links) {
      const s = this.rounds[l.shard]!;
      const current = s.round === this.round; // a shard that died this round reported nothing
      if (current) {
        localTicks += s.localTicks;
        entityUpdates += s.entityUpdates;
        hashed ||= s.hashed;
      }
      shards.push({
        shard: l.shard,
        realms: s.realms,
        entities: s.entities,
        busyMs: current ? s.busyMs : 0,
        outRingUsed: l.outRing.usedBytes(),
        inRingUsed: l.inRing.usedBytes(),
        outRingOverflows: l.outRing.overflows(),
        inRingOverflows: l.inRing.overflows(),
        outBacklog: s.backlog,
        stateFramesDropped: s.stateDropped,
      });
    }
    const hashes: Record<string, number> = {};
    if (hashed) {
      for (const rec of this.realms.registry.all()) {
        // Only the shards that hashed in this round: a shard that died in it left the row of two rounds ago.
        const s = this.rounds[rec.shard]!;
        if (s.round !== this.round || !s.hashed) continue;
        const h = this.io.counters(rec.shard, rec.row, rec.slot)?.hash;
        if (h !== undefined && h !== null) hashes[rec.reg.realmId] = h;
      }
    }
    return {
      controlTick: this.round,
      ...t,
      eventsRouted: routed.events,
      deliveries: routed.deliveries,
      transfers: routed.transfers,
      bounced: routed.bounced,
      undeliverable: routed.undeliverable,
      localTicks,
      entityUpdates,
      shards,
      hashes,
    };
  }
}
