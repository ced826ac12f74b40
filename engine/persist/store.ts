// The data directory: snapshots/<tick>.tvsnap (sealed MessagePack, atomically written),
// journal/<tick>.tvj (append-only, group-committed), backups/. See docs/durability.md.
import { mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Packr } from 'msgpackr';
import { listFiles, readBytes, remove, seal, unseal, writeAtomic } from './files.js';
import { Journal } from './journal.js';
import type { JournalRecord, MultiverseSnapshot } from './records.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });
const pad = (n: number): string => String(n).padStart(12, '0');

/** Snapshot and backup files end in this. */
export const SNAP_SUFFIX = '.tvsnap';
/** Where a data directory keeps its backups. */
export const backupDirOf = (dataDir: string): string => join(dataDir, 'backups');
/** A backup's file name: the control tick it holds and when it was taken. */
export const backupFileName = (controlTick: number, ms: number): string => `backup-${pad(controlTick)}-${ms}${SNAP_SUFFIX}`;
const BACKUP_NAME = /^backup-(\d+)-(\d+)\.tvsnap$/;
/** What a backup's own name says, or null for a file not named by backupFileName. */
export function parseBackupName(name: string): { controlTick: number; ms: number } | null {
  const m = BACKUP_NAME.exec(name);
  return m === null ? null : { controlTick: Number(m[1]), ms: Number(m[2]) };
}

export interface Recovered {
  snapshot: MultiverseSnapshot | null;
  records: JournalRecord[];
  /** Files skipped as unreadable (a torn final write is expected after a crash). */
  skipped: string[];
}

export class DataStore {
  private journal: Journal | null = null;
  /** A journal file being opened: appends wait for it, so none lands in the old file after the rotation (that file may be pruned). */
  private opening: Promise<Journal> | null = null;
  lastSnapshotTick = -1;
  lastSnapshotAt = 0;
  snapshotsWritten = 0;

  constructor(
    readonly dir: string,
    private readonly retain: number,
  ) {}

  private get snapDir(): string {
    return join(this.dir, 'snapshots');
  }

  private get journalDir(): string {
    return join(this.dir, 'journal');
  }

  get backupDir(): string {
    return backupDirOf(this.dir);
  }

  /** Newest readable snapshot plus every journal record after it. */
  async recover(): Promise<Recovered> {
    await mkdir(this.snapDir, { recursive: true });
    await mkdir(this.journalDir, { recursive: true });
    const skipped: string[] = [];
    let snapshot: MultiverseSnapshot | null = null;
    for (const file of (await listFiles(this.snapDir, '.tvsnap')).reverse()) {
      snapshot = await readSnapshotFile(file).catch(() => null);
      if (snapshot !== null) break;
      skipped.push(file);
    }
    const after = snapshot?.controlTick ?? -1;
    const records: JournalRecord[] = [];
    for (const file of await listFiles(this.journalDir, '.tvj')) {
      const { records: raw } = unseal(new Uint8Array(await readFile(file)));
      for (const r of raw) {
        const rec = packr.unpack(r) as JournalRecord;
        if (rec.tick > after) records.push(rec);
      }
    }
    if (snapshot !== null) {
      this.lastSnapshotTick = snapshot.controlTick;
      this.lastSnapshotAt = snapshot.createdAt;
    }
    return { snapshot, records, skipped };
  }

  /** Opens a fresh journal file; every record appended from now on has a tick after `tick`. */
  async startJournal(tick: number): Promise<void> {
    const old = this.journal;
    const opening = Journal.open(join(this.journalDir, `${pad(tick)}-${Date.now()}.tvj`));
    this.opening = opening;
    opening.catch(() => undefined); // awaited below
    try {
      const next = await opening;
      if (this.opening === opening) this.journal = next;
      else await next.close(); // a newer rotation won; appends made meanwhile are in this file, sealed
    } finally {
      if (this.opening === opening) this.opening = null;
    }
    await old?.close();
  }

  append(rec: JournalRecord): Promise<void> {
    const bytes = packr.pack(rec);
    if (this.opening !== null) return this.opening.then((j) => j.append(bytes));
    if (this.journal === null) return Promise.reject(new Error('journal is not open'));
    return this.journal.append(bytes);
  }

  /**
   * Writes a snapshot and prunes what no retained snapshot needs. The caller rotated the
   * journal (startJournal) when it took the snapshot at the barrier, so later records are
   * in files that start at or after the snapshot's tick.
   */
  async writeSnapshot(snap: MultiverseSnapshot): Promise<void> {
    await writeAtomic(join(this.snapDir, `${pad(snap.controlTick)}.tvsnap`), seal(packr.pack(snap)));
    this.lastSnapshotTick = snap.controlTick;
    this.lastSnapshotAt = snap.createdAt;
    this.snapshotsWritten++;
    const snaps = await listFiles(this.snapDir, '.tvsnap');
    for (const f of snaps.slice(0, Math.max(0, snaps.length - this.retain))) await remove(f);
    const oldest = (await listFiles(this.snapDir, '.tvsnap'))[0];
    if (oldest === undefined) return;
    const keepFrom = Number(basename(oldest, '.tvsnap'));
    // A journal file holds records from its start tick until the next file's start: it is
    // no longer needed once the next file starts at or before the oldest kept snapshot.
    const journals = await listFiles(this.journalDir, '.tvj');
    const start = (f: string): number => Number(basename(f).split('-')[0]);
    for (let i = 0; i + 1 < journals.length; i++) {
      if (start(journals[i + 1]!) <= keepFrom && journals[i] !== this.journal?.path) await remove(journals[i]!);
    }
  }

  async close(): Promise<void> {
    await this.journal?.close();
    this.journal = null;
  }
}

/** Writes a snapshot file atomically; returns its size in bytes. */
export async function writeSnapshotFile(path: string, snap: MultiverseSnapshot): Promise<number> {
  const bytes = seal(packr.pack(snap));
  await writeAtomic(path, bytes);
  return bytes.length;
}

export async function readSnapshotFile(path: string): Promise<MultiverseSnapshot> {
  const { records } = unseal(await readBytes(path));
  const body = records[0];
  if (body === undefined) throw new Error(`${path} is not a readable snapshot`);
  const snap = packr.unpack(body) as MultiverseSnapshot;
  if (snap.v !== 1 || !Array.isArray(snap.realms)) throw new Error(`${path} has an unknown snapshot format`);
  return snap;
}

export async function pruneFiles(dir: string, suffix: string, keep: number): Promise<void> {
  const files = await listFiles(dir, suffix);
  for (const f of files.slice(0, Math.max(0, files.length - keep))) await remove(f);
}
