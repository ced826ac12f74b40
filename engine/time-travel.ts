// Time travel (docs/durability.md § Time travel): replays a recorded multiverse to a control
// tick in a separate engine — max mode, one shard, no data directory, stepped one control
// tick at a time — from the nearest start point at or before it (a snapshot, or a start with
// recovery), applying the journaled operations at the ticks they took effect, and checks the
// replayed state hashes against the ones recorded then. The recorded directory is only read.
import { decode } from '../protocol/codec.js';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import { Engine } from './engine.js';
import type { JournalRecord } from './persist/records.js';
import { expectedHashes, planFor, readRecording, startFor, startPoints, type ExpectedHash, type Recording, type StartPoint } from './persist/timeline.js';
import type { EntityView, RealmInfo, RoutedEvent } from './types.js';

export interface TimelineSummary {
  /** Periodic snapshots ('next') and a clean stop's final one ('closed'), oldest first. */
  snapshots: { controlTick: number; phase: 'next' | 'closed'; realms: number }[];
  /** Starts with recovery: from which snapshot, in which control tick. */
  boots: { controlTick: number; snapshot: number | null }[];
  /** Control ticks with journaled hash checkpoints (option journalHashes). */
  checkpoints: number[];
  /** Control ticks a replay can show: from each start point + 1 to the end of its run (null: the current run). */
  ranges: { from: number; to: number | null }[];
  /** The newest control tick the files mention. */
  lastRecorded: number | null;
}

export interface HashCheck {
  realm: string;
  recorded: number;
  /** The replay's hash for the realm at that tick (null: the realm is not there, or did not hash). */
  replayed: number | null;
  source: 'checkpoint' | 'snapshot';
  match: boolean;
}

export interface TimelineEvent {
  from: string;
  type: string;
  via: RoutedEvent['via'];
  to: string[];
  seq: number;
  data: unknown;
}

/** One journaled operation of the tick (what the recording holds; the routed events are recomputed). */
export type TimelineOperation = Exclude<JournalRecord, { t: 'hash' } | { t: 'boot' } | { t: 'pub' }> | { t: 'pub'; tick: number; bytes: number };

export interface TickView {
  controlTick: number;
  start: { from: StartPoint['from']; controlTick: number };
  realms: RealmInfo[];
  entities: Record<string, EntityView[]>;
  /** Cross-realm events routed at this tick's close, as the replay routed them. */
  events: TimelineEvent[];
  operations: TimelineOperation[];
  /** The replay's state hash per realm at the end of this tick. */
  hashes: Record<string, number>;
  /** The hashes recorded for this tick, against the replay's. */
  checks: HashCheck[];
  verdict: 'match' | 'mismatch' | 'unverified';
  /** Every check from the start point to this tick. */
  summary: { checked: number; mismatches: number; firstMismatchTick: number | null };
  /** The restored realms' hashes against the start snapshot's, as recovery checks them (null: not answered yet). */
  restore: { checked: number; mismatches: number } | null;
}

export interface TimeTravelOptions {
  /** The recorded engine's extra kind modules (its options.kindModules). */
  kindModules?: readonly string[];
  /** The recorded engine's clock, when the start snapshot does not say (older files, a start without one). Default 25 Hz, K = 1. */
  tickHz?: number;
  ticksPerControl?: number;
}

export interface TimeTravel {
  readonly controlTick: number;
  view(): TickView;
  /** One control tick forward or back; back re-uses the views kept since the start point, or replays from an older one. */
  step(delta: 1 | -1): Promise<TickView>;
  goto(controlTick: number): Promise<TickView>;
  close(): Promise<void>;
}

export async function readTimeline(dataDir: string): Promise<TimelineSummary> {
  const rec = await readRecording(dataDir);
  const ticks = [...rec.records.map((r) => r.tick), ...rec.snapshots.map((s) => s.controlTick)];
  return {
    snapshots: rec.snapshots.map((s) => ({ controlTick: s.controlTick, phase: s.phase ?? 'next', realms: s.realms.length })),
    boots: rec.records.flatMap((r) => (r.t === 'boot' ? [{ controlTick: r.tick, snapshot: r.snapshot }] : [])),
    checkpoints: rec.records.flatMap((r) => (r.t === 'hash' ? [r.tick] : [])),
    ranges: startPoints(rec).map((p) => ({ from: p.first + 1, to: p.last })),
    lastRecorded: ticks.length === 0 ? null : Math.max(...ticks),
  };
}

/** Replays the multiverse recorded in `dataDir` to `controlTick`; close() the handle when done. */
export async function replayTo(dataDir: string, controlTick: number, options: TimeTravelOptions = {}): Promise<TimeTravel> {
  const handle = new Handle(dataDir, options);
  await handle.goto(controlTick);
  return handle;
}

