// A replay engine's stepped rounds (time travel, docs/durability.md § Time travel): the plan
// says where the recording starts and what was journaled when; each round waits at the
// control loop's gate for a step, and before it is released the operations journaled for that
// control tick are applied, so every one takes effect at the barrier it took effect at live.
import type { JournalRecord, MultiverseSnapshot } from './records.js';

/** Where a replay starts and what it applies (engine option `replay`; built by engine/time-travel.ts). */
export interface ReplayPlan {
  /**
   * The replay's first control tick; it runs no realm: the start state is added in it and boots
   * at the next. 'snapshot' (phase 'next'): round first + 1 is a service round, because the
   * snapshot already holds its local ticks, and the snapshot's pending batch is routed at its
   * close. 'boot': a recovery, as the recorded engine did it in round `first`.
   */
  first: number;
  from: 'snapshot' | 'boot';
  /** The realms to bring back in round `first` (null: none). */
  snapshot: MultiverseSnapshot | null;
  /** 'boot': the records the recovery applied all at once in round `first`, in order. */
  atFirst: JournalRecord[];
  /** Records applied at their control tick (ticks before `first` are applied in it), in journal order. */
  records: JournalRecord[];
}

/** What the replay asks of durability. */
export interface ReplayHost {
  /** Adds the snapshot's realms (now) and checks their restored hashes; resolves with the realms that differ. */
  boot(snap: MultiverseSnapshot): Promise<{ checked: number; mismatched: string[] }>;
  apply(rec: JournalRecord): void;
  routeExternal(frame: Uint8Array): void;
}

export interface RestoreCheck {
  checked: number;
  mismatched: string[];
}

const isOperation = (r: JournalRecord): boolean => r.t !== 'hash' && r.t !== 'boot';

export class Replayer {
  private permits = 0;
  private waiting: { round: number; resolve(ticks: number): void } | null = null;
  private next = 0;
  private readonly records: JournalRecord[];
  /** The restored realms' hashes against the snapshot's (null before the first round). */
  restore: Promise<RestoreCheck> | null = null;

  constructor(
    readonly plan: ReplayPlan,
    private readonly host: ReplayHost,
    private readonly ticksPerControl: number,
  ) {
    // Stable by tick: records of one tick keep their journal order.
    this.records = plan.records.filter(isOperation).sort((a, b) => a.tick - b.tick);
  }

  gate(round: number): Promise<number> {
    return new Promise<number>((resolve) => {
      this.waiting = { round, resolve };
      this.pump();
    });
  }

  /** Lets the next round go. */
  permit(): void {
    this.permits++;
    this.pump();
  }

  private pump(): void {
    const w = this.waiting;
    if (w === null || this.permits === 0) return;
    this.permits--;
    this.waiting = null;
    w.resolve(this.prepare(w.round));
  }

  /** What goes in while `round` is the current one; returns its local ticks. */
  private prepare(round: number): number {
    const { plan } = this;
    const snap = plan.snapshot;
    if (round === plan.first) {
      this.restore = snap === null ? Promise.resolve({ checked: 0, mismatched: [] }) : this.host.boot(snap);
      for (const rec of plan.atFirst) if (isOperation(rec)) this.host.apply(rec);
    }
    const pendingRound = plan.from === 'snapshot' && snap !== null && round === snap.controlTick + 1;
    // The pending batch already holds that tick's published events (the router logged them).
    const skipPubs = pendingRound && snap.pending !== undefined;
    while (this.next < this.records.length && this.records[this.next]!.tick <= round) {
      const rec = this.records[this.next++]!;
      if (!(skipPubs && rec.t === 'pub')) this.host.apply(rec);
    }
    if (!pendingRound) return this.ticksPerControl;
    const p = snap.pending;
    if (p !== undefined && p !== null) for (let k = 0; k < p.starts.length; k++) this.host.routeExternal(p.frames.subarray(p.starts[k]!, p.starts[k]! + p.lengths[k]!));
    return 0;
  }
}
