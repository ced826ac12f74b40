// @ts-nocheck
// Durability with real processes and files: kill -9 the engine, start it again on the same
// data directory, and everything acknowledged is there; backup, wipe, restore.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { probeKind, startEngine, untilTick } from './helpers.js';

const childScript = new URL('./fixtures/durable-child.mjs', import.meta.url);
const dirs: string[] = [];
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tickverse-'));
  dirs.push(d);
  return d;
}

/** A child engine driven by JSON lines; `next(pred)` resolves with the first matching line. */
function child(dataDir: string) {
  const proc = spawn(process.execPath, [childScript.pathname, dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(proc);
  const lines: Record<string, unknown>[] = [];
  const waiting: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout }).on('line', (raw) => {
    const l = JSON.parse(raw) as Record<string, unknown>;
    lines.push(l);
    for (const w of waiting.splice(0)) if (w.pred(l)) w.resolve(l);
      else waiting.push(w);
  });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code, signal) => r(code ?? (signal === 'SIGKILL' ? -9 : null))));
  return {
    proc,
    exited,
    send: (o: unknown) => proc.stdin.write(`${JSON.stringify(o)}\n`),
    next: (pred: (l: Record<string, unknown>) => boolean) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const seen = lines.find(pred);
        if (seen !== undefined) return resolve(seen);
        waiting.push({ pred, resolve });
        void exited.then((code) => reject(new Error(`child exited (${code}) before the expected line; stderr:\n${stderr}`)));
      }),
  };
}

describe('durability', () => {
  it('survives kill -9: every registered realm and every acknowledged event is back, hashes match the snapshot', async () => {
    const dir = await tempDir();
    const a = child(dir);
    await a.next((l) => l.ready === true);
    a.send({ op: 'register', reg: { realm_id: 'ledger', game_id: 'bank', kind: 'probe', adjacency: 'vault', params: { keepPath: false } } });
    a.send({ op: 'register', reg: { realm_id: 'tavern', game_id: 'demo', kind: 'tavern' } });
    await a.next((l) => l.acked === 'register' && l.id === 'ledger');
    await a.next((l) => l.acked === 'register' && l.id === 'tavern');
    // Some events land before a snapshot, the last ones only in the journal.
    for (let n = 1; n <= 30; n++) {
      a.send({ op: 'publish', event: { type: 'deposit', to: 'ledger', data: n } });
      if (n === 15) {
        a.send({ op: 'tick', n: 12 });
        await a.next((l) => typeof l.ticked === 'number');
      }
    }
    await a.next((l) => l.acked === 'publish' && l.n === 30);
    a.proc.kill('SIGKILL');
    expect(await a.exited).toBe(-9);
    expect((await readdir(join(dir, 'snapshots'))).length).toBeGreaterThan(0);

    const b = child(dir);
    const ready = (await b.next((l) => l.ready === true)) as { recovery: { snapshotTick: number | null; realmsRestored: number; hashesChecked: number; hashMismatches: number; journalReplayed: number }; realms: { id: string; kind: string; stat7: string }[] };
    expect(ready.realms.map((r) => [r.id, r.kind])).toEqual([
      ['ledger', 'probe'],
      ['tavern', 'tavern'],
    ]);
    expect(ready.realms[0]!.stat7).toContain('/vault/');
    expect(ready.recovery.snapshotTick).not.toBeNull();
    expect(ready.recovery.hashesChecked).toBe(ready.recovery.realmsRestored);
    expect(ready.recovery.realmsRestored).toBe(2);
    expect(ready.recovery.hashMismatches).toBe(0);
    b.send({ op: 'tick', n: 2 });
    await b.next((l) => typeof l.ticked === 'number');
    b.send({ op: 'probe', realm: 'ledger' });
    const probe = (await b.next((l) => l.probe !== undefined)).probe as { got: { type: string; data: number }[] };
    expect(probe.got.filter((e) => e.type === 'deposit').map((e) => e.data)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('backs up the multiverse, and restores it into an empty data directory with identical registry and hashes', async () => {
    const dir1 = await tempDir();
    const backupFile = join(await tempDir(), 'multiverse.tvsnap');
    const a = await startEngine({ shards: 2, mode: 'max', dataDir: dir1, kindModules: [probeKind] });
    await Promise.all([
      a.register({ realm_id: 'tavern', game_id: 'demo', kind: 'tavern', stat7: { horizon: 'PEAK' } }),
      a.register({ realm_id: 'forest', game_id: 'demo', kind: 'forest' }),
      a.register({ realm_id: 'p', game_id: 'g', kind: 'probe', params: { entities: [{ id: 'x' }] } }),
    ]);
    await a.pause('p');
    await a.onControlTick(a.controlTick + 20);
    const report = await a.backup(backupFile);
    expect(report).toMatchObject({ path: backupFile, realms: 3 });
    const registryA = a.list().map((r) => [r.realmId, r.gameId, r.kind, r.stat7Canonical]);
    await a.stop();
    await rm(dir1, { recursive: true, force: true });

    const b = await startEngine({ shards: 3, mode: 'max', dataDir: await tempDir(), kindModules: [probeKind] });
    const restored = await b.restoreBackup(backupFile);
    expect(restored).toMatchObject({ realms: 3, hashesChecked: 3, hashMismatches: 0, controlTick: report.controlTick });
    expect(b.list().map((r) => [r.realmId, r.gameId, r.kind, r.stat7Canonical])).toEqual(registryA);
    await untilTick(b, 'p paused again', () => b.get('p').state === 'paused');
    expect((await b.entities('p')).map((e) => e.id)).toEqual(['x']);
    await expect(b.restoreBackup(join(dir1, 'missing.tvsnap'))).rejects.toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    await b.stop(); // before its data directory is removed
  });
});
