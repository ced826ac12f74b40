// What a data directory recorded, read without writing anything (time travel): the snapshots,
// the journal, the start points a replay can begin from, and the hashes it is checked against.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { listFiles, unseal } from './files.js';
import type { ReplayPlan } from './replay.js';
import type { JournalRecord, MultiverseSnapshot } from './records.js';
import { readSnapshotFile, SNAP_SUFFIX } from './store.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export interface Recording {
  /** Readable snapshots, oldest first. */
  snapshots: MultiverseSnapshot[];
  /** Every readable journal record, in journal order. */
  records: JournalRecord[];
}

type BootRecord = Extract<JournalRecord, { t: 'boot' }>;

/** A place a replay can begin: a periodic snapshot, or a start with recovery (a boot record). */
export interface StartPoint {
  from: 'snapshot' | 'boot';
  /** The replay's first control tick; it can show control ticks from first + 1. */
  first: number;
  /** The last control tick it can reach: the end of its run (null: the current run, no end yet). */
  last: number | null;
}

/** A recorded hash to check a replay against: a realm's state hash at the end of control tick `tick`. */
export interface ExpectedHash {
  tick: number;
  realm: string;
  hash: number;
  source: 'checkpoint' | 'snapshot';
}

const missing = (e: unknown): boolean => (e as NodeJS.ErrnoException | null)?.code === 'ENOENT';

/** Reads the data directory (only reads: the live engine may be appending and pruning meanwhile). */
export async function readRecording(dataDir: string): Promise<Recording> {
  const snapshots: MultiverseSnapshot[] = [];
  for (const file of await listFiles(join(dataDir, 'snapshots'), SNAP_SUFFIX)) {
    const snap = await readSnapshotFile(file).catch(() => null); // pruned or torn meanwhile: not a start point
    if (snap !== null) snapshots.push(snap);
  }
  const records: JournalRecord[] = [];
  for (const file of await listFiles(join(dataDir, 'journal'), '.tvj')) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (e) {
      if (missing(e)) continue;
      throw e;
    }
    // A torn final record (an append in flight) ends the readable part of the file.
    for (const r of unseal(bytes).records) records.push(packr.unpack(r) as JournalRecord);
  }
  return { snapshots, records };
}

const boots = (rec: Recording): BootRecord[] => rec.records.filter((r): r is BootRecord => r.t === 'boot').sort((a, b) => a.tick - b.tick);

/** The end of the run that `tick` belongs to: the next start's last tick on disk (null: the current run). */
function runEnd(rec: Recording, tick: number): number | null {
  const next = boots(rec).find((b) => b.tick > tick);
  return next === undefined ? null : next.upTo;
}

/** Every start point, oldest first. A boot needs the snapshot it came back from (or none). */
export function startPoints(rec: Recording): StartPoint[] {
  const points: StartPoint[] = [];
  for (const s of rec.snapshots) {
    if (s.phase === 'closed') continue; // a clean stop's: the next run starts from a boot record
    points.push({ from: 'snapshot', first: s.controlTick, last: runEnd(rec, s.controlTick) });
  }
  for (const b of boots(rec)) {
    if (b.snapshot !== null && !rec.snapshots.some((s) => s.controlTick === b.snapshot)) continue;
    points.push({ from: 'boot', first: b.tick, last: runEnd(rec, b.tick) });
  }
  return points.sort((a, b) => a.first - b.first);
}

/** The nearest start point for `tick`: the newest that began before it in the same run. */
export function startFor(rec: Recording, tick: number): StartPoint | null {
  let best: StartPoint | null = null;
  for (const p of startPoints(rec)) {
    if (p.first + 1 > tick || (p.last !== null && tick > p.last)) continue;
    if (best === null || p.first > best.first) best = p;
  }
  return best; // a snapshot of an earlier run never starts a later one: its `last` ends before

}

/** The plan a replay engine runs: the start state, and the operations at their control ticks. */
export function planFor(rec: Recording, start: StartPoint): ReplayPlan {
  const end = start.last ?? Infinity;
  if (start.from === 'snapshot') {
    const snapshot = rec.snapshots.find((s) => s.controlTick === start.first)!;
    const records = rec.records.filter((r) => r.tick > start.first && r.tick <= end);
    return { first: start.first, from: 'snapshot', snapshot, atFirst: [], records };
  }
  const boot = boots(rec).find((b) => b.tick === start.first)!;
  const snapshot = boot.snapshot === null ? null : rec.snapshots.find((s) => s.controlTick === boot.snapshot)!;
  const since = boot.snapshot ?? 0;
  // As the recovery did: every record after its snapshot up to the last tick on disk, at once.
  const atFirst = rec.records.filter((r) => r.tick > since && r.tick <= boot.upTo);
  const records = rec.records.filter((r) => r.tick > boot.upTo && r.tick <= end);
  return { first: start.first, from: 'boot', snapshot, atFirst, records };
}

/**
 * What the recording says the replay's state hashes must be, by control tick: the journaled
 * checkpoints, and every periodic snapshot of the run (which holds the end of round tick + 1).
 */
export function expectedHashes(rec: Recording, start: StartPoint): Map<number, ExpectedHash[]> {
  const out = new Map<number, ExpectedHash[]>();
  const end = start.last ?? Infinity;
  const add = (e: ExpectedHash): void => {
    if (e.tick <= start.first || e.tick > end) return;
    const list = out.get(e.tick);
    if (list === undefined) out.set(e.tick, [e]);
    else list.push(e);
  };
  for (const r of rec.records) {
    if (r.t === 'hash') for (const [realm, hash] of Object.entries(r.hashes)) add({ tick: r.tick, realm, hash, source: 'checkpoint' });
  }
  for (const s of rec.snapshots) {
    if (s.phase === 'closed' || s.controlTick < start.first) continue;
    for (const r of s.realms) if (r.state !== 'error') add({ tick: s.controlTick + 1, realm: r.reg.realmId, hash: r.hash, source: 'snapshot' });
  }
  return out;
}
