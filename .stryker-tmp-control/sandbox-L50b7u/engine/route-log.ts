// @ts-nocheck
// The catch-up log: every control tick's routed batch since the last snapshot. A replaced
// shard's realms, restored from that snapshot, are routed these frames again
// (router.redeliver); a snapshot trims what it covers. A tick is kept as one copy of the
// router's arena plus the frames' places in routing order (no per-frame copy).
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
export interface LoggedTick {
  tick: number;
  frames: Uint8Array;
  /** Frame k, in routing order, is frames[starts[k], starts[k] + lengths[k]). */
  starts: Uint32Array;
  lengths: Uint32Array;
}
export class RouteLog {
  private ticks: LoggedTick[] = stryMutAct_9fa48("151") ? ["Stryker was here"] : (stryCov_9fa48("151"), []);
  get size(): number {
    if (stryMutAct_9fa48("152")) {
      {}
    } else {
      stryCov_9fa48("152");
      return this.ticks.length;
    }
  }

  /** Keeps a routed batch: `arena[0, used)` and, in routing order, each frame's start and length. */
  add(tick: number, arena: Uint8Array, used: number, starts: Uint32Array, lengths: Uint32Array): void {
    if (stryMutAct_9fa48("153")) {
      {}
    } else {
      stryCov_9fa48("153");
      this.ticks.push(stryMutAct_9fa48("154") ? {} : (stryCov_9fa48("154"), {
        tick,
        frames: stryMutAct_9fa48("155") ? arena : (stryCov_9fa48("155"), arena.slice(0, used)),
        starts,
        lengths
      }));
    }
  }

  /** Ticks after `tick`, oldest first. */
  after(tick: number): readonly LoggedTick[] {
    if (stryMutAct_9fa48("156")) {
      {}
    } else {
      stryCov_9fa48("156");
      return stryMutAct_9fa48("157") ? this.ticks : (stryCov_9fa48("157"), this.ticks.filter(stryMutAct_9fa48("158") ? () => undefined : (stryCov_9fa48("158"), t => stryMutAct_9fa48("162") ? t.tick <= tick : stryMutAct_9fa48("161") ? t.tick >= tick : stryMutAct_9fa48("160") ? false : stryMutAct_9fa48("159") ? true : (stryCov_9fa48("159", "160", "161", "162"), t.tick > tick))));
    }
  }

  /** A snapshot at `tick` holds everything up to it. */
  trim(tick: number): void {
    if (stryMutAct_9fa48("163")) {
      {}
    } else {
      stryCov_9fa48("163");
      this.ticks = this.after(tick) as LoggedTick[];
    }
  }
  clear(): void {
    if (stryMutAct_9fa48("164")) {
      {}
    } else {
      stryCov_9fa48("164");
      this.ticks = stryMutAct_9fa48("165") ? ["Stryker was here"] : (stryCov_9fa48("165"), []);
    }
  }
}