class Handle implements TimeTravel {
  private run: Replay | null = null;
  private current: TickView | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dataDir: string,
    private readonly options: TimeTravelOptions,
  ) {}

  get controlTick(): number {
    return this.view().controlTick;
  }

  view(): TickView {
    if (this.current === null) throw new TickverseError(ErrorCode.ENGINE_NOT_RUNNING, 'no replay yet');
    return this.current;
  }

  step(delta: 1 | -1): Promise<TickView> {
    return this.goto(this.controlTick + delta);
  }

  /** One move at a time: a request arriving meanwhile waits for the one before it. */
  goto(controlTick: number): Promise<TickView> {
    const next = this.queue.then(() => this.move(controlTick));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async move(tick: number): Promise<TickView> {
    if (!Number.isInteger(tick) || tick < 1) throw new TickverseError(ErrorCode.INVALID_ARGUMENT, `control tick must be a positive integer; received ${tick}`);
    if (this.run === null || !this.run.covers(tick)) {
      const rec = await readRecording(this.dataDir);
      const start = startFor(rec, tick);
      if (start === null) throw new TickverseError(ErrorCode.NOT_FOUND, `control tick ${tick} is not in the recorded range (${describe(rec)})`);
      await this.run?.close();
      this.run = null;
      this.run = await Replay.start(rec, start, this.options);
    }
    this.current = await this.run.to(tick);
    return this.current;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.run?.close();
    this.run = null;
  }
}

function describe(rec: Recording): string {
  const ranges = startPoints(rec).map((p) => `${p.first + 1}-${p.last ?? '…'}`);
  return ranges.length === 0 ? 'nothing recorded yet: no snapshot or start' : `recorded: ${ranges.join(', ')}`;
}

interface Building {
  view: TickView;
  entities: Promise<[string, EntityView[]]>[];
}

/** One replay engine from one start point, moving forward only; it keeps the views it passed. */
class Replay {
  private readonly views = new Map<number, TickView>();
  private building: Building | null = null;
  private round: number;
  private readonly events: TimelineEvent[] = [];
  private readonly summary = { checked: 0, mismatches: 0, firstMismatchTick: null as number | null };
  /** The newest tick the recording mentioned when read: past it, records appended since may be missing. */
  private readonly knownUpTo: number;

  private constructor(
    private readonly engine: Engine,
    private readonly start: StartPoint,
    private readonly rec: Recording,
    private readonly expected: Map<number, ExpectedHash[]>,
  ) {
    this.round = start.first;
    this.knownUpTo = Math.max(0, ...rec.records.map((r) => r.tick), ...rec.snapshots.map((s) => s.controlTick));
    engine.on('routed', (e) => this.events.push({ from: e.from, type: e.type, via: e.via, to: e.to, seq: e.seq, data: payloadData(e.payload) }));
  }

  static async start(rec: Recording, start: StartPoint, options: TimeTravelOptions): Promise<Replay> {
    const plan = planFor(rec, start);
    // The same local ticks per control tick and the same dt as the recording; the mode does not change the states.
    const clock = plan.snapshot?.clock ?? { tickHz: options.tickHz ?? 25, ticksPerControl: options.ticksPerControl ?? 1 };
    const engine = new Engine({ shards: 1, mode: 'max', hashEvery: 1, snapshotEvery: 0, kindModules: [...(options.kindModules ?? [])], ...clock, replay: plan });
    await engine.start();
    return new Replay(engine, start, rec, expectedHashes(rec, start));
  }

  covers(tick: number): boolean {
    if (this.views.has(tick)) return true;
    return tick > this.start.first && (this.start.last === null || tick <= this.start.last) && tick >= this.round - 1 && tick <= this.knownUpTo;
  }

  /** Steps until the view of `tick` is whole (its entities are answered in the round after it). */
  async to(tick: number): Promise<TickView> {
    for (;;) {
      const done = this.views.get(tick);
      if (done !== undefined) return done;
      await this.advance();
    }
  }

  private async advance(): Promise<void> {
    const r = this.round;
    // Asked before the round's operations go in: answered at the next barrier, with the state at this tick's end.
    const entities = this.engine.list().map(async (info): Promise<[string, EntityView[]]> => [info.realmId, await this.engine.entities(info.realmId).catch(() => [])]);
    this.events.length = 0;
    const info = await this.engine.step();
    this.round = r + 1;
    const prev = this.building;
    if (prev !== null) {
      prev.view.entities = Object.fromEntries(await Promise.all(prev.entities));
      this.views.set(prev.view.controlTick, prev.view);
    }
    const checks = (this.expected.get(r) ?? []).map((e): HashCheck => {
      const replayed = info.hashes[e.realm] ?? null;
      return { realm: e.realm, recorded: e.hash, replayed, source: e.source, match: replayed === e.hash };
    });
    const bad = checks.filter((c) => !c.match).length;
    this.summary.checked += checks.length;
    this.summary.mismatches += bad;
    if (bad > 0 && this.summary.firstMismatchTick === null) this.summary.firstMismatchTick = r;
    const rc = this.engine.recovery;
    this.building = {
      entities,
      view: {
        controlTick: r,
        start: { from: this.start.from, controlTick: this.start.first },
        realms: this.engine.list(),
        entities: {},
        events: [...this.events],
        operations: this.operations(r),
        hashes: info.hashes,
        checks,
        verdict: checks.length === 0 ? 'unverified' : bad > 0 ? 'mismatch' : 'match',
        summary: { ...this.summary },
        restore: rc === null ? null : { checked: rc.hashesChecked, mismatches: rc.hashMismatches },
      },
    };
  }

  private operations(tick: number): TimelineOperation[] {
    const out: TimelineOperation[] = [];
    for (const r of this.rec.records) {
      if (r.tick !== tick || r.t === 'hash' || r.t === 'boot') continue;
      out.push(r.t === 'pub' ? { t: 'pub', tick: r.tick, bytes: r.frame.length } : r);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.engine.stop();
  }
}

function payloadData(payload: Uint8Array): unknown {
  try {
    return decode<{ data?: unknown }>(payload).data ?? null;
  } catch {
    return null;
  }
}
