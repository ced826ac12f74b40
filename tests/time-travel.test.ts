// Time travel against a real recording: an engine with worker threads and a data directory
// runs the demo kinds (a merchant walking between tavern and forest, rumours, inputs, published
// events) over several snapshots; replays to three control ticks give the hashes recorded at
// the time, step back and forth, leave the recording untouched, and show an altered record as
// a mismatch.
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_REALMS } from '../engine/demo.js';
import type { ControlTickInfo } from '../engine/index.js';
import { seal, unseal } from '../engine/persist/files.js';
import type { JournalRecord } from '../engine/persist/records.js';
import { readTimeline, replayTo, type TimeTravel } from '../engine/time-travel.js';
import { bearerHeader, getJson, startStack } from './gateway-helpers.js';
import { startEngine } from './helpers.js';

const dirs: string[] = [];
const handles: TimeTravel[] = [];
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tickverse-tt-'));
  dirs.push(d);
  return d;
}

/** Every file under `dir` with a digest of its bytes: the recording, byte for byte. */
async function digest(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const sub of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!sub.isFile()) continue;
    const path = join(sub.parentPath, sub.name);
    out[path.slice(dir.length)] = createHash('sha256').update(await readFile(path)).digest('hex');
  }
  return out;
}

/** A recorded run: live hashes by control tick, and the ticks at which inputs and events went in. */
async function record(dir: string, ticks: number): Promise<Map<number, Record<string, number>>> {
  const engine = await startEngine({ shards: 2, mode: 'max', dataDir: dir, snapshotEvery: 10, snapshotRetain: 10, hashEvery: 1, journalHashes: true });
  const live = new Map<number, Record<string, number>>();
  engine.on('controlTick', (t: ControlTickInfo) => live.set(t.controlTick, t.hashes));
  await Promise.all(DEMO_REALMS.slice(0, 2).map((r) => engine.register(r)));
  const base = engine.controlTick;
  // Max mode does not wait for the snapshot writes: go on until `snapshots` of them are on disk.
  const snapshots = new Set<number>();
  for (let i = 1; i <= ticks || snapshots.size < 4; i++) {
    const last = engine.stats().lastSnapshot;
    if (last !== null) snapshots.add(last.controlTick);
    if (i % 3 === 0) void engine.input('tavern', 'p1', { move: { dx: 1, dy: i % 2 === 0 ? 2 : -1 } });
    if (i % 5 === 0) void engine.publish({ type: 'rumor', data: { text: `news ${i}` } }).durable;
    if (i % 7 === 0) void engine.publish({ type: 'hello', to: 'forest', data: { i } }).durable;
    await engine.onControlTick(base + i);
    if (i > 100_000) throw new Error('no snapshots written');
  }
  await engine.stop();
  return live;
}

