// @ts-nocheck
// The control loop: release → wait (Atomics.waitAsync) → drain → route → report, one round
// at a time. Its main-thread cost follows the work: frames drained and routed, realms that
// changed; per-shard totals arrive in a fixed binary layout and nothing here walks the realms
// (except on the rounds that report state hashes, when asked for).
function stryNS_9fa48() {
  var g = typeof globalThis === 'object' && globalThis && globalThis.Math === Math && globalThis || new Function("return this")();
  var ns = g.__stryker__ || (g.__stryker__ = {});
  if (ns.activeMutant === undefined && g.process && g.process.env && g.process.env.__STRYKER_ACTIVE_MUTANT__) {
    ns.activeMutant = g.process.env.__STRYKER_ACTIVE_MUTANT__;
  }
  function retrieveNS() {
    return ns;
  }
  stryNS_9fa48 = retrieveNS;
  return retrieveNS();
}
stryNS_9fa48();
function stryCov_9fa48() {
  var ns = stryNS_9fa48();
  var cov = ns.mutantCoverage || (ns.mutantCoverage = {
    static: {},
    perTest: {}
  });
  function cover() {
    var c = cov.static;
    if (ns.currentTestId) {
      c = cov.perTest[ns.currentTestId] = cov.perTest[ns.currentTestId] || {};
    }
    var a = arguments;
    for (var i = 0; i < a.length; i++) {
      c[a[i]] = (c[a[i]] || 0) + 1;
    }
  }
  stryCov_9fa48 = cover;
  cover.apply(null, arguments);
}
function stryMutAct_9fa48(id) {
  var ns = stryNS_9fa48();
  function isActive(id) {
    if (ns.activeMutant === id) {
      if (ns.hitCount !== void 0 && ++ns.hitCount > ns.hitLimit) {
        throw new Error('Stryker: Hit count limit reached (' + ns.hitCount + ')');
      }
      return true;
    }
    return false;
  }
  stryMutAct_9fa48 = isActive;
  return isActive(id);
}
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
  log(): RouteLog | null;
  /** The tick closed; true when it woke someone waiting for it (who then gets a turn before the next release). */
  closed(info: ControlTickInfo): boolean;
}
export class ControlLoop {
  round = 1;
  stopping = stryMutAct_9fa48("0") ? true : (stryCov_9fa48("0"), false);
  barrierViolations = 0;
  totalRouted = 0;
  private readonly rounds: ShardRound[];
  constructor(private readonly opts: ResolvedOptions, private readonly io: ShardIo, private readonly router: Router, private readonly realms: Realms, private readonly hooks: LoopHooks) {
    if (stryMutAct_9fa48("1")) {
      {}
    } else {
      stryCov_9fa48("1");
      this.rounds = Array.from(stryMutAct_9fa48("2") ? {} : (stryCov_9fa48("2"), {
        length: opts.shards
      }), stryMutAct_9fa48("3") ? () => undefined : (stryCov_9fa48("3"), () => stryMutAct_9fa48("4") ? {} : (stryCov_9fa48("4"), {
        round: 0,
        busyMs: 0,
        localTicks: 0,
        entityUpdates: 0,
        stateDropped: 0,
        backlog: 0,
        realms: 0,
        entities: 0,
        hashed: stryMutAct_9fa48("5") ? true : (stryCov_9fa48("5"), false)
      })));
    }
  }

  /** ROUND_END from a shard: its totals, read in place. */
  roundEnd(shard: number, round: number, view: DataView, at: number): void {
    if (stryMutAct_9fa48("6")) {
      {}
    } else {
      stryCov_9fa48("6");
      const r = this.rounds[shard];
      if (stryMutAct_9fa48("9") ? r !== undefined : stryMutAct_9fa48("8") ? false : stryMutAct_9fa48("7") ? true : (stryCov_9fa48("7", "8", "9"), r === undefined)) return;
      const f = stryMutAct_9fa48("10") ? () => undefined : (stryCov_9fa48("10"), (() => {
        const f = (i: number): number => view.getFloat64(stryMutAct_9fa48("11") ? at - i * 8 : (stryCov_9fa48("11"), at + (stryMutAct_9fa48("12") ? i / 8 : (stryCov_9fa48("12"), i * 8))), stryMutAct_9fa48("13") ? false : (stryCov_9fa48("13"), true));
        return f;
      })());
      r.round = round;
      r.busyMs = f(RoundEnd.BUSY_MS);
      r.localTicks = f(RoundEnd.LOCAL_TICKS);
      r.entityUpdates = f(RoundEnd.ENTITY_UPDATES);
      r.stateDropped = f(RoundEnd.STATE_DROPPED);
      r.backlog = f(RoundEnd.BACKLOG);
      r.realms = f(RoundEnd.REALMS);
      r.entities = f(RoundEnd.ENTITIES);
      r.hashed = stryMutAct_9fa48("16") ? f(RoundEnd.HASHED) !== 1 : stryMutAct_9fa48("15") ? false : stryMutAct_9fa48("14") ? true : (stryCov_9fa48("14", "15", "16"), f(RoundEnd.HASHED) === 1);
      stryMutAct_9fa48("17") ? this.barrierViolations -= f(RoundEnd.VIOLATIONS) : (stryCov_9fa48("17"), this.barrierViolations += f(RoundEnd.VIOLATIONS));
      this.realms.shardEntities(shard, r.entities);
    }
  }
  async run(): Promise<void> {
    if (stryMutAct_9fa48("18")) {
      {}
    } else {
      stryCov_9fa48("18");
      const {
        io,
        opts
      } = this;
      const pool = io.pool;
      const period = stryMutAct_9fa48("19") ? opts.ticksPerControl * 1000 * opts.tickHz : (stryCov_9fa48("19"), (stryMutAct_9fa48("20") ? opts.ticksPerControl / 1000 : (stryCov_9fa48("20"), opts.ticksPerControl * 1000)) / opts.tickHz);
      const realtime = stryMutAct_9fa48("23") ? opts.mode !== 'realtime' : stryMutAct_9fa48("22") ? false : stryMutAct_9fa48("21") ? true : (stryCov_9fa48("21", "22", "23"), opts.mode === (stryMutAct_9fa48("24") ? "" : (stryCov_9fa48("24"), 'realtime')));
      let scheduled = nowMs();
      let lastYield = nowMs();
      let final: Promise<unknown> | null = null;
      let finalDone = stryMutAct_9fa48("25") ? true : (stryCov_9fa48("25"), false);
      if (stryMutAct_9fa48("26")) {
        for (; false;) {
          // Stopping: service rounds (no local ticks) in which every realm hands over its final
          // snapshot — as many as a large one needs to pass through the rings.
          const service = this.stopping;
          if (service && final === null) {
            if (pool.aliveCount === 0 || (final = this.hooks.finalRound()) === null) break;
            void final.then(() => finalDone = true, () => finalDone = true);
          } else if (service && pool.aliveCount === 0) break;else if (!service) this.hooks.beforeRound(this.round);
          // Drift-corrected: rounds start on an absolute schedule; if we fell more than a round behind, re-anchor.
          if (realtime && nowMs() - scheduled > period) scheduled = nowMs();
          const startMs = realtime ? scheduled : nowMs();
          // Commands queued since the last barrier wait for the next one, wherever in between they
          // were issued (a run is deterministic whatever the timing of the code issuing them); only
          // the service round, which has no next barrier, takes them now.
          io.writeBarrierFrames(service);
          const releasedAt = nowMs();
          pool.barrier.release(this.round, startMs, service ? 0 : opts.ticksPerControl);
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
            durationMs: Math.max(0, routeEnd - lastArrival)
          });
          // From here on, commands belong to the next round (and journal records carry its tick).
          this.round++;
          const woke = this.hooks.closed(info);
          if (final !== null) {
            await yieldToLoop(); // replies drained this round settle the snapshot's promises
            if (finalDone) {
              await final.catch((e: unknown) => opts.logger.error({
                error: String(e)
              }, 'final snapshot failed'));
              break;
            }
          }
          // Max mode: code awaiting this tick gets a turn, and I/O now and then.
          if (!realtime && (woke || nowMs() - lastYield > 2)) {
            await yieldToLoop();
            lastYield = nowMs();
          }
        }
      } else {
        stryCov_9fa48("26");
        for (;;) {
          if (stryMutAct_9fa48("27")) {
            {}
          } else {
            stryCov_9fa48("27");
            // Stopping: service rounds (no local ticks) in which every realm hands over its final
            // snapshot — as many as a large one needs to pass through the rings.
            const service = this.stopping;
            if (stryMutAct_9fa48("30") ? service || final === null : stryMutAct_9fa48("29") ? false : stryMutAct_9fa48("28") ? true : (stryCov_9fa48("28", "29", "30"), service && (stryMutAct_9fa48("32") ? final !== null : stryMutAct_9fa48("31") ? true : (stryCov_9fa48("31", "32"), final === null)))) {
              if (stryMutAct_9fa48("33")) {
                {}
              } else {
                stryCov_9fa48("33");
                if (stryMutAct_9fa48("36") ? pool.aliveCount === 0 && (final = this.hooks.finalRound()) === null : stryMutAct_9fa48("35") ? false : stryMutAct_9fa48("34") ? true : (stryCov_9fa48("34", "35", "36"), (stryMutAct_9fa48("38") ? pool.aliveCount !== 0 : stryMutAct_9fa48("37") ? false : (stryCov_9fa48("37", "38"), pool.aliveCount === 0)) || (stryMutAct_9fa48("40") ? (final = this.hooks.finalRound()) !== null : stryMutAct_9fa48("39") ? false : (stryCov_9fa48("39", "40"), (final = this.hooks.finalRound()) === null)))) break;
                void final.then(stryMutAct_9fa48("41") ? () => undefined : (stryCov_9fa48("41"), () => finalDone = stryMutAct_9fa48("42") ? false : (stryCov_9fa48("42"), true)), stryMutAct_9fa48("43") ? () => undefined : (stryCov_9fa48("43"), () => finalDone = stryMutAct_9fa48("44") ? false : (stryCov_9fa48("44"), true)));
              }
            } else if (stryMutAct_9fa48("47") ? service || pool.aliveCount === 0 : stryMutAct_9fa48("46") ? false : stryMutAct_9fa48("45") ? true : (stryCov_9fa48("45", "46", "47"), service && (stryMutAct_9fa48("49") ? pool.aliveCount !== 0 : stryMutAct_9fa48("48") ? true : (stryCov_9fa48("48", "49"), pool.aliveCount === 0)))) break;else if (stryMutAct_9fa48("52") ? false : stryMutAct_9fa48("51") ? true : stryMutAct_9fa48("50") ? service : (stryCov_9fa48("50", "51", "52"), !service)) this.hooks.beforeRound(this.round);
            // Drift-corrected: rounds start on an absolute schedule; if we fell more than a round behind, re-anchor.
            if (stryMutAct_9fa48("55") ? realtime || nowMs() - scheduled > period : stryMutAct_9fa48("54") ? false : stryMutAct_9fa48("53") ? true : (stryCov_9fa48("53", "54", "55"), realtime && (stryMutAct_9fa48("58") ? nowMs() - scheduled <= period : stryMutAct_9fa48("57") ? nowMs() - scheduled >= period : stryMutAct_9fa48("56") ? true : (stryCov_9fa48("56", "57", "58"), (stryMutAct_9fa48("59") ? nowMs() + scheduled : (stryCov_9fa48("59"), nowMs() - scheduled)) > period)))) scheduled = nowMs();
            const startMs = realtime ? scheduled : nowMs();
            // Commands queued since the last barrier wait for the next one, wherever in between they
            // were issued (a run is deterministic whatever the timing of the code issuing them); only
            // the service round, which has no next barrier, takes them now.
            io.writeBarrierFrames(service);
            const releasedAt = nowMs();
            pool.barrier.release(this.round, startMs, service ? 0 : opts.ticksPerControl);
            const round = this.round;
            const arrived = (): boolean => {
              if (stryMutAct_9fa48("60")) {
                {}
              } else {
                stryCov_9fa48("60");
                for (const l of pool.links) if (stryMutAct_9fa48("63") ? l.alive || pool.barrier.doneRound(l.shard) < round : stryMutAct_9fa48("62") ? false : stryMutAct_9fa48("61") ? true : (stryCov_9fa48("61", "62", "63"), l.alive && (stryMutAct_9fa48("66") ? pool.barrier.doneRound(l.shard) >= round : stryMutAct_9fa48("65") ? pool.barrier.doneRound(l.shard) <= round : stryMutAct_9fa48("64") ? true : (stryCov_9fa48("64", "65", "66"), pool.barrier.doneRound(l.shard) < round)))) return stryMutAct_9fa48("67") ? true : (stryCov_9fa48("67"), false);
                return stryMutAct_9fa48("68") ? false : (stryCov_9fa48("68"), true);
              }
            };
            if (stryMutAct_9fa48("69")) {
              for (; false;) {
                const outcome = await pool.barrier.waitAll(arrived, () => io.drainAll(), opts.stallMs);
                if (outcome === 'arrived') break;
                this.hooks.stalled(round, releasedAt);
              }
            } else {
              stryCov_9fa48("69");
              for (;;) {
                if (stryMutAct_9fa48("70")) {
                  {}
                } else {
                  stryCov_9fa48("70");
                  const outcome = await pool.barrier.waitAll(arrived, stryMutAct_9fa48("71") ? () => undefined : (stryCov_9fa48("71"), () => io.drainAll()), opts.stallMs);
                  if (stryMutAct_9fa48("74") ? outcome !== 'arrived' : stryMutAct_9fa48("73") ? false : stryMutAct_9fa48("72") ? true : (stryCov_9fa48("72", "73", "74"), outcome === (stryMutAct_9fa48("75") ? "" : (stryCov_9fa48("75"), 'arrived')))) break;
                  this.hooks.stalled(round, releasedAt);
                }
              }
            }
            const noticed = nowMs();
            io.drainAll();
            io.closedRound = round; // every live shard wrote its counters for this round
            let lastArrival = 0;
            for (const l of pool.links) {
              if (stryMutAct_9fa48("76")) {
                {}
              } else {
                stryCov_9fa48("76");
                if (stryMutAct_9fa48("79") ? false : stryMutAct_9fa48("78") ? true : stryMutAct_9fa48("77") ? l.alive : (stryCov_9fa48("77", "78", "79"), !l.alive)) continue;
                // Barrier invariant: every live shard finished exactly this round, and reported it.
                if (stryMutAct_9fa48("82") ? pool.barrier.doneRound(l.shard) !== round && this.rounds[l.shard]!.round !== round : stryMutAct_9fa48("81") ? false : stryMutAct_9fa48("80") ? true : (stryCov_9fa48("80", "81", "82"), (stryMutAct_9fa48("84") ? pool.barrier.doneRound(l.shard) === round : stryMutAct_9fa48("83") ? false : (stryCov_9fa48("83", "84"), pool.barrier.doneRound(l.shard) !== round)) || (stryMutAct_9fa48("86") ? this.rounds[l.shard]!.round === round : stryMutAct_9fa48("85") ? false : (stryCov_9fa48("85", "86"), this.rounds[l.shard]!.round !== round)))) stryMutAct_9fa48("87") ? this.barrierViolations-- : (stryCov_9fa48("87"), this.barrierViolations++);
                lastArrival = stryMutAct_9fa48("88") ? Math.min(lastArrival, pool.barrier.arrivalMs(l.shard)) : (stryCov_9fa48("88"), Math.max(lastArrival, pool.barrier.arrivalMs(l.shard)));
              }
            }
            // Commands queued during the round go in before this round's deliveries (a realm registered now exists when its events arrive).
            io.writeBarrierFrames(stryMutAct_9fa48("89") ? false : (stryCov_9fa48("89"), true));
            const routeStart = nowMs();
            const routed = this.router.route(round, this.hooks.sink(), this.hooks.log());
            io.publishDeliveries();
            const routeEnd = nowMs();
            stryMutAct_9fa48("90") ? this.totalRouted -= routed.events : (stryCov_9fa48("90"), this.totalRouted += routed.events);
            stryMutAct_9fa48("91") ? scheduled -= period : (stryCov_9fa48("91"), scheduled += period);
            const info = this.report(routed, stryMutAct_9fa48("92") ? {} : (stryCov_9fa48("92"), {
              barrierMs: stryMutAct_9fa48("93") ? Math.min(0, noticed - lastArrival) : (stryCov_9fa48("93"), Math.max(0, stryMutAct_9fa48("94") ? noticed + lastArrival : (stryCov_9fa48("94"), noticed - lastArrival))),
              routeMs: stryMutAct_9fa48("95") ? routeEnd + routeStart : (stryCov_9fa48("95"), routeEnd - routeStart),
              roundMs: stryMutAct_9fa48("96") ? Math.min(0, lastArrival - releasedAt) : (stryCov_9fa48("96"), Math.max(0, stryMutAct_9fa48("97") ? lastArrival + releasedAt : (stryCov_9fa48("97"), lastArrival - releasedAt))),
              durationMs: stryMutAct_9fa48("98") ? Math.min(0, routeEnd - lastArrival) : (stryCov_9fa48("98"), Math.max(0, stryMutAct_9fa48("99") ? routeEnd + lastArrival : (stryCov_9fa48("99"), routeEnd - lastArrival)))
            }));
            // From here on, commands belong to the next round (and journal records carry its tick).
            stryMutAct_9fa48("100") ? this.round-- : (stryCov_9fa48("100"), this.round++);
            const woke = this.hooks.closed(info);
            if (stryMutAct_9fa48("103") ? final === null : stryMutAct_9fa48("102") ? false : stryMutAct_9fa48("101") ? true : (stryCov_9fa48("101", "102", "103"), final !== null)) {
              if (stryMutAct_9fa48("104")) {
                {}
              } else {
                stryCov_9fa48("104");
                await yieldToLoop(); // replies drained this round settle the snapshot's promises
                if (stryMutAct_9fa48("106") ? false : stryMutAct_9fa48("105") ? true : (stryCov_9fa48("105", "106"), finalDone)) {
                  if (stryMutAct_9fa48("107")) {
                    {}
                  } else {
                    stryCov_9fa48("107");
                    await final.catch(stryMutAct_9fa48("108") ? () => undefined : (stryCov_9fa48("108"), (e: unknown) => opts.logger.error(stryMutAct_9fa48("109") ? {} : (stryCov_9fa48("109"), {
                      error: String(e)
                    }), stryMutAct_9fa48("110") ? "" : (stryCov_9fa48("110"), 'final snapshot failed'))));
                    break;
                  }
                }
              }
            }
            // Max mode: code awaiting this tick gets a turn, and I/O now and then.
            if (stryMutAct_9fa48("113") ? !realtime || woke || nowMs() - lastYield > 2 : stryMutAct_9fa48("112") ? false : stryMutAct_9fa48("111") ? true : (stryCov_9fa48("111", "112", "113"), (stryMutAct_9fa48("114") ? realtime : (stryCov_9fa48("114"), !realtime)) && (stryMutAct_9fa48("116") ? woke && nowMs() - lastYield > 2 : stryMutAct_9fa48("115") ? true : (stryCov_9fa48("115", "116"), woke || (stryMutAct_9fa48("119") ? nowMs() - lastYield <= 2 : stryMutAct_9fa48("118") ? nowMs() - lastYield >= 2 : stryMutAct_9fa48("117") ? false : (stryCov_9fa48("117", "118", "119"), (stryMutAct_9fa48("120") ? nowMs() + lastYield : (stryCov_9fa48("120"), nowMs() - lastYield)) > 2)))))) {
              if (stryMutAct_9fa48("121")) {
                {}
              } else {
                stryCov_9fa48("121");
                await yieldToLoop();
                lastYield = nowMs();
              }
            }
          }
        }
      }
    }
  }
  private report(routed: RouteResult, t: {
    barrierMs: number;
    routeMs: number;
    roundMs: number;
    durationMs: number;
  }): ControlTickInfo {
    if (stryMutAct_9fa48("122")) {
      {}
    } else {
      stryCov_9fa48("122");
      const shards: ShardTickStats[] = stryMutAct_9fa48("123") ? ["Stryker was here"] : (stryCov_9fa48("123"), []);
      let localTicks = 0;
      let entityUpdates = 0;
      let hashed = stryMutAct_9fa48("124") ? true : (stryCov_9fa48("124"), false);
      for (const l of this.io.pool.links) {
        if (stryMutAct_9fa48("125")) {
          {}
        } else {
          stryCov_9fa48("125");
          const s = this.rounds[l.shard]!;
          const current = stryMutAct_9fa48("128") ? s.round !== this.round : stryMutAct_9fa48("127") ? false : stryMutAct_9fa48("126") ? true : (stryCov_9fa48("126", "127", "128"), s.round === this.round); // a shard that died this round reported nothing
          if (stryMutAct_9fa48("130") ? false : stryMutAct_9fa48("129") ? true : (stryCov_9fa48("129", "130"), current)) {
            if (stryMutAct_9fa48("131")) {
              {}
            } else {
              stryCov_9fa48("131");
              stryMutAct_9fa48("132") ? localTicks -= s.localTicks : (stryCov_9fa48("132"), localTicks += s.localTicks);
              stryMutAct_9fa48("133") ? entityUpdates -= s.entityUpdates : (stryCov_9fa48("133"), entityUpdates += s.entityUpdates);
              stryMutAct_9fa48("134") ? hashed &&= s.hashed : (stryCov_9fa48("134"), hashed ||= s.hashed);
            }
          }
          shards.push(stryMutAct_9fa48("135") ? {} : (stryCov_9fa48("135"), {
            shard: l.shard,
            realms: s.realms,
            entities: s.entities,
            busyMs: current ? s.busyMs : 0,
            outRingUsed: l.outRing.usedBytes(),
            inRingUsed: l.inRing.usedBytes(),
            outRingOverflows: l.outRing.overflows(),
            inRingOverflows: l.inRing.overflows(),
            outBacklog: s.backlog,
            stateFramesDropped: s.stateDropped
          }));
        }
      }
      const hashes: Record<string, number> = {};
      if (stryMutAct_9fa48("137") ? false : stryMutAct_9fa48("136") ? true : (stryCov_9fa48("136", "137"), hashed)) {
        if (stryMutAct_9fa48("138")) {
          {}
        } else {
          stryCov_9fa48("138");
          for (const rec of this.realms.registry.all()) {
            if (stryMutAct_9fa48("139")) {
              {}
            } else {
              stryCov_9fa48("139");
              const h = stryMutAct_9fa48("140") ? this.io.counters(rec.shard, rec.row, rec.slot).hash : (stryCov_9fa48("140"), this.io.counters(rec.shard, rec.row, rec.slot)?.hash);
              if (stryMutAct_9fa48("143") ? h !== undefined && h !== null || this.rounds[rec.shard]!.hashed : stryMutAct_9fa48("142") ? false : stryMutAct_9fa48("141") ? true : (stryCov_9fa48("141", "142", "143"), (stryMutAct_9fa48("145") ? h !== undefined || h !== null : stryMutAct_9fa48("144") ? true : (stryCov_9fa48("144", "145"), (stryMutAct_9fa48("147") ? h === undefined : stryMutAct_9fa48("146") ? true : (stryCov_9fa48("146", "147"), h !== undefined)) && (stryMutAct_9fa48("149") ? h === null : stryMutAct_9fa48("148") ? true : (stryCov_9fa48("148", "149"), h !== null)))) && this.rounds[rec.shard]!.hashed)) hashes[rec.reg.realmId] = h;
            }
          }
        }
      }
      return stryMutAct_9fa48("150") ? {} : (stryCov_9fa48("150"), {
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
        hashes
      });
    }
  }
}