describe('time travel', () => {
  it('replays to three control ticks with the hashes recorded then, steps both ways, and leaves the recording as it was', async () => {
    const dir = await tempDir();
    const live = await record(dir, 48);
    const before = await digest(dir);
    const timeline = await readTimeline(dir);
    expect(timeline.snapshots.filter((s) => s.phase === 'next').length).toBeGreaterThanOrEqual(4);
    expect(timeline.checkpoints.length).toBeGreaterThan(40);
    const from = timeline.ranges[0]!.from;
    // The live ticks after the last checkpoint are the stop's service rounds (no simulation).
    const last = Math.max(...timeline.checkpoints);
    const snaps = timeline.snapshots.filter((s) => s.phase === 'next').map((s) => s.controlTick);
    // Just after the oldest snapshot, a little after the second, and near the end.
    const targets = [from + 1, snaps[1]! + 3, last - 2];
    for (const tick of targets) {
      const tt = await replayTo(dir, tick);
      handles.push(tt);
      const v = tt.view();
      expect(v.controlTick).toBe(tick);
      expect(v.hashes).toEqual(live.get(tick));
      expect(v.verdict).toBe('match');
      expect(v.checks.length).toBeGreaterThanOrEqual(2);
      expect(v.summary.mismatches).toBe(0);
      expect(v.realms.map((r) => r.realmId).sort()).toEqual(['forest', 'tavern']);
      expect(v.entities.tavern!.length).toBeGreaterThan(0);
      // p1's first move goes in 3 ticks after the realms: the oldest snapshot may come before it.
      if (tick !== targets[0]) expect(v.entities.tavern!.some((e) => e.id === 'player:p1')).toBe(true);
    }
    // From the oldest snapshot forward to the round a newer snapshot holds: that snapshot's hashes.
    const far = await handles[0]!.goto(snaps[2]! + 1);
    expect(far.start.controlTick).toBe(snaps[0]);
    expect(far.checks.filter((c) => c.source === 'snapshot').length).toBe(2);
    expect(far.verdict).toBe('match');
    expect(far.summary.checked).toBeGreaterThan(snaps[2]! - snaps[0]!);
    const back = await handles[1]!.step(-1);
    expect(back.controlTick).toBe(targets[1]! - 1);
    expect(back.hashes).toEqual(live.get(targets[1]! - 1));
    const fwd = await handles[1]!.step(1);
    expect(fwd.hashes).toEqual(live.get(targets[1]!));
    const fwd2 = await handles[1]!.step(1);
    expect(fwd2.hashes).toEqual(live.get(targets[1]! + 1));
    // Before this replay's start point: replayed again from an older one.
    const early = await handles[2]!.goto(from + 2);
    expect(early.hashes).toEqual(live.get(from + 2));
    // Events of a tick are the ones the replay routed; the journaled operations of the tick are listed.
    const seen = [];
    for (let t = from + 1; t <= from + 12; t++) seen.push(await handles[0]!.goto(t));
    expect(seen.some((v) => v.operations.some((o) => o.t === 'input'))).toBe(true);
    expect(seen.some((v) => v.events.some((e) => e.type === 'rumor' && e.from === 'external'))).toBe(true);
    await expect(handles[0]!.goto(last + 1000)).resolves.toMatchObject({ controlTick: last + 1000, verdict: 'unverified' });
    await expect(replayTo(dir, 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await digest(dir)).toEqual(before);
  });

  it('shows an altered journal record as a hash mismatch from the tick it changed', async () => {
    const dir = await tempDir();
    const live = await record(dir, 30);
    const timeline = await readTimeline(dir);
    const from = timeline.ranges[0]!.from;
    // A copy whose first input after the start point moves the player elsewhere.
    const copy = await tempDir();
    await cp(dir, copy, { recursive: true });
    let altered = -1;
    for (const name of (await readdir(join(copy, 'journal'))).sort()) {
      const path = join(copy, 'journal', name);
      const recs = unseal(new Uint8Array(await readFile(path))).records.map((r) => packr.unpack(r) as JournalRecord);
      const i = recs.findIndex((r) => r.t === 'input' && r.tick > from && altered < 0);
      if (i < 0) continue;
      const rec = recs[i] as Extract<JournalRecord, { t: 'input' }>;
      rec.data = { move: { dx: -5, dy: -5 } };
      altered = rec.tick;
      await writeFile(path, Buffer.concat(recs.map((r) => seal(packr.pack(r)))));
    }
    expect(altered).toBeGreaterThan(0);
    const tick = altered + 3;
    const good = await replayTo(dir, tick);
    handles.push(good);
    expect(good.view().verdict).toBe('match');
    const bad = await replayTo(copy, tick);
    handles.push(bad);
    const v = bad.view();
    expect(v.verdict).toBe('mismatch');
    const tavern = v.checks.find((c) => c.realm === 'tavern')!;
    expect(tavern).toMatchObject({ match: false, recorded: live.get(tick)!.tavern });
    expect(v.checks.find((c) => c.realm === 'forest')!.match).toBe(true);
    expect(v.summary.firstMismatchTick).toBe(altered + 1);
  });

  it('replays a run that began with a recovery from its boot record, and the run before it from its snapshots', async () => {
    const dir = await tempDir();
    const first = await record(dir, 20);
    // The second run: it recovers from the first's final snapshot and takes no snapshot of its own.
    const engine = await startEngine({ shards: 2, mode: 'max', dataDir: dir, snapshotEvery: 100_000, snapshotRetain: 10, hashEvery: 1, journalHashes: true });
    const second = new Map<number, Record<string, number>>();
    engine.on('controlTick', (t: ControlTickInfo) => second.set(t.controlTick, t.hashes));
    const start = engine.controlTick;
    for (let i = 1; i <= 30; i++) {
      if (i % 4 === 0) void engine.input('tavern', 'p2', { move: { dx: -1, dy: 1 } });
      await engine.onControlTick(start + i);
    }
    await engine.stop();
    const timeline = await readTimeline(dir);
    const boot = timeline.boots.at(-1)!;
    expect(boot.snapshot).toBe(timeline.snapshots.find((s) => s.phase === 'closed')!.controlTick);
    const tick = boot.controlTick + 12;
    const tt = await replayTo(dir, tick);
    handles.push(tt);
    const v = tt.view();
    expect(v.start).toEqual({ from: 'boot', controlTick: boot.controlTick });
    expect(v.hashes).toEqual(second.get(tick));
    expect(v.verdict).toBe('match');
    expect(v.summary).toMatchObject({ mismatches: 0 });
    expect(v.entities.tavern!.some((e) => e.id === 'player:p2')).toBe(true);
    // A tick of the first run still replays from its own snapshots, not into the second run.
    const run1 = timeline.ranges[0]!;
    expect(run1.to).not.toBeNull(); // it ended where the second run's boot says
    const old = await tt.goto(Math.min(run1.from + 2, run1.to!));
    expect(old.start.from).toBe('snapshot');
    expect(old.hashes).toEqual(first.get(old.controlTick));
    expect(old.verdict).toBe('match');
  });

  it('serves the timeline over HTTP to the admin token, with coded errors', async () => {
    const dir = await tempDir();
    const stack = await startStack({}, { dataDir: dir, snapshotEvery: 10, hashEvery: 1, journalHashes: true });
    await stack.engine.register(DEMO_REALMS[0]!);
    await stack.engine.onControlTick(stack.engine.controlTick + 25);
    expect((await getJson(`${stack.http}/api/timeline`)).status).toBe(401);
    const t = (await getJson(`${stack.http}/api/timeline`, { headers: bearerHeader })) as { status: number; body: { ranges: { from: number }[]; liveControlTick: number; journalHashes: boolean } };
    expect(t.status).toBe(200);
    expect(t.body.journalHashes).toBe(true);
    const from = t.body.ranges[0]!.from;
    const view = (await getJson(`${stack.http}/api/timeline/${from + 1}`, { headers: bearerHeader })) as { status: number; body: { controlTick: number; verdict: string; entities: Record<string, unknown[]> } };
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ controlTick: from + 1, verdict: 'match' });
    expect(view.body.entities.tavern!.length).toBeGreaterThan(0);
    expect(await getJson(`${stack.http}/api/timeline/abc`, { headers: bearerHeader })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } });
    expect(await getJson(`${stack.http}/api/timeline/1`, { headers: bearerHeader })).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await getJson(`${stack.http}/api/timeline/${t.body.liveControlTick + 100_000}`, { headers: bearerHeader })).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    const memory = await startStack();
    expect(await getJson(`${memory.http}/api/timeline`, { headers: bearerHeader })).toMatchObject({ status: 409, body: { error: { code: 'NO_DATA_DIR' } } });
    expect(await getJson(`${memory.http}/api/timeline/5`, { headers: bearerHeader })).toMatchObject({ status: 409, body: { error: { code: 'NO_DATA_DIR' } } });
  });
});
